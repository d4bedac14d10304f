// The scheduler of the batching engine: which waiting sequences join the
// batch (a place among max_running and, reserved up front, every KV block
// the sequence can need, so a running sequence never runs out), and what
// each step computes: one decode token per decoding sequence plus a chunk
// of prompt for those still prefilling, highest priority first.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/block_manager.h"
#include "runtime/sequence.h"

namespace prism::runtime {

struct SchedulerLimits {
  int max_running = 16;               // sequences in the batch
  int max_waiting = 64;               // sequences queued behind them
  std::int64_t prefill_chunk = 128;   // prompt positions per step, over all prefilling sequences
  std::int64_t context = 0;           // the model's context window
};

struct StepPlan {
  std::vector<Sequence*> decode;  // one token each
  struct Chunk {
    Sequence* seq;
    std::int64_t rows;
  };
  std::vector<Chunk> prefill;
  Sequence* encode = nullptr;  // whose images take a step of the vision encoder
  bool empty() const { return decode.empty() && prefill.empty() && !encode; }
};

class Scheduler {
 public:
  Scheduler(SchedulerLimits limits, BlockManager& blocks) : limits_(limits), blocks_(blocks) {}

  // Queues a sequence in priority order.
  void enqueue(std::unique_ptr<Sequence> seq);
  // The sequences past max_waiting (after admit()), taken out: the last in
  // priority order, so a realtime turn pushes out batch work, never the
  // reverse. The caller answers them 429.
  std::vector<std::unique_ptr<Sequence>> overflow();
  // The waiting sequences whose queue_timeout has passed, taken out.
  std::vector<std::unique_ptr<Sequence>> expire(std::chrono::steady_clock::time_point now);
  // Moves waiting sequences into the batch while places and blocks allow.
  void admit();
  StepPlan plan() const;
  // Gives a new block to `seq` when position `pos` starts one.
  void grow(Sequence& seq, std::int64_t pos);
  // Takes a running or waiting sequence out and frees its blocks.
  std::unique_ptr<Sequence> remove(Sequence* seq);

  // KV blocks a sequence of that many positions needs; a request over the
  // whole pool can never run.
  static std::int64_t blocks_for(std::int64_t positions);
  std::int64_t positions_needed(const Sequence& seq) const;

  std::vector<std::unique_ptr<Sequence>>& running() { return running_; }
  const std::vector<std::unique_ptr<Sequence>>& waiting() const { return waiting_; }
  const SchedulerLimits& limits() const { return limits_; }

 private:
  SchedulerLimits limits_;
  BlockManager& blocks_;
  std::vector<std::unique_ptr<Sequence>> waiting_;  // in priority, then submission order
  std::vector<std::unique_ptr<Sequence>> running_;  // likewise
  std::int64_t reserved_ = 0;                       // blocks promised to running sequences
};

}  // namespace prism::runtime
