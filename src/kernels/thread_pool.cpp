#include "kernels/thread_pool.h"

#include <stdexcept>

#include <algorithm>
#include <chrono>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace prism::kernels {
namespace {

constexpr int kIndexBits = 24;
constexpr std::uint64_t kIndexMask = (std::uint64_t{1} << kIndexBits) - 1;

std::uint64_t generation_of(std::uint64_t word) { return word >> (2 * kIndexBits); }
std::uint64_t count_of(std::uint64_t word) { return (word >> kIndexBits) & kIndexMask; }
std::uint64_t index_of(std::uint64_t word) { return word & kIndexMask; }

void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(sleep_mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_tasks(std::uint64_t word) {
  for (;;) {
    // A claim succeeds only while the word still names this batch and has
    // tasks left, so a task index is never taken from a finished batch.
    if (index_of(word) >= count_of(word)) return;
    if (!batch_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      continue;  // word now holds the current value: re-check it
    }
    (*fn_)(static_cast<std::int64_t>(index_of(word)));
    finished_.fetch_add(1, std::memory_order_acq_rel);
    ++word;
  }
}

void ThreadPool::worker_loop() {
  std::uint64_t seen = 0;  // generation of the last batch taken part in
  for (;;) {
    std::uint64_t word = batch_.load(std::memory_order_acquire);
    if (generation_of(word) == seen) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
      for (int polls = 0; generation_of(word) == seen && !stop_.load(std::memory_order_relaxed); ++polls) {
        cpu_relax();
        word = batch_.load(std::memory_order_acquire);
        if (polls % 64 == 63 && std::chrono::steady_clock::now() > until) break;
      }
    }
    if (generation_of(word) == seen) {
      std::unique_lock lock(sleep_mu_);
      sleeping_.fetch_add(1);  // seq_cst: parallel_for sees it, or this sees the new batch
      wake_.wait(lock, [&] {
        word = batch_.load();
        return stop_.load() || generation_of(word) != seen;
      });
      sleeping_.fetch_sub(1);
    }
    if (stop_.load()) return;
    seen = generation_of(word);
    run_tasks(word);
  }
}

void ThreadPool::parallel_for(std::int64_t tasks, const std::function<void(std::int64_t)>& fn) {
  if (tasks <= 0) return;
  if (workers_.empty() || tasks == 1) {
    for (std::int64_t t = 0; t < tasks; ++t) fn(t);
    return;
  }
  if (static_cast<std::uint64_t>(tasks) > kIndexMask) {  // beyond one word's count: in several batches
    for (std::int64_t first = 0; first < tasks; first += static_cast<std::int64_t>(kIndexMask)) {
      const std::int64_t n = std::min<std::int64_t>(static_cast<std::int64_t>(kIndexMask), tasks - first);
      parallel_for(n, [&](std::int64_t t) { fn(first + t); });
    }
    return;
  }
  // One caller at a time, checked: a second thread's batch would overwrite
  // the first's fn_ and counters.
  if (in_use_.exchange(true, std::memory_order_acquire))
    throw std::logic_error("ThreadPool::parallel_for called from two threads at once");
  struct Release {
    std::atomic<bool>& flag;
    ~Release() { flag.store(false, std::memory_order_release); }
  } release{in_use_};
  // The previous batch is finished (every task ran), so no worker reads
  // fn_ or finished_ for it any more: both may be reset before publishing.
  fn_ = &fn;
  finished_.store(0, std::memory_order_relaxed);
  const std::uint64_t generation = (generation_of(batch_.load(std::memory_order_relaxed)) + 1) & 0xffff;
  const std::uint64_t word = generation << (2 * kIndexBits) | static_cast<std::uint64_t>(tasks) << kIndexBits;
  batch_.store(word);  // seq_cst, paired with the sleepers' count
  if (sleeping_.load() > 0) {
    std::lock_guard lock(sleep_mu_);  // a worker between its check and its wait is not missed
    wake_.notify_all();
  }
  run_tasks(word);
  // The last tasks are running on workers; one that was descheduled gets
  // the core back sooner if this thread yields after a while.
  for (int polls = 0; finished_.load(std::memory_order_acquire) != tasks; ++polls) {
    if (polls < 4096) cpu_relax();
    else std::this_thread::yield();
  }
}

}  // namespace prism::kernels
