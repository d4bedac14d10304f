#include "server/realtime_endpoint.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

#include "core/log.h"
#include "server/router_reply_provider.h"
#include "voice/realtime_session.h"

namespace prism::server {
namespace websocket = beast::websocket;
using boost::system::error_code;

namespace {

// A client that reads nothing while the session keeps talking is dropped
// once this much is waiting to be written.
constexpr std::size_t kMaxOutboxBytes = 64u << 20;
// Pings after half of this without traffic; no answer by the end closes.
constexpr auto kIdleTimeout = std::chrono::seconds(60);

// Server events waiting for the writer. push() may be called from any thread
// (the session's event thread); the writer runs on the socket's strand.
struct Outbox {
  explicit Outbox(net::any_io_executor ex) : executor(ex), wake(ex), writer_done(ex) {
    wake.expires_at(net::steady_timer::time_point::max());
    writer_done.expires_at(net::steady_timer::time_point::max());
  }
  net::any_io_executor executor;
  std::mutex mutex;
  std::deque<std::string> texts;
  std::size_t bytes = 0;
  bool finished = false;       // the reader is done: write what is left and stop
  bool going_away = false;     // the server drains: send a close frame
  bool overflowed = false;
  net::steady_timer wake;      // cancelled to wake the writer
  net::steady_timer writer_done;
  bool writer_exited = false;  // strand only

  // False when nothing was queued (finished or overflowed before).
  bool push(std::string text) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (finished || overflowed) return false;
      bytes += text.size();
      if (bytes > kMaxOutboxBytes) {
        overflowed = true;
        texts.clear();
      } else {
        texts.push_back(std::move(text));
      }
    }
    return true;
  }
};

// Wakes the writer; the timer lives on the strand, so this posts there.
void notify(const std::shared_ptr<Outbox>& outbox) {
  net::post(outbox->executor, [outbox] { outbox->wake.cancel(); });
}

struct Handshake {
  std::string api_key;          // from the openai-insecure-api-key.<key> subprotocol
  bool offers_realtime = false; // the "realtime" subprotocol, echoed back
  bool beta = false;
};

Handshake read_handshake(const Request& request) {
  Handshake h;
  auto it = request.find(http::field::sec_websocket_protocol);
  if (it != request.end()) {
    std::string_view list = it->value();
    while (!list.empty()) {
      const auto comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      constexpr std::string_view key_prefix = "openai-insecure-api-key.";
      if (item == "realtime") h.offers_realtime = true;
      else if (item == "openai-beta.realtime-v1") h.beta = true;
      else if (item.substr(0, key_prefix.size()) == key_prefix) h.api_key = std::string(item.substr(key_prefix.size()));
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  if (auto beta = request.find("openai-beta"); beta != request.end() && beta->value().find("realtime=v1") != std::string_view::npos)
    h.beta = true;
  return h;
}

// Writes queued events in order; on drain, a close frame after them.
template <class WebSocket>
net::awaitable<void> write_loop(std::shared_ptr<WebSocket> ws, std::shared_ptr<Outbox> outbox) {
  for (;;) {
    std::deque<std::string> batch;
    bool finished, going_away, overflowed;
    {
      std::lock_guard<std::mutex> lock(outbox->mutex);
      batch.swap(outbox->texts);
      outbox->bytes = 0;
      finished = outbox->finished;
      going_away = outbox->going_away;
      overflowed = outbox->overflowed;
    }
    error_code ec;
    if (overflowed) {
      log::warn("realtime client reads too slowly; closing", {{"limit_bytes", kMaxOutboxBytes}});
      co_await ws->async_close(websocket::close_reason(websocket::close_code::policy_error, "client too slow"),
                               net::redirect_error(net::use_awaitable, ec));
      break;
    }
    for (auto& text : batch) {
      ws->text(true);
      co_await ws->async_write(net::buffer(text), net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
    }
    if (ec) {
      beast::get_lowest_layer(*ws).close();  // the reader sees it too
      break;
    }
    if (going_away) {
      co_await ws->async_close(websocket::close_reason(websocket::close_code::going_away, "server shutting down"),
                               net::redirect_error(net::use_awaitable, ec));
      break;
    }
    {
      std::lock_guard<std::mutex> lock(outbox->mutex);
      if (!outbox->texts.empty() || outbox->overflowed || outbox->going_away) continue;
      if (finished) break;
    }
    outbox->wake.expires_at(net::steady_timer::time_point::max());
    co_await outbox->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  outbox->writer_exited = true;
  outbox->writer_done.cancel();
}

void record_turn_timing(MetricsRegistry& metrics, const nlohmann::json& timing) {
  if (auto timeline = timing.find("timeline_ms"); timeline != timing.end() && timeline->is_object())
    for (const auto& [stage, ms] : timeline->items())
      if (ms.is_number()) metrics.observe("prism_voice_turn_seconds", {{"stage", stage}}, ms.get<double>() / 1000);
  for (const char* span : {"turn_detected_to_first_audio_ms", "speech_end_to_first_audio_ms"})
    if (auto v = timing.find(span); v != timing.end() && v->is_number())
      metrics.observe("prism_voice_first_audio_seconds", {{"from", std::string(span).substr(0, std::string(span).find("_to_"))}},
                      v->get<double>() / 1000);
}

// The WebSocket over the connection's stream (plain TCP or TLS), from the
// upgrade to the close.
template <class Stream>
net::awaitable<void> run_websocket(Stream stream, Gateway& gateway, RealtimeRegistry& registry, Request& request,
                                   HttpConnection& connection, RequestContext& ctx, const Handshake& handshake) {
  using WebSocket = websocket::stream<Stream>;
  auto ws = std::make_shared<WebSocket>(std::move(stream));
  auto executor = ws->get_executor();
  beast::get_lowest_layer(*ws).expires_never();  // the websocket's own timeouts take over
  websocket::stream_base::timeout timeouts{std::chrono::seconds(10), kIdleTimeout, true};
  ws->set_option(timeouts);
  voice::SessionOptions options;
  ws->read_message_max(options.limits.max_frame_bytes);
  const bool echo_realtime = handshake.offers_realtime;
  // Beast writes the handshake answer (101, or 400/426 for a bad upgrade);
  // its status goes to the access log like any other response's.
  auto answered = std::make_shared<unsigned>(0);
  ws->set_option(websocket::stream_base::decorator([echo_realtime, answered](websocket::response_type& res) {
    res.set(http::field::server, "prism");
    if (echo_realtime) res.set(http::field::sec_websocket_protocol, "realtime");
    *answered = res.result_int();
  }));
  error_code ec;
  co_await ws->async_accept(request, net::redirect_error(net::use_awaitable, ec));
  connection.set_status(*answered);
  if (ec) {
    log::info("realtime handshake failed", {{"request_id", ctx.id}, {"error", ec.message()}});
    co_return;
  }

  auto outbox = std::make_shared<Outbox>(executor);
  options.dialect = handshake.beta ? voice::Dialect::beta : voice::Dialect::automatic;
  options.model = ctx.query.count("model") ? ctx.query.at("model") : "";
  options.speculate_after_silence_ms = gateway.config().voice.speculate_after_silence_ms;
  options.early_transcription_deltas = gateway.config().voice.early_transcription_deltas;
  MetricsRegistry& metrics = gateway.metrics();
  options.on_turn_timing = [&metrics](const nlohmann::json& timing) { record_turn_timing(metrics, timing); };
  auto replies = std::make_shared<RouterReplyProvider>(gateway, executor, ctx.api_key, ctx.headers);
  auto session = std::make_unique<voice::RealtimeSession>(
      [outbox](std::string text) {
        if (outbox->push(std::move(text))) notify(outbox);
      }, replies, options);
  const std::uint64_t registry_id = registry.add([outbox] {
    {
      std::lock_guard<std::mutex> lock(outbox->mutex);
      outbox->going_away = true;
    }
    notify(outbox);
  });
  metrics.add("prism_realtime_sessions", {}, 1);
  const auto started = std::chrono::steady_clock::now();
  log::info("realtime session opened", {{"request_id", ctx.id}, {"session_id", session->id()},
                                        {"model", options.model}, {"beta", handshake.beta}});
  net::co_spawn(executor, write_loop(ws, outbox), net::detached);

  beast::flat_buffer buffer;
  for (;;) {
    co_await ws->async_read(buffer, net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
    if (ws->got_text()) {
      const auto data = buffer.cdata();
      session->handle_client_text(std::string_view(static_cast<const char*>(data.data()), data.size()));
    } else {
      session->handle_client_binary(buffer.size());
    }
    buffer.consume(buffer.size());
  }
  const std::string reason = ec == websocket::error::closed ? "client closed"
                             : ec == beast::error::timeout  ? "idle timeout"
                                                            : ec.message();
  // Stops generation, synthesis and recognition; nothing is sent after it.
  session->close();
  registry.remove(registry_id);
  {
    std::lock_guard<std::mutex> lock(outbox->mutex);
    outbox->finished = true;
  }
  notify(outbox);
  if (!outbox->writer_exited) co_await outbox->writer_done.async_wait(net::redirect_error(net::use_awaitable, ec));
  if (beast::get_lowest_layer(*ws).socket().is_open()) {
    error_code ignored;
    beast::get_lowest_layer(*ws).socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(*ws).close();
  }
  metrics.add("prism_realtime_sessions", {}, -1);
  log::info("realtime session closed",
            {{"request_id", ctx.id}, {"session_id", session->id()}, {"reason", reason},
             {"duration_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
}

}  // namespace

net::awaitable<void> serve_realtime(Gateway& gateway, RealtimeRegistry& registry, Request& request,
                                    HttpConnection& connection, RequestContext& ctx) {
  const Handshake handshake = read_handshake(request);
  std::optional<ApiError> refusal;
  try {
    if (request.method() != http::verb::get) throw ApiError(http::status::method_not_allowed, "use GET for /v1/realtime");
    if (!websocket::is_upgrade(request))
      throw ApiError(http::status::upgrade_required, "/v1/realtime is a WebSocket endpoint: send an Upgrade request",
                     "invalid_request_error", std::nullopt, "websocket_required");
    ctx.api_key = gateway.authenticate(ctx, handshake.api_key);
    if (gateway.draining()) {
      ApiError e{http::status::service_unavailable, "the server is shutting down", "server_error"};
      e.retry_after_s = 1;
      throw e;
    }
  } catch (const ApiError& e) {
    refusal = e;
  }
  if (refusal) {
    co_await connection.send(make_error_response(*refusal, ctx.version, ctx.id));
    co_return;
  }

  connection.mark_taken_over();
  // One coroutine per stream type; the connection's stream moves into it.
  co_await std::visit(
      [&](auto* stream) {
        return run_websocket(std::move(*stream), gateway, registry, request, connection, ctx, handshake);
      },
      connection.transport());
}

}  // namespace prism::server
