#include "backends/upstream_backend.h"

#include <openssl/ssl.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <limits>

#include "backends/sse_parser.h"
#include "core/clock.h"
#include "core/log.h"

namespace prism::backends {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr std::size_t kMaxErrorBody = 1 << 20;
constexpr std::size_t kMaxResponseBody = 64 << 20;
constexpr std::size_t kMaxPendingEvent = 16 << 20;


ChatOutcome failed(FailureKind kind, std::string message) {
  ChatOutcome out;
  out.failure = BackendFailure{kind, 0, std::nullopt, std::move(message), nullptr};
  return out;
}

// Retry-After is delta-seconds here; an HTTP-date is read as one second.
std::chrono::milliseconds parse_retry_after(std::string_view value) {
  char* end = nullptr;
  const std::string text(value);
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(seconds >= 0) || seconds > 3600)
    return std::chrono::milliseconds(1000);
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

// An upstream error body's message, if it is OpenAI-shaped.
std::string upstream_error_message(const nlohmann::json& body, const std::string& raw) {
  if (body.is_object() && body.contains("error")) {
    const auto& e = body["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
    if (e.is_string()) return e.get<std::string>();
  }
  return raw.substr(0, 300);
}

// Counts a chunk's generated text (for an estimate when no usage arrives).
std::size_t chunk_text_chars(const nlohmann::json& chunk) {
  std::size_t n = 0;
  if (!chunk.contains("choices") || !chunk["choices"].is_array()) return 0;
  for (const auto& choice : chunk["choices"]) {
    if (!choice.is_object() || !choice.contains("delta") || !choice["delta"].is_object()) continue;
    const auto& d = choice["delta"];
    if (d.contains("content") && d["content"].is_string()) n += d["content"].get_ref<const std::string&>().size();
  }
  return n;
}

void read_usage(const nlohmann::json& body, ChatOutcome& out) {
  if (!body.contains("usage") || !body["usage"].is_object()) return;
  const auto& u = body["usage"];
  if (u.contains("prompt_tokens") && u["prompt_tokens"].is_number_integer() && u.contains("completion_tokens") &&
      u["completion_tokens"].is_number_integer()) {
    out.prompt_tokens = u["prompt_tokens"].get<std::int64_t>();
    out.completion_tokens = u["completion_tokens"].get<std::int64_t>();
    out.usage_reported = true;
  }
}

}  // namespace

UpstreamBackend::UpstreamBackend(const router::ModelEntry& model, net::ssl::context& tls)
    : model_(model), url_(parse_url(model.base_url)), tls_(tls) {
  if (!model.api_key_env.empty()) {
    if (const char* key = std::getenv(model.api_key_env.c_str())) {
      api_key_ = key;
    } else {
      log::warn("upstream API key variable is not set; requests go without a key",
                {{"model", model.id}, {"api_key_env", model.api_key_env}});
    }
  }
}

net::awaitable<ChatOutcome> UpstreamBackend::chat(ChatCall call, ChunkHandler on_chunk) {
  const auto start = Clock::now();
  auto executor = co_await net::this_coro::executor;
  error_code ec;

  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(url_.host, url_.port, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return failed(FailureKind::connect, "cannot resolve " + url_.host + ": " + ec.message());

  beast::tcp_stream tcp(executor);
  tcp.expires_after(std::chrono::milliseconds(model_.connect_timeout_ms));
  co_await tcp.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec == beast::error::timeout)
    co_return failed(FailureKind::connect, "connect to " + url_.host + ":" + url_.port + " timed out after " +
                                               std::to_string(model_.connect_timeout_ms) + " ms");
  if (ec) co_return failed(FailureKind::connect, "connect to " + url_.host + ":" + url_.port + ": " + ec.message());
  tcp.socket().set_option(tcp::socket::protocol_type::no_delay(true), ec);  // small requests, sent at once

  if (!url_.tls) {
    auto out = co_await exchange(tcp, call, on_chunk, start);
    tcp.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return out;
  }

  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), tls_);
  SSL_set_tlsext_host_name(tls.native_handle(), url_.host.c_str());
  SSL_set1_host(tls.native_handle(), url_.host.c_str());
  co_await tls.async_handshake(net::ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return failed(FailureKind::connect, "TLS handshake with " + url_.host + ": " + ec.message());
  auto out = co_await exchange(tls, call, on_chunk, start);
  beast::get_lowest_layer(tls).socket().shutdown(tcp::socket::shutdown_both, ec);
  co_return out;
}

template <class Stream>
net::awaitable<ChatOutcome> UpstreamBackend::exchange(Stream& stream, ChatCall& call, ChunkHandler& on_chunk,
                                                      Clock::time_point start) {
  auto& lowest = beast::get_lowest_layer(stream);
  const auto total_deadline = start + std::chrono::milliseconds(model_.total_timeout_ms);
  const auto first_deadline = std::min(total_deadline, start + std::chrono::milliseconds(model_.first_token_timeout_ms));
  error_code ec;
  ChatOutcome out;

  bool client_wants_usage = false;
  if (call.stream) {
    const auto& so = call.body.value("stream_options", nlohmann::json());
    client_wants_usage = so.is_object() && so.value("include_usage", false);
    call.body["stream_options"] = {{"include_usage", true}};  // for our own cost accounting
  }

  http::request<http::string_body> req{http::verb::post, url_.path + "/chat/completions", 11};
  req.set(http::field::host, url_.host + ((url_.port == "80" || url_.port == "443") ? "" : ":" + url_.port));
  req.set(http::field::user_agent, "prism/0.1");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, call.stream ? "text/event-stream" : "application/json");
  req.set("x-request-id", call.request_id);
  if (!api_key_.empty()) req.set(http::field::authorization, "Bearer " + api_key_);
  req.body() = call.body.dump();
  req.prepare_payload();

  lowest.expires_at(first_deadline);
  co_await http::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return failed(FailureKind::connect, "sending the request failed: " + ec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  // No parser limit: the body is bounded below (kMaxResponseBody, kMaxErrorBody)
  // and a stream may run long. Not boost::none: Boost 1.74 compares a
  // Content-Length with the optional limit itself (`len > none` is true), so
  // every answer framed with a Content-Length failed with "body limit exceeded".
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec == beast::error::timeout) {
    const bool first = Clock::now() < total_deadline;
    co_return failed(first ? FailureKind::first_token_timeout : FailureKind::total_timeout,
                     "no response within " + std::to_string(first ? model_.first_token_timeout_ms : model_.total_timeout_ms) +
                         " ms");
  }
  if (ec) co_return failed(FailureKind::protocol, "reading the response header failed: " + ec.message());

  const int status = parser.get().result_int();
  const bool is_event_stream =
      std::string_view(parser.get()[http::field::content_type]).find("text/event-stream") != std::string_view::npos;

  // Reads the body piece by piece, handing each piece to `sink`; false from
  // the sink stops. Returns the error that ended reading (none at the end).
  char piece[16384];
  auto read_piece = [&]() -> net::awaitable<std::size_t> {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof piece;
    co_await http::async_read_some(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    co_return sizeof piece - parser.get().body().size;
  };

  if (status != 200 || (call.stream && !is_event_stream)) {
    std::string raw;
    lowest.expires_at(std::min(total_deadline, Clock::now() + std::chrono::seconds(5)));
    while (!parser.is_done() && raw.size() < kMaxErrorBody) {
      const std::size_t n = co_await read_piece();
      raw.append(piece, n);
      if (ec) break;
    }
    auto body = nlohmann::json::parse(raw, nullptr, false);
    ChatOutcome bad;
    if (status == 200) {
      bad = failed(FailureKind::protocol, "asked for a stream but the upstream answered with " +
                                              std::string(parser.get()[http::field::content_type]));
      co_return bad;
    }
    bad = failed(FailureKind::http_status,
                 "upstream answered HTTP " + std::to_string(status) + ": " + upstream_error_message(body, raw));
    bad.failure->http_status = status;
    if (body.is_object() && body.contains("error")) bad.failure->upstream_error = body["error"];
    if (auto it = parser.get().find(http::field::retry_after); it != parser.get().end())
      bad.failure->retry_after = parse_retry_after(it->value());
    co_return bad;
  }

  if (!call.stream) {
    std::string raw;
    lowest.expires_at(total_deadline);
    while (!parser.is_done()) {
      const std::size_t n = co_await read_piece();
      raw.append(piece, n);
      if (ec == beast::error::timeout)
        co_return failed(FailureKind::total_timeout,
                         "answer not complete within " + std::to_string(model_.total_timeout_ms) + " ms");
      if (ec) co_return failed(FailureKind::protocol, "reading the response failed: " + ec.message());
      if (raw.size() > kMaxResponseBody) co_return failed(FailureKind::protocol, "response larger than 64 MiB");
    }
    out.ttft_ms = ms_since(start);
    out.response = nlohmann::json::parse(raw, nullptr, false);
    if (!out.response.is_object() || !out.response.contains("choices") || !out.response["choices"].is_array())
      co_return failed(FailureKind::protocol, "upstream answer is not a chat.completion object");
    read_usage(out.response, out);
    const auto& choices = out.response["choices"];
    if (!choices.empty() && choices[0].is_object() && choices[0].contains("finish_reason") &&
        choices[0]["finish_reason"].is_string())
      out.finish_reason = choices[0]["finish_reason"].get<std::string>();
    co_return out;
  }

  // Streaming: relay each event as it completes.
  SseParser sse;
  std::size_t generated_chars = 0;
  bool done = false;
  while (!done) {
    const bool before_first = !out.streamed_any;
    lowest.expires_at(before_first ? first_deadline : total_deadline);
    const std::size_t n = co_await read_piece();
    for (auto& data : sse.feed(std::string_view(piece, n))) {
      if (data == "[DONE]") {
        done = true;
        break;
      }
      auto chunk = nlohmann::json::parse(data, nullptr, false);
      if (!chunk.is_object()) {
        auto bad = failed(FailureKind::protocol, "upstream sent an event that is not a JSON object");
        bad.failure->message += out.streamed_any ? " (mid-stream)" : "";
        bad.streamed_any = out.streamed_any;
        co_return bad;
      }
      if (chunk.contains("error")) {
        auto bad = failed(FailureKind::http_status, "upstream reported an error in the stream: " +
                                                        upstream_error_message(chunk, data));
        bad.failure->http_status = 502;
        bad.streamed_any = out.streamed_any;
        co_return bad;
      }
      read_usage(chunk, out);
      const bool usage_only = chunk.contains("choices") && chunk["choices"].is_array() && chunk["choices"].empty();
      if (chunk.contains("choices") && chunk["choices"].is_array() && !chunk["choices"].empty()) {
        const auto& c0 = chunk["choices"][0];
        if (c0.is_object() && c0.contains("finish_reason") && c0["finish_reason"].is_string())
          out.finish_reason = c0["finish_reason"].get<std::string>();
      }
      generated_chars += chunk_text_chars(chunk);
      if (usage_only && !client_wants_usage) continue;
      if (!out.streamed_any) out.ttft_ms = ms_since(start);
      out.streamed_any = true;
      if (!co_await on_chunk(chunk)) {
        auto gone = failed(FailureKind::client_gone, "the client disconnected mid-stream");
        gone.streamed_any = true;
        co_return gone;
      }
    }
    if (done) break;
    if (ec == beast::error::timeout) {
      auto bad = before_first ? failed(FailureKind::first_token_timeout,
                                       "no token within " + std::to_string(model_.first_token_timeout_ms) + " ms")
                              : failed(FailureKind::total_timeout, "stream not complete within " +
                                                                       std::to_string(model_.total_timeout_ms) + " ms");
      bad.streamed_any = out.streamed_any;
      co_return bad;
    }
    if (ec || parser.is_done()) {
      if (!out.finish_reason.empty() && !ec) break;  // ended without [DONE] but finished
      auto bad = failed(FailureKind::protocol, "upstream closed the stream before it finished" +
                                                   (ec ? " (" + ec.message() + ")" : std::string()));
      bad.streamed_any = out.streamed_any;
      co_return bad;
    }
    if (sse.pending_bytes() > kMaxPendingEvent) {
      auto bad = failed(FailureKind::protocol, "upstream sent an event larger than 16 MiB");
      bad.streamed_any = out.streamed_any;
      co_return bad;
    }
  }
  if (!out.usage_reported) out.completion_tokens = static_cast<std::int64_t>((generated_chars + 3) / 4);
  co_return out;
}

}  // namespace prism::backends
