// Decode attention for the query heads that share one key/value head
// (grouped-query attention): each key and value row is loaded once for the
// whole group instead of once per head, and the scores of four keys are
// reduced together. This is a decoding step's attention, one query
// position at a time, over keys read in runs (a KV block, or all of them).
#pragma once

#include <cstdint>

namespace prism::kernels {

// scores[h * ld + t] = q_h · k_t for heads h < group (q rows head_dim apart)
// and keys t < n (k rows k_stride apart).
using GroupScoresFn = void (*)(const float* q, int group, const float* k, std::int64_t k_stride, std::int64_t n,
                               std::int64_t head_dim, float* scores, std::int64_t ld);
// out_h += Σ_t p[h * ld + t] · v_t for heads h < group (out rows head_dim
// apart) and values t < n (v rows v_stride apart).
using GroupWeightedSumFn = void (*)(const float* p, std::int64_t ld, int group, const float* v,
                                    std::int64_t v_stride, std::int64_t n, std::int64_t head_dim, float* out);

void group_scores_portable(const float* q, int group, const float* k, std::int64_t k_stride, std::int64_t n,
                           std::int64_t head_dim, float* scores, std::int64_t ld);
void group_weighted_sum_portable(const float* p, std::int64_t ld, int group, const float* v, std::int64_t v_stride,
                                 std::int64_t n, std::int64_t head_dim, float* out);

// AVX-512 variants: head_dim a multiple of 16 up to 128, a group of 1 to 4;
// other shapes go to the portable loops. Call only where the CPU has AVX-512F.
void group_scores_avx512(const float* q, int group, const float* k, std::int64_t k_stride, std::int64_t n,
                         std::int64_t head_dim, float* scores, std::int64_t ld);
void group_weighted_sum_avx512(const float* p, std::int64_t ld, int group, const float* v, std::int64_t v_stride,
                               std::int64_t n, std::int64_t head_dim, float* out);

// Whether the vectorized kernels are used: the CPU has AVX-512F and the
// environment does not say PRISM_GROUP_ATTENTION=off (so a benchmark can
// time both on one machine). Without them decode attention keeps its
// per-head dot products, which have an AVX2 path.
bool group_attention_available();
GroupScoresFn best_group_scores();
GroupWeightedSumFn best_group_weighted_sum();

}  // namespace prism::kernels
