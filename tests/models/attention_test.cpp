// Attention (both kernel paths: the panel one for many queries on AVX-512,
// the dot-product one otherwise) against a double-precision reference, for
// full and causal attention with grouped key/value heads.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/thread_pool.h"
#include "models/attention.h"

namespace prism::models {
namespace {

std::vector<float> random_vector(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<double> reference(const AttentionShape& s, const std::vector<float>& q, const std::vector<float>& k,
                              const std::vector<float>& v) {
  std::vector<double> out(static_cast<std::size_t>(s.queries * s.out_stride), 0.0);
  const std::int64_t group = s.heads / s.kv_heads;
  for (std::int64_t h = 0; h < s.heads; ++h)
    for (std::int64_t i = 0; i < s.queries; ++i) {
      const std::int64_t n = s.causal ? std::min(s.keys, s.first_query_pos + i + 1) : s.keys;
      std::vector<double> p(static_cast<std::size_t>(n));
      double top = -1e300, total = 0;
      for (std::int64_t t = 0; t < n; ++t) {
        double dot = 0;
        for (std::int64_t d = 0; d < s.head_dim; ++d)
          dot += static_cast<double>(q[i * s.q_stride + h * s.head_dim + d]) *
                 k[t * s.kv_stride + (h / group) * s.head_dim + d];
        p[t] = dot / std::sqrt(static_cast<double>(s.head_dim));
        top = std::max(top, p[t]);
      }
      for (auto& x : p) total += (x = std::exp(x - top));
      for (std::int64_t t = 0; t < n; ++t)
        for (std::int64_t d = 0; d < s.head_dim; ++d)
          out[i * s.out_stride + h * s.head_dim + d] += p[t] / total * v[t * s.kv_stride + (h / group) * s.head_dim + d];
    }
  return out;
}

void check(AttentionShape s) {
  s.q_stride = s.out_stride = s.heads * s.head_dim;
  s.kv_stride = s.kv_heads * s.head_dim;
  auto q = random_vector(s.queries * s.q_stride, 1), k = random_vector(s.keys * s.kv_stride, 2),
       v = random_vector(s.keys * s.kv_stride, 3);
  kernels::ThreadPool pool(2);
  std::vector<float> out(static_cast<std::size_t>(s.queries * s.out_stride), -7.0f);
  attention(pool, s, q.data(), k.data(), v.data(), out.data());
  const auto ref = reference(s, q, k, v);
  for (std::size_t i = 0; i < out.size(); ++i)
    ASSERT_NEAR(out[i], ref[i], 2e-5) << "queries " << s.queries << " keys " << s.keys << " causal " << s.causal
                                      << " at " << i;
}

TEST(Attention, FullAttentionAsInTheVisionEncoder) {
  check({.queries = 70, .keys = 70, .heads = 3, .kv_heads = 3, .head_dim = 64});
  check({.queries = 8, .keys = 33, .heads = 2, .kv_heads = 2, .head_dim = 16});
}

TEST(Attention, CausalGroupedQueryAttentionOverACache) {
  // A prompt's prefill, and a later chunk that sees earlier cached keys.
  check({.queries = 45, .keys = 45, .heads = 4, .kv_heads = 2, .head_dim = 64, .causal = true});
  check({.queries = 19, .keys = 100, .heads = 3, .kv_heads = 1, .head_dim = 48, .causal = true,
         .first_query_pos = 81});
}

TEST(Attention, OneQueryAsInDecoding) {
  check({.queries = 1, .keys = 77, .heads = 4, .kv_heads = 2, .head_dim = 64, .causal = true, .first_query_pos = 76});
}

}  // namespace
}  // namespace prism::models
