// The decode driver every block-type kernel shares (Q8_0, Q4_0, Q5_0, Q4_K,
// Q6_K times a few rows of x): x quantized once into int8 blocks of 32, the
// output features split over the pool, groups of four weight rows per x
// load, the rest one row at a time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/q8_0_matvec.h"
#include "kernels/thread_pool.h"
#include "tensor/tensor.h"

namespace prism::kernels {

// Output features per task: at most 64 rows of 576-8192 weights (37-557 KB
// of Q8_0) keep a task's weights streaming while the hand-off stays a small
// part of it; a small matrix (the 192 rows of a key projection) is cut finer,
// into at least eight tasks per thread, so that no thread idles at the end
// while another finishes a third of the work.
inline constexpr std::int64_t kBlockRowsPerTask = 64;
inline std::int64_t block_rows_per_task(std::int64_t n, int threads) {
  const std::int64_t even = (n / (8 * static_cast<std::int64_t>(threads)) + 3) / 4 * 4;
  return std::clamp<std::int64_t>(even, 4, kBlockRowsPerTask);
}

// x ([m, k]) quantized to int8 blocks, one row at a time, into the calling
// thread's buffers (read by every worker of the parallel_for that follows).
const std::vector<QuantizedRow>& quantized_rows(const float* x, std::int64_t m, std::int64_t k);

// y = x · Wᵀ (+ bias) for w of `Block`s of kValues weights: groups of four
// rows through dot4(row, row_blocks, x, blocks, out[4]) (null: none), the
// rest one at a time through dot1(row, x, blocks); with dot4x4 (four rows
// against four rows of x at once, out[i * 4 + r]) and several rows of x,
// x's rows go in fours too (a short last four repeats its last row).
template <typename Block, std::int64_t kValues, typename Dot4, typename Dot1>
void matmul_blocks(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                   float* y, Dot4 dot4, Dot1 dot1,
                   void (*dot4x4)(const Block*, std::int64_t, const QuantizedRow* const*, std::int64_t, float*) = nullptr) {
  const std::int64_t n = w.rows, k = w.cols, blocks = k / kValues;
  const std::vector<QuantizedRow>& xq = quantized_rows(x, m, k);
  const auto* rows = static_cast<const Block*>(w.data);
  const std::int64_t per_task = block_rows_per_task(n, pool.size());
  pool.parallel_for((n + per_task - 1) / per_task, [&](std::int64_t task) {
    const std::int64_t r0 = task * per_task, r1 = std::min(n, r0 + per_task);
    std::int64_t r = r0;
    if (dot4)
      for (float out[16]; r + 4 <= r1; r += 4) {
        std::int64_t i = 0;
        if (dot4x4 && m > 1)
          for (; i < m; i += 4) {
            const QuantizedRow* four[4];
            for (std::int64_t a = 0; a < 4; ++a) four[a] = &xq[static_cast<std::size_t>(std::min(i + a, m - 1))];
            dot4x4(rows + r * blocks, blocks, four, blocks, out);
            for (std::int64_t a = 0; a < 4 && i + a < m; ++a)
              for (int j = 0; j < 4; ++j) y[(i + a) * n + r + j] = out[a * 4 + j] + (bias ? bias[r + j] : 0.0f);
          }
        for (; i < m; ++i) {
          dot4(rows + r * blocks, blocks, xq[static_cast<std::size_t>(i)], blocks, out);
          for (int j = 0; j < 4; ++j) y[i * n + r + j] = out[j] + (bias ? bias[r + j] : 0.0f);
        }
      }
    for (; r < r1; ++r)
      for (std::int64_t i = 0; i < m; ++i)
        y[i * n + r] = dot1(rows + r * blocks, xq[static_cast<std::size_t>(i)], blocks) + (bias ? bias[r] : 0.0f);
  });
}

}  // namespace prism::kernels
