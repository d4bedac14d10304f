#include "models/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/dot.h"
#include "kernels/ops.h"

namespace prism::models {

void attention(kernels::ThreadPool& pool, const AttentionShape& s, const float* q, const float* k, const float* v,
               float* out) {
  constexpr std::int64_t kQueriesPerTask = 32;
  const std::int64_t chunks = (s.queries + kQueriesPerTask - 1) / kQueriesPerTask;
  const std::int64_t group = s.heads / s.kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  pool.parallel_for(s.heads * chunks, [&](std::int64_t task) {
    const std::int64_t h = task / chunks, chunk = task % chunks;
    const std::int64_t kvh = h / group;
    thread_local std::vector<float> scores;
    scores.resize(static_cast<std::size_t>(s.keys));
    const std::int64_t i1 = std::min(s.queries, (chunk + 1) * kQueriesPerTask);
    for (std::int64_t i = chunk * kQueriesPerTask; i < i1; ++i) {
      const float* qi = q + i * s.q_stride + h * s.head_dim;
      const std::int64_t visible = s.causal ? std::min(s.keys, s.first_query_pos + i + 1) : s.keys;
      for (std::int64_t j = 0; j < visible; ++j)
        scores[j] = kernels::dot(qi, k + j * s.kv_stride + kvh * s.head_dim, s.head_dim) * scale;
      kernels::softmax(scores.data(), visible);
      float* oi = out + i * s.out_stride + h * s.head_dim;
      std::fill(oi, oi + s.head_dim, 0.0f);
      for (std::int64_t j = 0; j < visible; ++j) {
        const float p = scores[j];
        const float* vj = v + j * s.kv_stride + kvh * s.head_dim;
        for (std::int64_t d = 0; d < s.head_dim; ++d) oi[d] += p * vj[d];
      }
    }
  });
}

}  // namespace prism::models
