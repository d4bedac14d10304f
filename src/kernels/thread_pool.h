// A small fixed pool of worker threads for data-parallel kernels. The caller
// takes part in the work, so a pool of N threads starts N-1 workers.
//
// Decoding one token calls parallel_for a few hundred times, a few tens of
// microseconds apart, so a hand-off must cost far less than a futex sleep and
// wake: tasks are claimed from one atomic word, and idle workers spin for a
// short while (kSpinMicros) before they sleep on the condition variable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace prism::kernels {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(task) for task in [0, tasks), spread over the threads; returns
  // when all are done. Not re-entrant: fn must not call parallel_for, and
  // one caller at a time (a second concurrent caller gets std::logic_error).
  void parallel_for(std::int64_t tasks, const std::function<void(std::int64_t)>& fn);

  // How long an idle worker polls for the next parallel_for before sleeping.
  static constexpr int kSpinMicros = 200;

 private:
  void worker_loop();
  // Claims and runs tasks of the batch `word` names until none is left.
  void run_tasks(std::uint64_t word);

  std::vector<std::thread> workers_;
  // The current batch in one word, so that a claim can never mix batches:
  // generation (16 bits) | task count (24 bits) | next unclaimed task (24 bits).
  std::atomic<std::uint64_t> batch_{0};
  std::atomic<std::int64_t> finished_{0};  // tasks of the current batch done
  const std::function<void(std::int64_t)>* fn_ = nullptr;  // valid while the batch has unfinished tasks
  std::mutex sleep_mu_;
  std::condition_variable wake_;
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> in_use_{false};  // a caller is inside parallel_for
};

}  // namespace prism::kernels
