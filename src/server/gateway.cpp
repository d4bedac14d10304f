#include "server/gateway.h"

#include "backends/local_backend.h"
#include "server/engine_metrics.h"

#include <boost/asio/use_awaitable.hpp>

#include "backends/local_backend.h"
#include "backends/upstream_backend.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "server/chat_request.h"
#include "server/engine_metrics.h"
#include "server/local_models.h"
#include "server/query_string.h"
#include "server/realtime_endpoint.h"
#include "voice/end_of_turn_model.h"
#include "voice/recognizer_warmup.h"

namespace prism::server {
namespace {

using Clock = std::chrono::steady_clock;


// A client-supplied x-request-id is kept when it is short and printable.
std::string request_id_from(const Request& request) {
  auto it = request.find("x-request-id");
  if (it != request.end()) {
    std::string_view v = it->value();
    const bool ok = !v.empty() && v.size() <= 128 &&
                    std::all_of(v.begin(), v.end(), [](char c) { return c > 32 && c < 127; });
    if (ok) return std::string(v);
  }
  return router::new_id("req_");
}

}  // namespace

Gateway::Gateway(Config config)
    : config_(std::move(config)),
      api_keys_(config_.api_keys),
      upstream_tls_(net::ssl::context::tls_client),
      started_(Clock::now()) {
  upstream_tls_.set_default_verify_paths();
  upstream_tls_.set_verify_mode(config_.server.upstream_tls_verify ? net::ssl::verify_peer : net::ssl::verify_none);

  // Discovered checkpoints that fail to load are skipped (the rest still
  // serve); configured models must all work.
  router::Catalog catalog = config_.catalog;
  auto discovered = discover_local_models(config_.local, catalog);
  // The default KV pool (a quarter of memory, at most 4 GiB) is shared out
  // among the local models, so several of them stay within it together.
  const LocalSettings& local = config_.local;
  std::size_t local_models = discovered.size();
  for (const auto& m : catalog.models()) local_models += m.backend == "local";
  const std::int64_t kv_share = std::max<std::int64_t>(
      std::int64_t{64} << 20, runtime::default_kv_cache_bytes() / std::max<std::int64_t>(1, static_cast<std::int64_t>(local_models)));
  for (auto& entry : discovered) {
    const auto load_start = Clock::now();
    try {
      backends_[entry.id] = make_local_backend(entry, local, kv_share);
      log::info("local model loaded", {{"model", entry.id}, {"path", entry.local_path},
                                       {"load_ms", std::round(ms_since(load_start))}});
      catalog.add(std::move(entry));
    } catch (const Error& e) {
      log::error("skipping a checkpoint that does not load", {{"path", entry.local_path}, {"error", e.what()}});
    }
  }
  for (const auto& m : catalog.models()) {
    if (backends_.count(m.id)) continue;
    if (m.backend == "upstream") {
      backends_[m.id] = std::make_unique<backends::UpstreamBackend>(m, upstream_tls_);
    } else {
      backends_[m.id] = make_local_backend(m, local, kv_share);
      log::info("local model loaded", {{"model", m.id}, {"path", m.local_path}});
    }
  }

  auto log = std::make_shared<router::DecisionLog>(config_.server.decision_ring_size, config_.server.decision_log,
                                                   config_.server.decision_log_fsync);
  if (log->lines_loaded_at_start())
    log::info("decision log reloaded", {{"records", log->lines_loaded_at_start()}, {"path", config_.server.decision_log}});
  router_ = std::make_unique<router::Router>(std::move(catalog), config_.router, log);
  declare_metrics();
  // Speech recognisers take ~300 ms each to start, the end-of-turn model
  // ~200 ms to load: warm them off the start-up path so the first spoken turn
  // does not pay for it.
  net::post(speech_pool_, [] {
    try {
      voice::EndOfTurnModel::shared();
      voice::warm_recognizers(voice::RecognizerPool::shared(), 2);
      voice::narrowband_recognizers().warm(1);  // G.711 sessions
    } catch (const std::exception& e) {
      log::error("speech recognisers did not start; voice turns will fail", {{"error", e.what()}});
    }
  });
}

void Gateway::set_draining(bool draining) {
  draining_ = draining;
  if (draining) realtime_.close_all();
}

const ApiKey* Gateway::authenticate(const RequestContext& ctx, const std::string& subprotocol_key) {
  if (!api_keys_.enabled()) return nullptr;
  auto it = ctx.headers.find("authorization");
  const ApiKey* key = nullptr;
  if (it != ctx.headers.end()) key = api_keys_.authenticate(it->second);
  else if (!subprotocol_key.empty()) key = api_keys_.find_key(subprotocol_key);
  if (!key) {
    metrics_.add("prism_rejected_total", {{"reason", "unauthorized"}});
    throw ApiError(http::status::unauthorized,
                   it == ctx.headers.end() && subprotocol_key.empty()
                       ? "missing API key: send it as 'Authorization: Bearer <key>'"
                       : "incorrect API key provided",
                   "invalid_request_error", std::nullopt, "invalid_api_key");
  }
  return key;
}

Gateway::~Gateway() = default;

void Gateway::flush() { router_->decisions().flush(); }

void Gateway::declare_metrics() {
  const std::vector<double> seconds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  metrics_.declare_counter("prism_http_requests_total", "HTTP requests served, by route and status code.");
  metrics_.declare_counter("prism_requests_total", "Chat requests finished, by model, route and outcome.");
  metrics_.declare_counter("prism_request_errors_total", "Failed attempts on a model, by kind of failure.");
  metrics_.declare_counter("prism_fallbacks_total", "Times a request moved on from a failed model to the next.");
  metrics_.declare_counter("prism_router_choices_total", "First choices of the router, by route and model.");
  metrics_.declare_counter("prism_router_unroutable_total", "Routed requests no model could satisfy (422).");
  metrics_.declare_counter("prism_tokens_total", "Tokens processed, by model and direction (prompt/completion).");
  metrics_.declare_counter("prism_cost_usd_total", "Estimated spend in USD, by model.");
  metrics_.declare_counter("prism_rejected_total", "Requests refused before routing, by reason.");
  metrics_.declare_histogram("prism_request_duration_seconds", "Total time of successful chat requests.", seconds);
  metrics_.declare_histogram("prism_time_to_first_token_seconds", "Time to the first token or response.", seconds);
  metrics_.declare_gauge("prism_inflight_requests", "Chat requests in progress.");
  metrics_.declare_gauge("prism_model_inflight", "Requests in progress per model.");
  metrics_.declare_gauge("prism_model_circuit_open", "1 when a model's circuit breaker is open.");
  declare_engine_metrics(metrics_);
  const std::vector<double> voice_seconds = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5};
  metrics_.declare_histogram("prism_voice_turn_seconds",
                             "Spoken turns: time from the end of speech to each stage (prism.turn.timing).",
                             voice_seconds);
  metrics_.declare_histogram("prism_voice_first_audio_seconds",
                             "Spoken turns: end of speech / end of turn detected -> first audio byte sent.",
                             voice_seconds);
  metrics_.declare_gauge("prism_realtime_sessions", "Realtime WebSocket sessions open.");
  metrics_.declare_gauge("prism_voice_recognizers_in_use", "Speech recognizer decoders lent to a turn now (all pools).");
  metrics_.declare_gauge("prism_voice_recognizers_started", "Speech recognizer decoders alive, idle or lent (all pools).");
  metrics_.declare_counter("prism_voice_recognizer_worker_restarts_total",
                           "Speech recognizer worker processes discarded because they died, failed or were abandoned (all pools).");
  metrics_.add("prism_voice_recognizer_worker_restarts_total", {}, 0);  // shown from the start, at 0
}

std::optional<std::set<std::string>> Gateway::permitted_models(const RequestContext& ctx) const {
  if (ctx.api_key) return ctx.api_key->models;
  return std::nullopt;
}

net::awaitable<void> Gateway::handle(Request& request, HttpConnection& connection) {
  RequestContext ctx;
  ctx.id = request_id_from(request);
  ctx.start = Clock::now();
  ctx.version = request.version();
  for (const auto& field : request) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    ctx.headers[name] = std::string(field.value());
  }
  std::string_view target = request.target();
  const auto question = target.find('?');
  ctx.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) ctx.query = parse_query(target.substr(question + 1));

  co_await dispatch(request, connection, ctx);

  const unsigned status = connection.status();
  metrics_.add("prism_http_requests_total", {{"method", std::string(request.method_string())},
                                             {"status", std::to_string(status)}});
  log::info("request", {{"request_id", ctx.id},
                        {"method", std::string(request.method_string())},
                        {"path", ctx.path},
                        {"status", status},
                        {"duration_ms", std::round(ms_since(ctx.start) * 10) / 10}});
}

net::awaitable<void> Gateway::dispatch(Request& request, HttpConnection& connection, RequestContext& ctx) {
  if (ctx.path == "/v1/realtime") {
    co_await serve_realtime(*this, realtime_, request, connection, ctx);
    co_return;
  }
  if (ctx.path == "/v1/audio/transcriptions") {
    co_await audio_transcriptions(request, connection, ctx);
    co_return;
  }
  if (ctx.path == "/v1/audio/speech") {
    co_await audio_speech(request, connection, ctx);
    co_return;
  }
  std::optional<Response> response;
  try {
    response = route(request, ctx);
  } catch (const ApiError& e) {
    response = make_error_response(e, ctx.version, ctx.id);
  }
  if (response) {
    co_await connection.send(std::move(*response));
  } else {
    co_await chat_completions(request, connection, ctx);
  }
}

std::optional<Response> Gateway::route(const Request& request, RequestContext& ctx) {
  const auto method = request.method();
  const std::string& path = ctx.path;
  auto require = [&](http::verb expected) {
    if (method != expected)
      throw ApiError(http::status::method_not_allowed,
                     "use " + std::string(http::to_string(expected)) + " for " + path);
  };

  // Unauthenticated: liveness and metrics.
  if (path == "/health") {
    require(http::verb::get);
    return health(ctx);
  }
  if (path == "/metrics") {
    require(http::verb::get);
    return metrics_response(ctx);
  }
  // Unauthenticated too: the playground page, which asks for the key itself.
  if (config_.server.playground) {
    if (path == "/playground.json") {
      require(http::verb::get);
      return playground_settings(ctx);
    }
    if (path.rfind("/v1/", 0) != 0)
      if (auto page = playground_.serve(request, path)) return page;
  }

  ctx.api_key = authenticate(ctx, "");

  if (path == "/v1/chat/completions") {
    require(http::verb::post);
    return std::nullopt;  // served as a coroutine: it may stream
  }
  if (path == "/v1/models") {
    require(http::verb::get);
    return list_models(ctx);
  }
  if (path.rfind("/v1/models/", 0) == 0) {
    require(http::verb::get);
    const std::string id = path.substr(11);
    for (auto& entry : routed_model_entries())
      if (entry["id"] == id) return make_json_response(http::status::ok, entry, ctx.version, ctx.id);
    const auto* m = router_->catalog().find(id);
    const auto permitted = permitted_models(ctx);
    if (!m || (permitted && !permitted->count(id)))
      throw ApiError(http::status::not_found, "the model '" + id + "' does not exist", "invalid_request_error",
                     "model", "model_not_found");
    return make_json_response(http::status::ok,
                              {{"id", m->id}, {"object", "model"}, {"created", 0}, {"owned_by", m->backend}},
                              ctx.version, ctx.id);
  }
  if (path == "/v1/router/explain") {
    require(http::verb::post);
    return explain(request, ctx);
  }
  if (path == "/v1/router/decisions") {
    require(http::verb::get);
    return list_decisions(ctx);
  }
  if (path.rfind("/v1/router/decisions/", 0) == 0) {
    require(http::verb::get);
    return get_decision(ctx, path.substr(21));
  }
  throw ApiError(http::status::not_found, "unknown URL: " + std::string(request.method_string()) + " " + path,
                 "invalid_request_error", std::nullopt, "unknown_url");
}

Response Gateway::metrics_response(const RequestContext& ctx) {
  metrics_.set("prism_inflight_requests", {}, inflight_.load());
  for (const auto& m : router_->catalog().models()) {
    const auto h = router_->health().snapshot(m.id);
    metrics_.set("prism_model_inflight", {{"model", m.id}}, h.in_flight);
    metrics_.set("prism_model_circuit_open", {{"model", m.id}}, h.circuit == router::CircuitState::open ? 1 : 0);
  }
  for (const auto& [id, backend] : backends_)
    if (auto* local = dynamic_cast<backends::LocalBackend*>(backend.get()))
      record_engine_metrics(metrics_, id, local->engine().serving_stats());
  voice::RecognizerPool& wideband = voice::RecognizerPool::shared();
  voice::RecognizerPool& narrowband = voice::narrowband_recognizers();
  metrics_.set("prism_voice_recognizers_in_use", {}, static_cast<double>(wideband.in_use_count() + narrowband.in_use_count()));
  metrics_.set("prism_voice_recognizers_started", {}, static_cast<double>(wideband.total_count() + narrowband.total_count()));
  // The pools count restarts themselves; the counter gets what is new since
  // the last scrape (a CAS, so two scrapes at once never add it twice).
  const uint64_t restarts = wideband.worker_restarts() + narrowband.worker_restarts();
  uint64_t reported = recognizer_restarts_reported_.load();
  while (restarts > reported && !recognizer_restarts_reported_.compare_exchange_weak(reported, restarts)) {}
  if (restarts > reported)
    metrics_.add("prism_voice_recognizer_worker_restarts_total", {}, static_cast<double>(restarts - reported));
  Response res{http::status::ok, ctx.version};
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = metrics_.render();
  return res;
}

Response Gateway::health(const RequestContext& ctx) {
  nlohmann::json body = {{"status", draining_ ? "draining" : "ok"},
                         {"uptime_s", std::round(ms_since(started_) / 100) / 10},
                         {"models", router_->catalog().models().size()},
                         {"inflight_requests", inflight_.load()}};
  return make_json_response(draining_ ? http::status::service_unavailable : http::status::ok, body, ctx.version, ctx.id);
}

Response Gateway::list_models(const RequestContext& ctx) {
  const auto permitted = permitted_models(ctx);
  nlohmann::json data = nlohmann::json::array();
  for (const auto& m : router_->catalog().models()) {
    if (permitted && !permitted->count(m.id)) continue;
    data.push_back({{"id", m.id},
                    {"object", "model"},
                    {"created", 0},
                    {"owned_by", m.backend == "local" ? "prism-local" : "upstream"},
                    {"capabilities", m.capabilities},
                    {"context_window", m.context_window},
                    {"price_input", m.price_input},
                    {"price_output", m.price_output},
                    {"quality", m.quality}});
  }
  for (auto& entry : routed_model_entries()) data.push_back(std::move(entry));
  return make_json_response(http::status::ok, {{"object", "list"}, {"data", data}}, ctx.version, ctx.id);
}

std::vector<nlohmann::json> Gateway::routed_model_entries() const {
  // Clients that build a model picker from /v1/models (the playground, Open
  // WebUI) then offer the router too; "routing" is what it starts from.
  auto entry = [&](const std::string& id, router::Constraints constraints) {
    if (!constraints.mode) constraints.mode = router_->settings().default_mode;
    return nlohmann::json{{"id", id},           {"object", "model"},
                          {"created", 0},       {"owned_by", "prism-router"},
                          {"routing", constraints.to_json()}};
  };
  std::vector<nlohmann::json> out = {entry("router", {})};
  for (const auto& [name, constraints] : router_->settings().profiles) out.push_back(entry("router:" + name, constraints));
  return out;
}

Response Gateway::playground_settings(const RequestContext& ctx) {
  // What the page must know before its first API call: whether to ask for a
  // key, and the body limit (so an oversized file is refused before upload).
  Response res = make_json_response(http::status::ok,
                                    {{"object", "prism.playground.settings"},
                                     {"api_key_required", api_keys_.enabled()},
                                     {"max_body_bytes", config_.server.max_body_bytes}},
                                    ctx.version, ctx.id);
  res.set(http::field::cache_control, "no-store");
  return res;
}

router::RouteRequest Gateway::route_request(const nlohmann::json& body, const RequestContext& ctx) const {
  router::RouteRequest rr;
  rr.body = &body;
  rr.headers = ctx.headers;
  rr.request_id = ctx.id;
  rr.api_key_name = ctx.api_key ? ctx.api_key->name : "";
  rr.permitted = permitted_models(ctx);
  rr.stream = body.value("stream", false);
  return rr;
}

Response Gateway::explain(const Request& request, const RequestContext& ctx) {
  nlohmann::json body = parse_chat_request(request.body());
  const std::string model = body["model"].get<std::string>();
  if (!router::is_routed_model_name(model) && !router_->catalog().find(model))
    throw ApiError{http::status::not_found, "the model '" + model + "' does not exist", "invalid_request_error",
                   "model", "model_not_found"};
  router::Decision d;
  try {
    d = router_->decide(route_request(body, ctx));
  } catch (const InvalidInput& e) {
    throw bad_request(e.what(), "routing", "invalid_value");
  }
  nlohmann::json order = nlohmann::json::array();
  for (const auto* c : d.ranking.eligible()) {
    if (static_cast<int>(order.size()) >= router_->settings().max_attempts) break;
    order.push_back(c->model->id);
  }
  d.record["object"] = "router.explanation";
  d.record["would_try"] = order;
  d.record.erase("attempts");
  return make_json_response(http::status::ok, d.record, ctx.version, ctx.id);
}

Response Gateway::list_decisions(const RequestContext& ctx) {
  std::size_t limit = 20;
  if (auto it = ctx.query.find("limit"); it != ctx.query.end()) {
    try {
      limit = std::clamp<std::size_t>(std::stoul(it->second), 1, 1000);
    } catch (const std::exception&) {
      throw bad_request("limit must be an integer within 1..1000", "limit", "invalid_value");
    }
  }
  const std::string model = ctx.query.count("model") ? ctx.query.at("model") : "";
  return make_json_response(http::status::ok,
                            {{"object", "list"}, {"data", router_->decisions().recent(limit, model)}}, ctx.version,
                            ctx.id);
}

Response Gateway::get_decision(const RequestContext& ctx, const std::string& id) {
  auto record = router_->decisions().find(id);
  if (!record)
    throw ApiError{http::status::not_found, "no decision with id '" + id + "' (the ring keeps the latest " +
                                                std::to_string(config_.server.decision_ring_size) + ")",
                   "invalid_request_error", "id", "decision_not_found"};
  return make_json_response(http::status::ok, *record, ctx.version, ctx.id);
}

}  // namespace prism::server
