#include "models/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/dot.h"
#include "kernels/ops.h"
#include "kernels/panel_gemm.h"

namespace prism::models {

namespace {
constexpr std::int64_t kQueriesPerTask = 32;
constexpr std::int64_t kGroup = 4;  // queries scored together with the 4x4 kernel
using kernels::kPanelWidth;
using kernels::kTileRows;

// One head's attention for queries [i_begin, i_end) with the panel kernel:
// the head's keys transposed into panels once, then per tile of 8 queries
// scores = q · kᵀ (one panel of 32 keys at a time), softmax, and
// out = scores · v with v's rows read in place as panels of 32 dimensions.
void attend_with_panels(const AttentionShape& s, std::int64_t h, std::int64_t i_begin, std::int64_t i_end,
                        const float* q, const float* k, const float* v, float* out) {
  const std::int64_t group = s.heads / s.kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  auto visible = [&](std::int64_t i) { return s.causal ? std::min(s.keys, s.first_query_pos + i + 1) : s.keys; };
  const float* kh = k + (h / group) * s.head_dim;
  const float* vh = v + (h / group) * s.head_dim;
  const std::int64_t widest = visible(i_end - 1);
  const std::int64_t key_panels = (widest + kPanelWidth - 1) / kPanelWidth;
  const std::int64_t panel_floats = s.head_dim * kPanelWidth;
  thread_local std::vector<float> keys_t;  // [panel][dim][key in panel]
  keys_t.assign(static_cast<std::size_t>(key_panels * panel_floats), 0.0f);
  for (std::int64_t j = 0; j < widest; ++j) {
    float* dst = keys_t.data() + (j / kPanelWidth) * panel_floats + j % kPanelWidth;
    const float* src = kh + j * s.kv_stride;
    for (std::int64_t d = 0; d < s.head_dim; ++d) dst[d * kPanelWidth] = src[d];
  }
  const std::int64_t ld = key_panels * kPanelWidth;  // floats between rows of scores
  thread_local std::vector<float> scores;
  scores.resize(static_cast<std::size_t>(kTileRows * ld));
  for (std::int64_t i0 = i_begin; i0 < i_end; i0 += kTileRows) {
    const int rows = static_cast<int>(std::min<std::int64_t>(kTileRows, i_end - i0));
    const float* q0 = q + i0 * s.q_stride + h * s.head_dim;
    const std::int64_t tile_keys = visible(i0 + rows - 1);
    for (std::int64_t p = 0; p * kPanelWidth < tile_keys; ++p)
      kernels::panel_tile(q0, s.q_stride, rows, keys_t.data() + p * panel_floats, kPanelWidth, s.head_dim,
                          scores.data() + p * kPanelWidth, ld,
                          static_cast<int>(std::min<std::int64_t>(kPanelWidth, tile_keys - p * kPanelWidth)), nullptr);
    for (int a = 0; a < rows; ++a) {
      const std::int64_t n = visible(i0 + a);
      float* sc = scores.data() + a * ld;
      for (std::int64_t t = 0; t < n; ++t) sc[t] *= scale;
      kernels::softmax(sc, n);
      std::fill(sc + n, sc + tile_keys, 0.0f);  // keys past this query's view weigh nothing
    }
    for (std::int64_t d0 = 0; d0 < s.head_dim; d0 += kPanelWidth)
      kernels::panel_tile(scores.data(), ld, rows, vh + d0, s.kv_stride, tile_keys,
                          out + i0 * s.out_stride + h * s.head_dim + d0, s.out_stride,
                          static_cast<int>(std::min<std::int64_t>(kPanelWidth, s.head_dim - d0)), nullptr);
  }
}

}  // namespace

void attention(kernels::ThreadPool& pool, const AttentionShape& s, const float* q, const float* k, const float* v,
               float* out) {
  const std::int64_t chunks = (s.queries + kQueriesPerTask - 1) / kQueriesPerTask;
  const std::int64_t group = s.heads / s.kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  if (s.queries >= kTileRows && kernels::panel_gemm_available()) {
    pool.parallel_for(s.heads * chunks, [&](std::int64_t task) {
      const std::int64_t h = task / chunks, chunk = task % chunks;
      attend_with_panels(s, h, chunk * kQueriesPerTask, std::min(s.queries, (chunk + 1) * kQueriesPerTask), q, k, v,
                         out);
    });
    return;
  }
  const auto dot = kernels::best_dot();
  const auto dot4x4 = kernels::best_dot4x4();
  auto visible = [&](std::int64_t i) { return s.causal ? std::min(s.keys, s.first_query_pos + i + 1) : s.keys; };

  pool.parallel_for(s.heads * chunks, [&](std::int64_t task) {
    const std::int64_t h = task / chunks, chunk = task % chunks;
    const float* kh = k + (h / group) * s.head_dim;
    const float* vh = v + (h / group) * s.head_dim;
    thread_local std::vector<float> scores;
    scores.resize(static_cast<std::size_t>(kGroup * s.keys));
    const std::int64_t i_end = std::min(s.queries, (chunk + 1) * kQueriesPerTask);
    for (std::int64_t i0 = chunk * kQueriesPerTask; i0 < i_end; i0 += kGroup) {
      const std::int64_t ni = std::min(kGroup, i_end - i0);
      const float* q0 = q + i0 * s.q_stride + h * s.head_dim;
      // Raw scores q·k for every query of the group up to the widest view
      // (keys past a query's own view are computed but never used).
      const std::int64_t widest = visible(i0 + ni - 1);
      std::int64_t j = 0;
      if (ni == kGroup) {
        float tile[16];
        for (; j + 4 <= widest; j += 4) {
          dot4x4(q0, s.q_stride, kh + j * s.kv_stride, s.kv_stride, s.head_dim, tile);
          for (int a = 0; a < 4; ++a)
            for (int b = 0; b < 4; ++b) scores[a * s.keys + j + b] = tile[a * 4 + b];
        }
      }
      for (std::int64_t a = 0; a < ni; ++a)
        for (std::int64_t jj = j; jj < widest; ++jj)
          scores[a * s.keys + jj] = dot(q0 + a * s.q_stride, kh + jj * s.kv_stride, s.head_dim);

      for (std::int64_t a = 0; a < ni; ++a) {
        const std::int64_t n = visible(i0 + a);
        float* sc = &scores[a * s.keys];
        for (std::int64_t t = 0; t < n; ++t) sc[t] *= scale;
        kernels::softmax(sc, n);
        float* o = out + (i0 + a) * s.out_stride + h * s.head_dim;
        std::fill(o, o + s.head_dim, 0.0f);
        for (std::int64_t t = 0; t < n; ++t) kernels::axpy(sc[t], vh + t * s.kv_stride, o, s.head_dim);
      }
    }
  });
}

}  // namespace prism::models
