// Backend for a checkpoint run by the in-process engine. A request's prompt
// is built (media decoded) on the backend's worker thread, then joins the
// model's batching engine; text pieces cross from the engine's thread to
// the request's coroutine as they are produced and leave as OpenAI
// chat.completion chunks. No capacity left: an `overloaded` failure (429).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "backends/backend.h"
#include "runtime/vlm_engine.h"

namespace prism::backends {

class LocalBackend : public Backend {
 public:
  LocalBackend(std::string model_id, std::unique_ptr<runtime::VlmEngine> engine, runtime::MediaPolicy policy,
               int total_timeout_ms, std::chrono::milliseconds queue_timeout = std::chrono::milliseconds(30000),
               std::size_t max_pending = 80);
  ~LocalBackend() override;

  net::awaitable<ChatOutcome> chat(ChatCall call, ChunkHandler on_chunk) override;
  runtime::VlmEngine& engine() { return *engine_; }

 private:
  void worker_loop();
  // Queues a job for the worker; false when max_pending are already queued.
  bool post(std::function<void()> job);

  std::string model_id_;
  std::unique_ptr<runtime::VlmEngine> engine_;
  runtime::MediaPolicy policy_;
  int total_timeout_ms_;
  std::chrono::milliseconds queue_timeout_;
  std::size_t max_pending_;  // requests whose prompt is still to be built; more get 429
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread worker_;
};

// Reads the sampling fields of an OpenAI chat request. Throws prism::InvalidInput.
runtime::GenerationParams generation_params_from_request(const nlohmann::json& body);

}  // namespace prism::backends
