#include "kernels/group_attention.h"

#include <immintrin.h>

#include <cstdlib>
#include <cstring>

// GCC 12 takes the undefined-vector placeholder inside its own unpack and
// reduce intrinsics for an uninitialised read (a false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace prism::kernels {

void group_scores_portable(const float* q, int group, const float* k, std::int64_t k_stride, std::int64_t n,
                           std::int64_t head_dim, float* scores, std::int64_t ld) {
  for (int h = 0; h < group; ++h)
    for (std::int64_t t = 0; t < n; ++t) {
      float s = 0;
      for (std::int64_t d = 0; d < head_dim; ++d) s += q[h * head_dim + d] * k[t * k_stride + d];
      scores[h * ld + t] = s;
    }
}

void group_weighted_sum_portable(const float* p, std::int64_t ld, int group, const float* v, std::int64_t v_stride,
                                 std::int64_t n, std::int64_t head_dim, float* out) {
  for (int h = 0; h < group; ++h)
    for (std::int64_t t = 0; t < n; ++t)
      for (std::int64_t d = 0; d < head_dim; ++d) out[h * head_dim + d] += p[h * ld + t] * v[t * v_stride + d];
}

namespace {

// Four vectors' sums, in order, as one 4-float vector: pairwise within each
// 128-bit lane, then across the lanes (AVX-512F only, no DQ).
__attribute__((target("avx512f"))) inline __m128 sum_of_four(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
  const __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
  const __m512 abcd = _mm512_add_ps(_mm512_shuffle_ps(ab, cd, _MM_SHUFFLE(1, 0, 1, 0)),
                                    _mm512_shuffle_ps(ab, cd, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m256 halves = _mm256_add_ps(_mm512_castps512_ps256(abcd),
                                      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(abcd), 1)));
  return _mm_add_ps(_mm256_castps256_ps128(halves), _mm256_extractf128_ps(halves, 1));
}

template <int G>
__attribute__((target("avx512f"))) void scores_avx512(const float* q, const float* k, std::int64_t k_stride,
                                                      std::int64_t n, std::int64_t head_dim, float* scores,
                                                      std::int64_t ld) {
  std::int64_t t = 0;
  for (; t + 4 <= n; t += 4) {
    __m512 acc[G][4];
#pragma GCC unroll 4
    for (int h = 0; h < G; ++h)
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) acc[h][j] = _mm512_setzero_ps();
    for (std::int64_t d = 0; d < head_dim; d += 16) {
      __m512 kv[4];
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) kv[j] = _mm512_loadu_ps(k + (t + j) * k_stride + d);
#pragma GCC unroll 4
      for (int h = 0; h < G; ++h) {
        const __m512 qv = _mm512_loadu_ps(q + h * head_dim + d);
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) acc[h][j] = _mm512_fmadd_ps(qv, kv[j], acc[h][j]);
      }
    }
#pragma GCC unroll 4
    for (int h = 0; h < G; ++h)
      _mm_storeu_ps(scores + h * ld + t, sum_of_four(acc[h][0], acc[h][1], acc[h][2], acc[h][3]));
  }
  for (; t < n; ++t) {
#pragma GCC unroll 4
    for (int h = 0; h < G; ++h) {
      __m512 acc = _mm512_setzero_ps();
      for (std::int64_t d = 0; d < head_dim; d += 16)
        acc = _mm512_fmadd_ps(_mm512_loadu_ps(q + h * head_dim + d), _mm512_loadu_ps(k + t * k_stride + d), acc);
      scores[h * ld + t] = _mm512_reduce_add_ps(acc);
    }
  }
}

// One slab of NC x 16 output dimensions for G heads, its sums kept in
// registers over all n values.
template <int G, int NC>
__attribute__((target("avx512f"))) void weighted_sum_slab(const float* p, std::int64_t ld, const float* v,
                                                          std::int64_t v_stride, std::int64_t n,
                                                          std::int64_t head_dim, float* out) {
  __m512 acc[G][NC];
#pragma GCC unroll 4
  for (int h = 0; h < G; ++h)
#pragma GCC unroll 4
    for (int c = 0; c < NC; ++c) acc[h][c] = _mm512_loadu_ps(out + h * head_dim + c * 16);
  for (std::int64_t t = 0; t < n; ++t) {
    __m512 vv[NC];
#pragma GCC unroll 4
    for (int c = 0; c < NC; ++c) vv[c] = _mm512_loadu_ps(v + t * v_stride + c * 16);
#pragma GCC unroll 4
    for (int h = 0; h < G; ++h) {
      const __m512 w = _mm512_set1_ps(p[h * ld + t]);
#pragma GCC unroll 4
      for (int c = 0; c < NC; ++c) acc[h][c] = _mm512_fmadd_ps(w, vv[c], acc[h][c]);
    }
  }
#pragma GCC unroll 4
  for (int h = 0; h < G; ++h)
#pragma GCC unroll 4
    for (int c = 0; c < NC; ++c) _mm512_storeu_ps(out + h * head_dim + c * 16, acc[h][c]);
}

template <int G>
__attribute__((target("avx512f"))) void weighted_sum_avx512(const float* p, std::int64_t ld, const float* v,
                                                            std::int64_t v_stride, std::int64_t n,
                                                            std::int64_t head_dim, float* out) {
  // Slabs of 64 dimensions (16 accumulators for a group of 4), then the rest.
  std::int64_t d = 0;
  for (; d + 64 <= head_dim; d += 64) weighted_sum_slab<G, 4>(p, ld, v + d, v_stride, n, head_dim, out + d);
  switch ((head_dim - d) / 16) {
    case 3: weighted_sum_slab<G, 3>(p, ld, v + d, v_stride, n, head_dim, out + d); break;
    case 2: weighted_sum_slab<G, 2>(p, ld, v + d, v_stride, n, head_dim, out + d); break;
    case 1: weighted_sum_slab<G, 1>(p, ld, v + d, v_stride, n, head_dim, out + d); break;
    default: break;
  }
}

bool avx512_shape(int group, std::int64_t head_dim) {
  return group >= 1 && group <= 4 && head_dim % 16 == 0 && head_dim > 0 && head_dim <= 128;
}

}  // namespace

void group_scores_avx512(const float* q, int group, const float* k, std::int64_t k_stride, std::int64_t n,
                         std::int64_t head_dim, float* scores, std::int64_t ld) {
  if (!avx512_shape(group, head_dim)) return group_scores_portable(q, group, k, k_stride, n, head_dim, scores, ld);
  switch (group) {
    case 1: return scores_avx512<1>(q, k, k_stride, n, head_dim, scores, ld);
    case 2: return scores_avx512<2>(q, k, k_stride, n, head_dim, scores, ld);
    case 3: return scores_avx512<3>(q, k, k_stride, n, head_dim, scores, ld);
    default: return scores_avx512<4>(q, k, k_stride, n, head_dim, scores, ld);
  }
}

void group_weighted_sum_avx512(const float* p, std::int64_t ld, int group, const float* v, std::int64_t v_stride,
                               std::int64_t n, std::int64_t head_dim, float* out) {
  if (!avx512_shape(group, head_dim))
    return group_weighted_sum_portable(p, ld, group, v, v_stride, n, head_dim, out);
  switch (group) {
    case 1: return weighted_sum_avx512<1>(p, ld, v, v_stride, n, head_dim, out);
    case 2: return weighted_sum_avx512<2>(p, ld, v, v_stride, n, head_dim, out);
    case 3: return weighted_sum_avx512<3>(p, ld, v, v_stride, n, head_dim, out);
    default: return weighted_sum_avx512<4>(p, ld, v, v_stride, n, head_dim, out);
  }
}

bool group_attention_available() {
  static const bool available = [] {
    const char* choice = std::getenv("PRISM_GROUP_ATTENTION");
    return __builtin_cpu_supports("avx512f") && !(choice && std::strcmp(choice, "off") == 0);
  }();
  return available;
}

GroupScoresFn best_group_scores() {
  return group_attention_available() ? group_scores_avx512 : group_scores_portable;
}

GroupWeightedSumFn best_group_weighted_sum() {
  return group_attention_available() ? group_weighted_sum_avx512 : group_weighted_sum_portable;
}

}  // namespace prism::kernels
