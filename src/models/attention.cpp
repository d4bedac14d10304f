#include "models/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/dot.h"
#include "kernels/group_attention.h"
#include "kernels/ops.h"
#include "kernels/panel_gemm.h"

namespace prism::models {

namespace {
constexpr std::int64_t kQueriesPerTask = 32;
constexpr std::int64_t kGroup = 4;  // queries scored together with the 4x4 kernel
using kernels::kPanelWidth;
using kernels::kTileRows;

std::int64_t visible_keys(const AttentionShape& s, std::int64_t i) {
  return s.causal ? std::min(s.keys, s.first_query_pos + i + 1) : s.keys;
}

// One head's attention for queries [i_begin, i_end) with the panel kernel:
// the head's keys transposed into panels once, then per tile of 8 queries
// scores = q · kᵀ (one panel of 32 keys at a time), softmax, and
// out = scores · v with v's rows read as panels of 32 dimensions (in place
// when contiguous, gathered from the blocks otherwise).
void attend_with_panels(const AttentionShape& s, std::int64_t h, std::int64_t i_begin, std::int64_t i_end,
                        const float* q, const KvRows& kv, float* out) {
  const std::int64_t group = s.heads / s.kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  const std::int64_t head_offset = (h / group) * s.head_dim;
  const std::int64_t widest = visible_keys(s, i_end - 1);
  const std::int64_t key_panels = (widest + kPanelWidth - 1) / kPanelWidth;
  const std::int64_t panel_floats = s.head_dim * kPanelWidth;
  thread_local std::vector<float> keys_t;  // [panel][dim][key in panel]
  keys_t.assign(static_cast<std::size_t>(key_panels * panel_floats), 0.0f);
  for (std::int64_t j = 0; j < widest; ++j) {
    float* dst = keys_t.data() + (j / kPanelWidth) * panel_floats + j % kPanelWidth;
    const float* src = kv.keys + kv.offset(j, s.kv_stride) + head_offset;
    for (std::int64_t d = 0; d < s.head_dim; ++d) dst[d * kPanelWidth] = src[d];
  }
  const float* vh = kv.values + head_offset;
  std::int64_t v_stride = s.kv_stride;
  thread_local std::vector<float> values;  // this head's value rows, when they sit in blocks
  if (kv.blocks) {
    values.resize(static_cast<std::size_t>(widest * s.head_dim));
    for (std::int64_t j = 0; j < widest; ++j)
      std::copy_n(vh + kv.offset(j, s.kv_stride), s.head_dim, values.data() + j * s.head_dim);
    vh = values.data();
    v_stride = s.head_dim;
  }
  const std::int64_t ld = key_panels * kPanelWidth;  // floats between rows of scores
  thread_local std::vector<float> scores;
  scores.resize(static_cast<std::size_t>(kTileRows * ld));
  for (std::int64_t i0 = i_begin; i0 < i_end; i0 += kTileRows) {
    const int rows = static_cast<int>(std::min<std::int64_t>(kTileRows, i_end - i0));
    const float* q0 = q + i0 * s.q_stride + h * s.head_dim;
    const std::int64_t tile_keys = visible_keys(s, i0 + rows - 1);
    for (std::int64_t p = 0; p * kPanelWidth < tile_keys; ++p)
      kernels::panel_tile(q0, s.q_stride, rows, keys_t.data() + p * panel_floats, kPanelWidth, s.head_dim,
                          scores.data() + p * kPanelWidth, ld,
                          static_cast<int>(std::min<std::int64_t>(kPanelWidth, tile_keys - p * kPanelWidth)), nullptr);
    for (int a = 0; a < rows; ++a) {
      const std::int64_t n = visible_keys(s, i0 + a);
      float* sc = scores.data() + a * ld;
      for (std::int64_t t = 0; t < n; ++t) sc[t] *= scale;
      kernels::softmax(sc, n);
      std::fill(sc + n, sc + tile_keys, 0.0f);  // keys past this query's view weigh nothing
    }
    for (std::int64_t d0 = 0; d0 < s.head_dim; d0 += kPanelWidth)
      kernels::panel_tile(scores.data(), ld, rows, vh + d0, v_stride, tile_keys,
                          out + i0 * s.out_stride + h * s.head_dim + d0, s.out_stride,
                          static_cast<int>(std::min<std::int64_t>(kPanelWidth, s.head_dim - d0)), nullptr);
  }
}

// The same with dot products, four queries at a time (few queries: decoding).
void attend_with_dots(const AttentionShape& s, std::int64_t h, std::int64_t i_begin, std::int64_t i_end,
                      const float* q, const KvRows& kv, float* out) {
  static const auto dot = kernels::best_dot();
  static const auto dot4x4 = kernels::best_dot4x4();
  const std::int64_t group = s.heads / s.kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  const float* kh = kv.keys + (h / group) * s.head_dim;
  const float* vh = kv.values + (h / group) * s.head_dim;
  thread_local std::vector<float> scores;
  scores.resize(static_cast<std::size_t>(kGroup * s.keys));
  for (std::int64_t i0 = i_begin; i0 < i_end; i0 += kGroup) {
    const std::int64_t ni = std::min(kGroup, i_end - i0);
    const float* q0 = q + i0 * s.q_stride + h * s.head_dim;
    // Raw scores q·k for every query of the group up to the widest view
    // (keys past a query's own view are computed but never used). Four
    // keys from j (a multiple of 4) never straddle a block.
    const std::int64_t widest = visible_keys(s, i0 + ni - 1);
    std::int64_t j = 0;
    if (ni == kGroup) {
      float tile[16];
      for (; j + 4 <= widest; j += 4) {
        dot4x4(q0, s.q_stride, kh + kv.offset(j, s.kv_stride), s.kv_stride, s.head_dim, tile);
        for (int a = 0; a < 4; ++a)
          for (int b = 0; b < 4; ++b) scores[a * s.keys + j + b] = tile[a * 4 + b];
      }
    }
    for (std::int64_t a = 0; a < ni; ++a)
      for (std::int64_t jj = j; jj < widest; ++jj)
        scores[a * s.keys + jj] = dot(q0 + a * s.q_stride, kh + kv.offset(jj, s.kv_stride), s.head_dim);

    for (std::int64_t a = 0; a < ni; ++a) {
      const std::int64_t n = visible_keys(s, i0 + a);
      float* sc = &scores[a * s.keys];
      for (std::int64_t t = 0; t < n; ++t) sc[t] *= scale;
      kernels::softmax(sc, n);
      float* o = out + (i0 + a) * s.out_stride + h * s.head_dim;
      std::fill(o, o + s.head_dim, 0.0f);
      for (std::int64_t t = 0; t < n; ++t) kernels::axpy(sc[t], vh + kv.offset(t, s.kv_stride), o, s.head_dim);
    }
  }
}

// Decode rows: the query heads that share key/value head g together, so each
// key and value row is read once for the group, one run of contiguous rows
// (a KV block, or all keys) at a time.
void attend_group(const AttentionShape& s, std::int64_t g, std::int64_t i_begin, std::int64_t i_end, const float* q,
                  const KvRows& kv, float* out) {
  static const auto scores_of = kernels::best_group_scores();
  static const auto weighted_sum = kernels::best_group_weighted_sum();
  const int group = static_cast<int>(s.heads / s.kv_heads);
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  const float* kg = kv.keys + g * s.head_dim;
  const float* vg = kv.values + g * s.head_dim;
  thread_local std::vector<float> scores;
  for (std::int64_t i = i_begin; i < i_end; ++i) {
    const std::int64_t n = visible_keys(s, i);
    scores.resize(static_cast<std::size_t>(group * n));
    const float* qi = q + i * s.q_stride + g * group * s.head_dim;
    float* oi = out + i * s.out_stride + g * group * s.head_dim;
    // Keys in runs that stay inside one block (the whole range when contiguous).
    auto for_each_run = [&](const auto& work) {
      for (std::int64_t j = 0; j < n;) {
        const std::int64_t run = kv.blocks ? std::min(kKvBlockSize - j % kKvBlockSize, n - j) : n - j;
        work(j, run);
        j += run;
      }
    };
    for_each_run([&](std::int64_t j, std::int64_t run) {
      scores_of(qi, group, kg + kv.offset(j, s.kv_stride), s.kv_stride, run, s.head_dim, scores.data() + j, n);
    });
    for (int h = 0; h < group; ++h) {
      float* sc = scores.data() + h * n;
      for (std::int64_t t = 0; t < n; ++t) sc[t] *= scale;
      kernels::softmax(sc, n);
    }
    std::fill(oi, oi + group * s.head_dim, 0.0f);
    for_each_run([&](std::int64_t j, std::int64_t run) {
      weighted_sum(scores.data() + j, n, group, vg + kv.offset(j, s.kv_stride), s.kv_stride, run, s.head_dim, oi);
    });
  }
}

}  // namespace

void attention(kernels::ThreadPool& pool, const std::vector<AttentionJob>& jobs) {
  // Tasks of all jobs in a row: job j owns [first_task[j], first_task[j + 1]).
  // A task is one head's queries (or, for grouped decode rows, one
  // key/value head's) in chunks of kQueriesPerTask.
  const bool panels = kernels::panel_gemm_available();
  const bool grouped_decode = kernels::group_attention_available();
  auto grouped = [&](const AttentionJob& job) { return !job.prompt_rows && grouped_decode; };
  std::vector<std::int64_t> first_task(jobs.size() + 1, 0);
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const auto& s = jobs[j].shape;
    const std::int64_t units = grouped(jobs[j]) ? s.kv_heads : s.heads;
    first_task[j + 1] = first_task[j] + units * ((s.queries + kQueriesPerTask - 1) / kQueriesPerTask);
  }
  pool.parallel_for(first_task.back(), [&](std::int64_t task) {
    const auto j = static_cast<std::size_t>(std::upper_bound(first_task.begin(), first_task.end(), task) -
                                            first_task.begin() - 1);
    const AttentionJob& job = jobs[j];
    const AttentionShape& s = job.shape;
    const std::int64_t chunks = (s.queries + kQueriesPerTask - 1) / kQueriesPerTask;
    const std::int64_t local = task - first_task[j], unit = local / chunks, chunk = local % chunks;
    const std::int64_t i_begin = chunk * kQueriesPerTask, i_end = std::min(s.queries, i_begin + kQueriesPerTask);
    if (grouped(job))
      attend_group(s, unit, i_begin, i_end, job.q, job.kv, job.out);
    else if (job.prompt_rows && panels)
      attend_with_panels(s, unit, i_begin, i_end, job.q, job.kv, job.out);
    else
      attend_with_dots(s, unit, i_begin, i_end, job.q, job.kv, job.out);
  });
}

void attention(kernels::ThreadPool& pool, const AttentionShape& s, const float* q, const float* k, const float* v,
               float* out) {
  attention(pool, {AttentionJob{s, q, KvRows{k, v, nullptr, 0}, out, s.queries >= kTileRows}});
}

}  // namespace prism::models
