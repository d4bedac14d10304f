#include "backends/local_backend.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"

namespace prism::backends {
namespace {

using Clock = std::chrono::steady_clock;

// What the worker thread and the request's coroutine share.
struct Channel {
  explicit Channel(const net::any_io_executor& ex) : timer(ex), executor(ex) {}
  std::mutex mutex;
  std::deque<std::string> deltas;
  bool done = false;
  std::optional<runtime::GenerationResult> result;
  std::optional<BackendFailure> failure;
  std::atomic<bool> cancel{false};
  std::shared_ptr<runtime::SequenceHandle> sequence;  // once submitted (guarded by mutex)
  net::steady_timer timer;
  net::any_io_executor executor;

  // Wakes the coroutine; runs on its executor, so a wake-up is never lost
  // between its check of the queue and its wait.
  void wake(const std::shared_ptr<Channel>& self) {
    net::post(executor, [self] { self->timer.cancel(); });
  }
  // Stops the sequence wherever it is (queued, reading its prompt,
  // decoding): it leaves the batch at the engine's next step.
  void stop() {
    cancel = true;
    std::lock_guard<std::mutex> lock(mutex);
    if (sequence) sequence->cancel = true;
  }
};

nlohmann::json make_chunk(const std::string& id, long long created, const std::string& model,
                          const nlohmann::json& delta, const nlohmann::json& finish_reason) {
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", created},
          {"model", model},
          {"choices", nlohmann::json::array({{{"index", 0},
                                              {"delta", delta},
                                              {"logprobs", nullptr},
                                              {"finish_reason", finish_reason}}})}};
}

}  // namespace

runtime::GenerationParams generation_params_from_request(const nlohmann::json& body) {
  runtime::GenerationParams p;
  p.skip_special_tokens = true;  // an answer, not a transcript of the model's tokens
  if (body.contains("max_completion_tokens") && body["max_completion_tokens"].is_number_integer())
    p.max_tokens = body["max_completion_tokens"].get<int>();
  else if (body.contains("max_tokens") && body["max_tokens"].is_number_integer())
    p.max_tokens = body["max_tokens"].get<int>();
  auto number = [&](const char* key, float& target) {
    if (body.contains(key) && body[key].is_number()) target = body[key].get<float>();
  };
  // OpenAI's default temperature is 1; a local model answers greedily unless asked.
  number("temperature", p.temperature);
  number("top_p", p.top_p);
  number("min_p", p.min_p);
  number("repetition_penalty", p.repetition_penalty);
  if (body.contains("top_k") && body["top_k"].is_number_integer()) p.top_k = body["top_k"].get<int>();
  if (body.contains("seed") && body["seed"].is_number_integer()) p.seed = body["seed"].get<std::uint64_t>();
  if (body.contains("stop")) {
    const auto& stop = body["stop"];
    if (stop.is_string()) p.stop.push_back(stop.get<std::string>());
    if (stop.is_array()) {
      for (const auto& s : stop) {
        if (!s.is_string()) throw InvalidInput("stop must be a string or an array of strings");
        p.stop.push_back(s.get<std::string>());
      }
    }
  }
  if (body.contains("n") && body["n"].is_number_integer() && body["n"].get<int>() != 1)
    throw InvalidInput("n must be 1 for local models");
  return p;
}

LocalBackend::LocalBackend(std::string model_id, std::unique_ptr<runtime::VlmEngine> engine,
                           runtime::MediaPolicy policy, int total_timeout_ms, std::chrono::milliseconds queue_timeout,
                           std::size_t max_pending)
    : model_id_(std::move(model_id)),
      engine_(std::move(engine)),
      policy_(std::move(policy)),
      total_timeout_ms_(total_timeout_ms),
      queue_timeout_(queue_timeout),
      max_pending_(max_pending),
      worker_([this] { worker_loop(); }) {}

LocalBackend::~LocalBackend() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

bool LocalBackend::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (jobs_.size() >= max_pending_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void LocalBackend::worker_loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

net::awaitable<ChatOutcome> LocalBackend::chat(ChatCall call, ChunkHandler on_chunk) {
  const auto start = Clock::now();
  ChatOutcome out;
  runtime::GenerationParams params;
  try {
    params = generation_params_from_request(call.body);
  } catch (const InvalidInput& e) {
    out.failure = BackendFailure{FailureKind::invalid_input, 400, std::nullopt, e.what(), nullptr};
    co_return out;
  }

  runtime::SubmitOptions options;
  options.priority = runtime::priority_from_string(call.priority);
  options.keep_prompt_logits = false;
  auto channel = std::make_shared<Channel>(co_await net::this_coro::executor);
  const nlohmann::json messages = call.body["messages"];
  const bool queued = post([this, channel, messages, params, options, start]() mutable {
    // A request that cannot get a place leaves as overloaded (429) a little
    // before its total timeout would turn it into a 504.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        start + std::chrono::milliseconds(total_timeout_ms_) - Clock::now() - std::chrono::milliseconds(500));
    options.queue_timeout = std::clamp(left, std::chrono::milliseconds(0), queue_timeout_);
    auto finish = [channel](std::optional<runtime::GenerationResult> result, std::optional<BackendFailure> failure) {
      {
        std::lock_guard<std::mutex> lock(channel->mutex);
        channel->result = std::move(result);
        channel->failure = std::move(failure);
        channel->done = true;
      }
      channel->wake(channel);
    };
    if (channel->cancel.load()) return finish(std::nullopt, std::nullopt);
    auto on_delta = [channel](std::string_view text) {
      {
        std::lock_guard<std::mutex> lock(channel->mutex);
        channel->deltas.emplace_back(text);
      }
      channel->wake(channel);
      return !channel->cancel.load();
    };
    auto on_done = [finish](runtime::GenerationResult r) {
      if (!r.error) return finish(std::move(r), std::nullopt);
      if (r.overloaded)
        return finish(std::nullopt, BackendFailure{FailureKind::overloaded, 429, r.retry_after, *r.error, nullptr});
      if (r.invalid_input)
        return finish(std::nullopt, BackendFailure{FailureKind::invalid_input, 400, std::nullopt, *r.error, nullptr});
      finish(std::nullopt, BackendFailure{FailureKind::internal, 0, std::nullopt, *r.error, nullptr});
    };
    try {
      auto handle = engine_->submit(messages, params, policy_, options, on_delta, on_done);
      std::lock_guard<std::mutex> lock(channel->mutex);
      channel->sequence = std::move(handle);
      if (channel->cancel.load()) channel->sequence->cancel = true;
    } catch (const InvalidInput& e) {
      finish(std::nullopt, BackendFailure{FailureKind::invalid_input, 400, std::nullopt, e.what(), nullptr});
    } catch (const std::exception& e) {
      finish(std::nullopt, BackendFailure{FailureKind::internal, 0, std::nullopt,
                                          std::string("local engine failed: ") + e.what(), nullptr});
    }
  });
  if (!queued) {
    out.failure = BackendFailure{FailureKind::overloaded, 429, std::chrono::milliseconds(1000),
                                 "the local engine is at capacity: " + std::to_string(max_pending_) +
                                     " requests are waiting for their prompt to be read",
                                 nullptr};
    co_return out;
  }

  const std::string id = "chatcmpl-" + call.request_id;
  const long long created = unix_time_seconds();
  const auto deadline = start + std::chrono::milliseconds(total_timeout_ms_);
  std::string text;
  bool sent_role = false;
  for (;;) {
    std::deque<std::string> batch;
    bool done;
    {
      std::lock_guard<std::mutex> lock(channel->mutex);
      batch.swap(channel->deltas);
      done = channel->done;
    }
    for (auto& delta : batch) {
      text += delta;
      if (!call.stream || delta.empty() || channel->cancel.load()) continue;
      nlohmann::json d = {{"content", delta}};
      if (!sent_role) d["role"] = "assistant";
      auto chunk = make_chunk(id, created, model_id_, d, nullptr);
      if (!out.streamed_any) out.ttft_ms = ms_since(start);
      out.streamed_any = true;
      sent_role = true;
      if (!co_await on_chunk(chunk)) channel->stop();
    }
    if (done) break;
    if (Clock::now() > deadline && !channel->cancel.load()) {
      channel->stop();
      out.failure = BackendFailure{FailureKind::total_timeout, 0, std::nullopt,
                                   "generation not complete within " + std::to_string(total_timeout_ms_) + " ms",
                                   nullptr};
    }
    channel->timer.expires_after(std::chrono::milliseconds(50));
    boost::system::error_code ec;
    co_await channel->timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }

  if (out.failure) co_return out;  // timed out
  if (channel->cancel.load()) {
    out.failure = BackendFailure{FailureKind::client_gone, 0, std::nullopt, "the client disconnected mid-stream", nullptr};
    co_return out;
  }
  if (channel->failure) {
    out.failure = channel->failure;
    co_return out;
  }
  const runtime::GenerationResult& r = *channel->result;
  out.prompt_tokens = static_cast<std::int64_t>(r.input_ids.size());
  out.completion_tokens = static_cast<std::int64_t>(r.output_ids.size());
  out.usage_reported = true;
  out.finish_reason = r.finish_reason == "length" ? "length" : "stop";
  const nlohmann::json usage = {{"prompt_tokens", out.prompt_tokens},
                                {"completion_tokens", out.completion_tokens},
                                {"total_tokens", out.prompt_tokens + out.completion_tokens},
                                // Prompt tokens served from the prefix cache.
                                {"prompt_tokens_details", {{"cached_tokens", r.reused_prompt_tokens}}}};
  if (call.stream) {
    nlohmann::json d = nlohmann::json::object();
    if (!sent_role) d["role"] = "assistant";
    auto last = make_chunk(id, created, model_id_, d, out.finish_reason);
    if (!out.streamed_any) out.ttft_ms = ms_since(start);
    out.streamed_any = true;
    bool alive = co_await on_chunk(last);
    const auto& so = call.body.value("stream_options", nlohmann::json());
    if (alive && so.is_object() && so.value("include_usage", false)) {
      nlohmann::json usage_chunk = make_chunk(id, created, model_id_, nlohmann::json::object(), nullptr);
      usage_chunk["choices"] = nlohmann::json::array();
      usage_chunk["usage"] = usage;
      alive = co_await on_chunk(usage_chunk);
    }
    if (!alive)
      out.failure = BackendFailure{FailureKind::client_gone, 0, std::nullopt, "the client disconnected", nullptr};
    co_return out;
  }
  out.ttft_ms = ms_since(start);
  out.response = {{"id", id},
                  {"object", "chat.completion"},
                  {"created", created},
                  {"model", model_id_},
                  {"choices", nlohmann::json::array({{{"index", 0},
                                                      {"message", {{"role", "assistant"}, {"content", r.text}, {"refusal", nullptr}}},
                                                      {"logprobs", nullptr},
                                                      {"finish_reason", out.finish_reason}}})},
                  {"usage", usage}};
  co_return out;
}

}  // namespace prism::backends
