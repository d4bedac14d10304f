// POST /v1/chat/completions: validate, decide (routed or direct), then try
// the ranked candidates in order until one answers, falling back on connect
// errors, 5xx, 429 and first-token timeouts as long as nothing has been
// streamed to the client. Every step lands in the decision record.
#include <boost/asio/use_awaitable.hpp>
#include <cmath>

#include "backends/local_backend.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "server/chat_request.h"
#include "server/gateway.h"

#include "backends/local_backend.h"

namespace prism::server {
namespace {

using Clock = std::chrono::steady_clock;

double round1(double v) { return std::round(v * 10) / 10; }

// Explains, in one line per model, why no candidate was left.
std::string unroutable_message(const router::Decision& d) {
  std::string msg = "no model satisfies the request's constraints:";
  for (const auto& c : d.ranking.candidates) msg += " " + c.model->id + ": " + c.exclusion_reason + ";";
  if (d.ranking.candidates.empty()) msg += " the catalog is empty;";
  msg.pop_back();
  return msg;
}

// Decrements a counter when the request ends, however it ends.
struct InflightGuard {
  std::atomic<int>& counter;
  ~InflightGuard() { --counter; }
};

}  // namespace

router::Decision Gateway::prepare_chat(const nlohmann::json& body, const RequestContext& ctx) {
  const std::string model = body["model"].get<std::string>();
  const auto permitted = permitted_models(ctx);
  if (!router::is_routed_model_name(model)) {
    if (!router_->catalog().find(model))
      throw ApiError{http::status::not_found, "the model '" + model + "' does not exist", "invalid_request_error",
                     "model", "model_not_found"};
    if (permitted && !permitted->count(model))
      throw ApiError{http::status::forbidden, "this API key may not use the model '" + model + "'",
                     "permission_error", "model", "model_not_permitted"};
  }
  if (draining_) {
    ApiError e{http::status::service_unavailable, "the server is shutting down", "server_error"};
    e.retry_after_s = 1;
    throw e;
  }
  if (inflight_.load() >= config_.server.max_inflight_requests) {
    metrics_.add("prism_rejected_total", {{"reason", "saturated"}});
    ApiError e{http::status::too_many_requests,
               "the server is saturated (" + std::to_string(config_.server.max_inflight_requests) +
                   " requests in progress); retry shortly",
               "rate_limit_error", std::nullopt, "server_saturated"};
    e.retry_after_s = 1;
    throw e;
  }
  // The local engines' queues as they are now, for the router's latency estimates.
  for (const auto& [id, backend] : backends_)
    if (auto* local = dynamic_cast<backends::LocalBackend*>(backend.get()))
      router_->health().set_queue_wait(id, local->engine().serving_stats().batch.expected_wait_s * 1000);
  try {
    return router_->decide(route_request(body, ctx));
  } catch (const InvalidInput& e) {
    throw bad_request(e.what(), "routing", "invalid_value");
  }
}

net::awaitable<void> Gateway::chat_completions(Request& request, HttpConnection& connection, RequestContext& ctx) {
  std::optional<ApiError> early;
  nlohmann::json body;
  router::Decision decision;
  try {
    body = parse_chat_request(request.body());
    decision = prepare_chat(body, ctx);
  } catch (const ApiError& e) {
    early = e;
  }
  if (early) {
    co_await connection.send(make_error_response(*early, ctx.version, ctx.id));
    co_return;
  }
  const bool stream = body.value("stream", false);
  const std::string decision_id = decision.id;
  auto stream_headers = [&](const std::string& model_id) {
    http::fields headers;
    headers.set("x-request-id", ctx.id);
    headers.set("x-prism-decision-id", decision_id);
    headers.set("x-prism-model", model_id);
    return headers;
  };
  // Streamed chunks go to the client as they come; the response starts with
  // the first one, which is what closes the door on fallbacks.
  auto sink = [&](const router::ModelEntry& model, nlohmann::json& chunk) -> net::awaitable<bool> {
    if (!connection.event_stream_started() &&
        !co_await connection.start_event_stream(stream_headers(model.id), ctx.version, true))
      co_return false;
    co_return co_await connection.send_event(chunk.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
  ChatRun run = co_await run_chat(std::move(body), std::move(decision), ctx, sink);

  if (run.ok) {
    if (stream) {
      bool alive = connection.event_stream_started() ||  // an empty stream is still a valid one
                   co_await connection.start_event_stream(stream_headers(run.model->id), ctx.version, true);
      if (alive && co_await connection.send_event("[DONE]")) co_await connection.end_event_stream();
    } else {
      run.outcome.response["model"] = run.model->id;
      Response res = make_json_response(http::status::ok, run.outcome.response, ctx.version, ctx.id);
      res.set("x-prism-decision-id", decision_id);
      res.set("x-prism-model", run.model->id);
      co_await connection.send(std::move(res));
    }
    co_return;
  }
  if (run.client_gone) co_return;
  if (connection.event_stream_started()) {
    // Too late to fall back: end the stream with an error event. The stream
    // ends with its last chunk, as its headers (keep-alive) promised, so the
    // connection stays usable: a client reuses it at once.
    co_await connection.send_event(run.error->body().dump());
    co_await connection.end_event_stream();
    co_return;
  }
  Response res = make_error_response(*run.error, ctx.version, ctx.id);
  res.set("x-prism-decision-id", decision_id);
  co_await connection.send(std::move(res));
}

net::awaitable<Gateway::ChatRun> Gateway::run_chat(nlohmann::json body, router::Decision decision,
                                                   const RequestContext& ctx, ChunkSink sink) {
  ChatRun run;
  ++inflight_;
  InflightGuard guard{inflight_};
  auto& decisions = router_->decisions();
  decisions.open(decision.record);
  const bool stream = body.value("stream", false);
  const auto eligible = decision.ranking.eligible();

  if (eligible.empty()) {
    metrics_.add("prism_router_unroutable_total", {{"route", decision.route}});
    ApiError e{http::status::unprocessable_entity, unroutable_message(decision), "invalid_request_error",
               std::nullopt, "no_model_satisfies_constraints"};
    e.extra["decision_id"] = decision.id;
    e.extra["decision"] = decision.record;
    decisions.finish(decision.id, {{"outcome", {{"status", "unroutable"}, {"http_status", 422}}}});
    run.error = e;
    co_return run;
  }
  metrics_.add("prism_router_choices_total", {{"route", decision.route}, {"model", eligible.front()->model->id}});

  const bool direct = decision.route == "direct";
  const int max_attempts = direct ? 1 : router_->settings().max_attempts;
  std::optional<backends::BackendFailure> last_failure;
  std::string last_model;
  int attempts = 0;
  bool client_gone = false;

  for (const router::Candidate* candidate : eligible) {
    if (attempts >= max_attempts) break;
    const router::ModelEntry& model = *candidate->model;
    const auto attempt_start = Clock::now();
    if (!router_->health().try_begin(model.id) && !direct) {
      // Became unavailable since the decision (e.g. another request opened its circuit).
      decisions.update(decision.id, [&](nlohmann::json& r) {
        r["attempts"].push_back({{"model", model.id}, {"skipped", "unavailable when its turn came (circuit or rate limit)"}});
      });
      continue;
    }
    ++attempts;
    if (attempts > 1) metrics_.add("prism_fallbacks_total", {{"from", last_model}, {"to", model.id}});
    last_model = model.id;

    backends::ChatCall call;
    call.body = body;
    call.body.erase("routing");
    call.body["model"] = model.upstream_model.empty() ? model.id : model.upstream_model;
    call.stream = stream;
    call.request_id = ctx.id;
    const bool flex = body.contains("service_tier") && body["service_tier"] == "flex";
    call.priority = ctx.path == "/v1/realtime" ? "realtime" : flex ? "batch" : "interactive";

    auto on_chunk = [&](nlohmann::json& chunk) -> net::awaitable<bool> {
      chunk["model"] = model.id;
      run.streamed = true;
      co_return co_await sink(model, chunk);
    };

    backends::ChatOutcome outcome = co_await backends_.at(model.id)->chat(std::move(call), on_chunk);
    const double elapsed = ms_since(attempt_start);

    if (!outcome.failure) {
      router_->health().record_success(model.id, outcome.ttft_ms, elapsed);
      const std::int64_t prompt_tokens = outcome.usage_reported ? outcome.prompt_tokens : decision.analysis.prompt_tokens;
      const std::int64_t completion_tokens = outcome.completion_tokens;
      const double cost = model.estimated_cost_usd(prompt_tokens, completion_tokens);
      decisions.update(decision.id, [&](nlohmann::json& r) {
        r["attempts"].push_back({{"model", model.id}, {"result", "ok"}, {"elapsed_ms", round1(elapsed)}});
      });
      decisions.finish(decision.id, {{"chosen", model.id},
                                     {"outcome",
                                      {{"status", "ok"},
                                       {"http_status", 200},
                                       {"model", model.id},
                                       {"time_to_first_token_ms", round1(outcome.ttft_ms)},
                                       {"total_ms", round1(ms_since(ctx.start))},
                                       {"prompt_tokens", prompt_tokens},
                                       {"completion_tokens", completion_tokens},
                                       {"usage_estimated", !outcome.usage_reported},
                                       {"cost_usd", cost},
                                       {"finish_reason", outcome.finish_reason}}}});
      const Labels labels = {{"model", model.id}};
      metrics_.add("prism_requests_total", {{"model", model.id}, {"route", decision.route}, {"outcome", "ok"}});
      metrics_.observe("prism_request_duration_seconds", labels, elapsed / 1000);
      metrics_.observe("prism_time_to_first_token_seconds", labels, outcome.ttft_ms / 1000);
      metrics_.add("prism_tokens_total", {{"model", model.id}, {"direction", "prompt"}}, static_cast<double>(prompt_tokens));
      metrics_.add("prism_tokens_total", {{"model", model.id}, {"direction", "completion"}},
                   static_cast<double>(completion_tokens));
      metrics_.add("prism_cost_usd_total", labels, cost);
      run.ok = true;
      run.model = &model;
      run.outcome = std::move(outcome);
      co_return run;
    }

    const backends::BackendFailure& failure = *outcome.failure;
    if (failure.kind == backends::FailureKind::client_gone) {
      router_->health().record_abandoned(model.id);
      client_gone = true;
    } else if (failure.kind == backends::FailureKind::overloaded) {
      router_->health().record_abandoned(model.id);  // busy, not broken: its circuit stays closed
    } else if (failure.kind == backends::FailureKind::http_status && failure.http_status == 429) {
      router_->health().record_rate_limited(model.id, failure.retry_after.value_or(std::chrono::milliseconds(1000)));
    } else if (failure.retryable()) {
      router_->health().record_failure(model.id);
    } else {
      router_->health().record_abandoned(model.id);  // the request's fault, not the model's
    }
    metrics_.add("prism_request_errors_total", {{"model", model.id}, {"kind", backends::to_string(failure.kind)}});
    log::warn("attempt failed", {{"request_id", ctx.id},
                                 {"model", model.id},
                                 {"kind", backends::to_string(failure.kind)},
                                 {"http_status", failure.http_status},
                                 {"error", failure.message}});
    decisions.update(decision.id, [&](nlohmann::json& r) {
      nlohmann::json a = {{"model", model.id},
                          {"result", "error"},
                          {"error_kind", backends::to_string(failure.kind)},
                          {"error", failure.message},
                          {"elapsed_ms", round1(elapsed)},
                          {"streamed_before_failure", outcome.streamed_any}};
      if (failure.http_status) a["http_status"] = failure.http_status;
      if (failure.retry_after) a["retry_after_ms"] = failure.retry_after->count();
      r["attempts"].push_back(a);
    });
    last_failure = failure;
    if (client_gone) break;
    if (outcome.streamed_any) {  // too late to fall back
      run.error = ApiError{http::status::bad_gateway, "the model failed mid-stream: " + failure.message,
                           "server_error", std::nullopt, "upstream_stream_interrupted"};
      break;
    }
    if (!failure.retryable()) break;
  }

  // Nothing succeeded.
  run.client_gone = client_gone;
  const bool streamed = run.streamed;
  nlohmann::json outcome = {{"status", client_gone ? "client_disconnected" : "failed"},
                            {"model", last_model.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_model)},
                            {"total_ms", round1(ms_since(ctx.start))},
                            {"attempts", attempts}};
  metrics_.add("prism_requests_total", {{"model", last_model.empty() ? "none" : last_model},
                                        {"route", decision.route},
                                        {"outcome", client_gone ? "client_disconnected" : "failed"}});
  if (client_gone || streamed) {
    outcome["http_status"] = 200;
    decisions.finish(decision.id, {{"outcome", outcome}});
    co_return run;
  }

  ApiError e;
  e.extra["decision_id"] = decision.id;
  if (last_failure && !last_failure->retryable() && last_failure->kind == backends::FailureKind::http_status) {
    // The upstream rejected the request itself: pass its answer on.
    e.status = static_cast<http::status>(last_failure->http_status);
    e.message = last_failure->message;
    if (last_failure->upstream_error.is_object()) {
      e.message = last_failure->upstream_error.value("message", e.message);
      const auto& p = last_failure->upstream_error.value("param", nlohmann::json());
      const auto& c = last_failure->upstream_error.value("code", nlohmann::json());
      if (p.is_string()) e.param = p.get<std::string>();
      if (c.is_string()) e.code = c.get<std::string>();
    }
  } else if (last_failure && last_failure->kind == backends::FailureKind::overloaded) {
    // The local engine is full and nothing else could take the request.
    e.status = http::status::too_many_requests;
    e.type = "rate_limit_error";
    e.code = "engine_overloaded";
    e.message = last_failure->message;
    const auto ms = last_failure->retry_after.value_or(std::chrono::milliseconds(1000)).count();
    e.retry_after_s = static_cast<int>(std::max<long long>(1, (ms + 999) / 1000));
  } else if (last_failure && last_failure->kind == backends::FailureKind::invalid_input) {
    e.status = http::status::bad_request;
    e.message = last_failure->message;
    e.code = "invalid_input";
  } else {
    const bool timeout = last_failure && (last_failure->kind == backends::FailureKind::first_token_timeout ||
                                          last_failure->kind == backends::FailureKind::total_timeout);
    e.status = timeout ? http::status::gateway_timeout : http::status::bad_gateway;
    e.type = "server_error";
    e.code = timeout ? "upstream_timeout" : "upstream_failed";
    e.message = attempts == 0 ? "every candidate model became unavailable before it could be tried"
                              : "all " + std::to_string(attempts) + " attempted model(s) failed; last error (" +
                                    last_model + "): " + (last_failure ? last_failure->message : "unknown");
  }
  outcome["http_status"] = static_cast<int>(e.status);
  decisions.finish(decision.id, {{"outcome", outcome}});
  run.error = e;
  co_return run;
}

}  // namespace prism::server
