// A backend answers chat completion requests for one catalog model: an
// upstream OpenAI-compatible HTTP(S) endpoint or the in-process engine. The
// server calls chat() inside a coroutine; a backend never writes to the
// client itself, it hands each streamed chunk to the caller, so the caller
// decides when the client's response starts (and so whether a fallback is
// still possible).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

namespace prism::backends {

namespace net = boost::asio;

struct ChatCall {
  nlohmann::json body;      // OpenAI chat request, "model" already the backend's own name
  bool stream = false;
  std::string request_id;
  // Who goes first in a busy local engine: "realtime" (a voice turn),
  // "interactive" (a chat request) or "batch" (service_tier "flex").
  std::string priority = "interactive";
};

enum class FailureKind {
  connect,              // could not resolve / connect / handshake
  first_token_timeout,  // nothing arrived within first_token_timeout_ms
  total_timeout,        // the whole answer took longer than total_timeout_ms
  http_status,          // the backend answered with an error status
  protocol,             // malformed response or stream cut short
  client_gone,          // our own client disconnected; not the backend's fault
  invalid_input,        // the request itself is at fault (e.g. undecodable image)
  internal,             // local engine error
  overloaded,           // the local engine has no capacity now (429, Retry-After)
};
std::string to_string(FailureKind kind);

struct BackendFailure {
  FailureKind kind = FailureKind::internal;
  int http_status = 0;                               // for http_status
  std::optional<std::chrono::milliseconds> retry_after;
  std::string message;
  nlohmann::json upstream_error;                     // the upstream's error object, when it sent one

  // Whether another candidate may be tried (connect errors, timeouts, 5xx, 429).
  bool retryable() const;
};

struct ChatOutcome {
  std::optional<BackendFailure> failure;  // empty = success
  nlohmann::json response;                // non-stream: the chat.completion body
  bool streamed_any = false;              // a chunk was handed to the caller
  double ttft_ms = 0;                     // request start to first chunk / response
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  bool usage_reported = false;            // false = our estimate
  std::string finish_reason;
};

// Receives each chat.completion.chunk; returns false when the client is gone
// (the backend then stops and reports client_gone).
using ChunkHandler = std::function<net::awaitable<bool>(nlohmann::json& chunk)>;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual net::awaitable<ChatOutcome> chat(ChatCall call, ChunkHandler on_chunk) = 0;
};

}  // namespace prism::backends
