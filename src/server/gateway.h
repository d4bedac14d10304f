// The gateway: prism's OpenAI-compatible HTTP API over the router and the
// backends. One instance per server process; request handlers run as
// coroutines on the server's threads.
#pragma once

#include <atomic>
#include <functional>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "backends/backend.h"
#include "core/metrics.h"
#include "router/router.h"
#include "server/api_keys.h"
#include "server/config.h"
#include "server/http_connection.h"
#include "server/openai_error.h"
#include "server/playground_site.h"
#include "server/realtime_registry.h"

namespace prism::server {

// What a handler knows about the request it serves.
struct RequestContext {
  std::string id;
  std::chrono::steady_clock::time_point start;
  const ApiKey* api_key = nullptr;
  std::map<std::string, std::string> headers;  // lower-case names
  std::map<std::string, std::string> query;
  std::string path;
  unsigned version = 11;
};

class Gateway {
 public:
  // Builds the catalog (configured models plus discovered local checkpoints)
  // and one backend per model. Throws prism::Error on a bad setup.
  explicit Gateway(Config config);
  ~Gateway();

  net::awaitable<void> handle(Request& request, HttpConnection& connection);

  // The outcome of running one chat request through its decision.
  struct ChatRun {
    bool ok = false;
    const router::ModelEntry* model = nullptr;  // the model that answered
    backends::ChatOutcome outcome;              // non-stream: outcome.response is the body
    std::optional<ApiError> error;              // when !ok and the client is still there
    bool streamed = false;                      // a chunk reached the sink
    bool client_gone = false;
  };
  // Receives each streamed chunk ("model" already the catalog id); false = client gone.
  using ChunkSink = std::function<net::awaitable<bool>(const router::ModelEntry&, nlohmann::json&)>;

  // Validation beyond the body's shape (model known and permitted, server
  // not draining or saturated) and the routing decision. Throws ApiError.
  router::Decision prepare_chat(const nlohmann::json& body, const RequestContext& ctx);
  // Tries the decision's candidates in order, falling back while nothing
  // has been streamed; records attempts, outcome, health and metrics.
  net::awaitable<ChatRun> run_chat(nlohmann::json body, router::Decision decision, const RequestContext& ctx,
                                   ChunkSink sink);

  router::Router& router() { return *router_; }
  const Config& config() const { return config_; }
  MetricsRegistry& metrics() { return metrics_; }
  // Draining also closes realtime WebSockets with a close frame.
  void set_draining(bool draining);
  bool draining() const { return draining_.load(); }
  // The API key of a request (Authorization: Bearer, else `subprotocol_key`
  // from a WebSocket handshake); null when keys are off. Throws ApiError 401.
  const ApiKey* authenticate(const RequestContext& ctx, const std::string& subprotocol_key);
  int inflight() const { return inflight_.load(); }
  // Flushes the decision log (called at shutdown).
  void flush();

 private:
  net::awaitable<void> dispatch(Request& request, HttpConnection& connection, RequestContext& ctx);
  net::awaitable<void> chat_completions(Request& request, HttpConnection& connection, RequestContext& ctx);
  net::awaitable<void> audio_transcriptions(Request& request, HttpConnection& connection, RequestContext& ctx);
  net::awaitable<void> audio_speech(Request& request, HttpConnection& connection, RequestContext& ctx);
  // Every route but chat completions; nullopt = serve chat completions. Throws ApiError.
  std::optional<Response> route(const Request& request, RequestContext& ctx);
  Response metrics_response(const RequestContext& ctx);
  Response explain(const Request& request, const RequestContext& ctx);
  Response list_decisions(const RequestContext& ctx);
  Response get_decision(const RequestContext& ctx, const std::string& id);
  Response list_models(const RequestContext& ctx);
  // "router" and each "router:<profile>" as /v1/models entries.
  std::vector<nlohmann::json> routed_model_entries() const;
  Response health(const RequestContext& ctx);
  Response playground_settings(const RequestContext& ctx);
  void declare_metrics();
  std::optional<std::set<std::string>> permitted_models(const RequestContext& ctx) const;
  router::RouteRequest route_request(const nlohmann::json& body, const RequestContext& ctx) const;

  Config config_;
  ApiKeys api_keys_;
  net::ssl::context upstream_tls_;
  std::unique_ptr<router::Router> router_;
  std::map<std::string, std::unique_ptr<backends::Backend>> backends_;
  MetricsRegistry metrics_;
  std::atomic<int> inflight_{0};
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> recognizer_restarts_reported_{0};  // what the restarts counter has been given so far
  std::chrono::steady_clock::time_point started_;
  RealtimeRegistry realtime_;
  PlaygroundSite playground_;
  net::thread_pool speech_pool_{2};  // speech engines run here, off the io threads
};

}  // namespace prism::server
