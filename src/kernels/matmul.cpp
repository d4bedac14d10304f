#include "kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "kernels/amx_gemm.h"
#include "kernels/dot.h"
#include "kernels/half_matvec.h"
#include "kernels/kquant_matvec.h"
#include "kernels/panel_gemm.h"
#include "kernels/q8_0_matvec.h"

namespace prism::kernels {

namespace {
// Output features per task: enough work to amortise the hand-off, small
// enough (with k <= 8192) that the converted block stays in L2.
constexpr std::int64_t kRowsPerTask = 16;

// Rows of x per panel task: the panel is packed once per task, so a block
// of 128 rows makes packing ~1% of the work, and 128 rows of x (k <= 3072)
// stay in L2 beside the panel.
constexpr std::int64_t kRowsPerPanelTask = 128;

// Many rows: each task packs a panel of weights and sweeps a block of x.
void matmul_panels(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                   float* y) {
  const std::int64_t n = w.rows, k = w.cols;
  const std::int64_t panels = (n + kPanelWidth - 1) / kPanelWidth;
  const std::int64_t blocks = (m + kRowsPerPanelTask - 1) / kRowsPerPanelTask;
  pool.parallel_for(panels * blocks, [&](std::int64_t task) {
    const std::int64_t r0 = (task / blocks) * kPanelWidth, i0 = (task % blocks) * kRowsPerPanelTask;
    const auto nr = static_cast<int>(std::min<std::int64_t>(kPanelWidth, n - r0));
    thread_local std::vector<float> panel;
    panel.resize(static_cast<std::size_t>(k * kPanelWidth));
    pack_panel(w, r0, nr, panel.data());
    for (std::int64_t i = i0; i < std::min(m, i0 + kRowsPerPanelTask); i += kTileRows)
      panel_tile(x + i * k, k, static_cast<int>(std::min<std::int64_t>(kTileRows, m - i)), panel.data(),
                 kPanelWidth, k, y + i * n + r0, n, nr, bias ? bias + r0 : nullptr);
  });
}

}  // namespace

namespace {
bool int8_takes(const tensor::MatrixView& w) {
  return w.dtype == tensor::DType::Q8_0 || (w.dtype == tensor::DType::Q4_0 && q8_0_vnni_available()) ||
         kquant_decode_takes(w.dtype);
}
}  // namespace

void matmul(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
            float* y) {
  const bool prompt = int8_takes(w) ? m >= kInt8BatchRows : m >= kTileRows;
  matmul_rows(pool, x, m, w, bias, y, prompt ? MatmulRows::prompt : MatmulRows::decode);
}

void matmul_rows(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                 float* y, MatmulRows rows) {
  if (m <= 0) return;
  if (rows == MatmulRows::decode) {
    if (w.dtype == tensor::DType::Q8_0) return matmul_q8_0(pool, x, m, w, bias, y);
    if (w.dtype == tensor::DType::Q4_0 && q8_0_vnni_available()) return matmul_q4_0_vnni(pool, x, m, w, bias, y);
    if (kquant_decode_takes(w.dtype)) return matmul_kquant(pool, x, m, w, bias, y);
    if (half_matvec_available(w.dtype)) return matmul_half_rows(pool, x, m, w, bias, y);
  } else {
    // bf16 weights on AMX (float32 and, unless re-stored for speed, f16 keep the panels).
    if (amx_takes(w) && amx_bf16_available()) return matmul_amx_bf16(pool, x, m, w, bias, y);
    if (panel_gemm_available()) return matmul_panels(pool, x, m, w, bias, y);
  }
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
