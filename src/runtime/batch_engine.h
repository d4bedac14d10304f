// The engine loop of one local model (continuous batching): a thread that
// steps every running sequence together — one decode token each and a chunk
// of the prompts still being read, in one forward pass — and lets new
// sequences join and finished, cancelled or expired ones leave between
// steps. The KV cache is a fixed pool of blocks (block_manager.h) shared
// through the prefix cache; when it is full, requests wait in a bounded
// queue for a bounded time and are then turned away (429).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "models/smolvlm.h"
#include "runtime/block_manager.h"
#include "runtime/model_runner.h"
#include "runtime/scheduler.h"
#include "runtime/sequence.h"

namespace prism::runtime {

struct BatchEngineSettings {
  // 0: default_kv_cache_bytes(). A pool not set by the user is also cut to
  // twice what max_running sequences at the model's full context use (room
  // for them and as much again for the prefix cache): a small model with a
  // short context need not hold gigabytes.
  std::int64_t kv_cache_bytes = 0;
  bool kv_cache_is_default = true;
  int max_running = 16;
  int max_waiting = 64;
  std::int64_t prefill_chunk = 128;
};

// A quarter of the machine's memory, at most 4 GiB, at least 64 MiB.
std::int64_t default_kv_cache_bytes();

// Upper bounds of the buckets that count steps by how many sequences their
// forward pass held.
inline constexpr std::array<int, 7> kStepSequenceBounds = {1, 2, 4, 8, 16, 32, 64};

struct BatchEngineStats {
  int running = 0, waiting = 0;
  BlockManagerStats blocks;
  std::uint64_t steps = 0, step_rows = 0;  // totals
  // Forward passes by sequences in them: one count per kStepSequenceBounds
  // bucket (not cumulative), the last for more; and the sequences summed.
  std::array<std::uint64_t, kStepSequenceBounds.size() + 1> steps_by_sequences{};
  std::uint64_t step_sequences = 0;
  double step_seconds = 0;                 // total time in steps
  std::int64_t last_batch_rows = 0;
  std::uint64_t prompt_tokens = 0, cached_prompt_tokens = 0, generated_tokens = 0;
  std::uint64_t overloaded = 0;            // requests turned away
  double expected_wait_s = 0;              // for a request arriving now
};

class BatchEngine {
 public:
  BatchEngine(const models::SmolVlmModel& model, BatchEngineSettings settings);
  ~BatchEngine();  // every sequence left is finished with an error
  BatchEngine(const BatchEngine&) = delete;
  BatchEngine& operator=(const BatchEngine&) = delete;

  // Queues a sequence; on_finish runs once, on the engine's thread (or on
  // this one when the engine is stopping). Throws prism::InvalidInput for
  // a prompt that can never run (empty, past the context window, more KV
  // blocks than the whole pool).
  std::shared_ptr<SequenceHandle> submit(SequenceRequest request, std::function<void(SequenceOutcome)> on_finish);

  BatchEngineStats stats() const;

 private:
  void loop();
  void step();
  void finish(Sequence* seq, std::string reason);
  void fail(std::unique_ptr<Sequence> seq, SequenceOutcome outcome);
  void sample(Sequence& seq);
  void publish_full_blocks(Sequence& seq);
  void start_prefill(Sequence& seq);
  // Seconds until a place opens for a request queued now: the waves of
  // max_running the queue ahead of it makes, each a mean sequence's time.
  double wait_for_place_s() const;
  std::chrono::milliseconds retry_after() const;

  const models::SmolVlmModel& model_;
  BatchEngineSettings settings_;
  BlockManager blocks_;
  Scheduler scheduler_;
  ModelRunner runner_;

  mutable std::mutex mutex_;  // guards inbox_, stopping_, stats_
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Sequence>> inbox_;
  bool stopping_ = false;
  BatchEngineStats stats_;
  std::uint64_t next_order_ = 0;
  double service_seconds_ = 1.0;  // moving average of submit-to-finish time
  std::thread thread_;
};

}  // namespace prism::runtime
