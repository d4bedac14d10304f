#include "kernels/memory_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/dot.h"

namespace prism::kernels {

double measure_read_bandwidth_gbs(ThreadPool& pool, std::size_t bytes, int reps) {
  const std::size_t floats = bytes / sizeof(float);
  std::unique_ptr<float[]> buffer(new float[floats]);
  const std::int64_t chunks = 256, per_chunk = static_cast<std::int64_t>(floats) / chunks;
  // Written by the pool so that each thread's pages are local to it.
  pool.parallel_for(chunks, [&](std::int64_t c) { std::fill_n(buffer.get() + c * per_chunk, per_chunk, 1.0f); });
  std::vector<float> sums(static_cast<std::size_t>(chunks));
  double best = 0;
  const DotFn dot_fn = best_dot();
  for (int r = 0; r < std::max(1, reps); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.parallel_for(chunks, [&](std::int64_t c) {
      // A block's dot product with itself: its second read hits L1, so
      // the buffer is read from memory once.
      float s = 0;
      const float* p = buffer.get() + c * per_chunk;
      for (std::int64_t at = 0; at < per_chunk; at += 4096)
        s += dot_fn(p + at, p + at, std::min<std::int64_t>(4096, per_chunk - at));
      sums[static_cast<std::size_t>(c)] = s;
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(chunks * per_chunk * sizeof(float)) / seconds / 1e9);
  }
  volatile float keep = sums[0];  // the sums are used: the reads cannot be dropped
  (void)keep;
  return best;
}

}  // namespace prism::kernels
