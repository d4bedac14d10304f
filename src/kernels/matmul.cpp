#include "kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "kernels/dot.h"

namespace prism::kernels {

namespace {
// Output features per task: enough work to amortise the hand-off, small
// enough (with k <= 8192) that the converted block stays in L2.
constexpr std::int64_t kRowsPerTask = 16;
}  // namespace

void matmul(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
            float* y) {
  const std::int64_t n = w.rows, k = w.cols;
  const std::int64_t tasks = (n + kRowsPerTask - 1) / kRowsPerTask;
  const DotFn dot_fn = best_dot();
  const Dot4x4Fn dot4x4_fn = best_dot4x4();
  pool.parallel_for(tasks, [&](std::int64_t task) {
    const std::int64_t r0 = task * kRowsPerTask, r1 = std::min(n, r0 + kRowsPerTask);
    const float* block;
    thread_local std::vector<float> converted;
    if (w.dtype == tensor::DType::F32) {
      block = static_cast<const float*>(w.data) + r0 * k;
    } else {
      converted.resize(static_cast<std::size_t>((r1 - r0) * k));
      for (std::int64_t r = r0; r < r1; ++r) w.row_to_f32(r, converted.data() + (r - r0) * k);
      block = converted.data();
    }
    // 4x4 tiles of (x rows) x (weight rows), single dots for the edges.
    const std::int64_t m4 = m - m % 4, r4 = r0 + (r1 - r0) - (r1 - r0) % 4;
    float tile[16];
    for (std::int64_t i = 0; i < m4; i += 4)
      for (std::int64_t r = r0; r < r4; r += 4) {
        dot4x4_fn(x + i * k, k, block + (r - r0) * k, k, k, tile);
        for (int a = 0; a < 4; ++a)
          for (int b = 0; b < 4; ++b) y[(i + a) * n + r + b] = tile[a * 4 + b] + (bias ? bias[r + b] : 0.0f);
      }
    for (std::int64_t i = 0; i < m; ++i) {
      const float* xi = x + i * k;
      float* yi = y + i * n;
      for (std::int64_t r = (i < m4 ? r4 : r0); r < r1; ++r)
        yi[r] = dot_fn(xi, block + (r - r0) * k, k) + (bias ? bias[r] : 0.0f);
    }
  });
}

}  // namespace prism::kernels
