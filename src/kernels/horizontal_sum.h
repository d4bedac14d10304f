// The sum of an AVX vector's eight floats, for kernels that reduce their
// accumulators once at the end (compiled for AVX2 wherever it is inlined).
#pragma once

#include <immintrin.h>

namespace prism::kernels {

__attribute__((target("avx2"))) inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace prism::kernels
