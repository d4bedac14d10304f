#include "kernels/vector_math.h"

#include <immintrin.h>

// GCC 12 warns that the _mm512_undefined_*() operands inside its own AVX-512
// intrinsics "may be used uninitialized" wherever they are inlined at -O1
// (GCC bug 105593): noise, not a finding.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <cmath>

namespace prism::kernels {
namespace {

constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;  // ln 2 split in two so that n·ln2_hi is exact
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kExpMax = 88.3762626647949f;  // e^x is finite below this
constexpr float kExpMin = -87.3365447504f;    // and normal above this
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluCubic = 0.044715f;

// Taylor terms of e^r, highest first (Horner).
constexpr float kP6 = 1.0f / 720, kP5 = 1.0f / 120, kP4 = 1.0f / 24, kP3 = 1.0f / 6, kP2 = 0.5f;

__attribute__((target("avx512f"))) inline __m512 exp512(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(kExpMin)), _mm512_set1_ps(kExpMax));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kP6);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP5));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

__attribute__((target("avx2,fma"))) inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(kExpMin)), _mm256_set1_ps(kExpMax));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP6);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  // 2^n from the exponent bits; n is within [-126, 128) after the clamp,
  // and 2^128 (x at the top of the range) is split as 2 · 2^127.
  const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(126));
  return _mm256_mul_ps(_mm256_mul_ps(p, _mm256_set1_ps(2.0f)), _mm256_castsi256_ps(_mm256_slli_epi32(e, 23)));
}

// The gelu argument 2u = 2·sqrt(2/π)·(v + 0.044715 v³), negated for sigmoid's exp(-2u).
__attribute__((target("avx512f"))) inline __m512 minus_two_u512(__m512 v) {
  const __m512 v3 = _mm512_mul_ps(_mm512_mul_ps(v, v), v);
  return _mm512_mul_ps(_mm512_fmadd_ps(v3, _mm512_set1_ps(kGeluCubic), v), _mm512_set1_ps(-2.0f * kSqrt2OverPi));
}
__attribute__((target("avx2,fma"))) inline __m256 minus_two_u256(__m256 v) {
  const __m256 v3 = _mm256_mul_ps(_mm256_mul_ps(v, v), v);
  return _mm256_mul_ps(_mm256_fmadd_ps(v3, _mm256_set1_ps(kGeluCubic), v), _mm256_set1_ps(-2.0f * kSqrt2OverPi));
}

}  // namespace

__attribute__((target("avx512f"))) void softmax_avx512(float* x, std::int64_t n) {
  __m512 mx = _mm512_set1_ps(-INFINITY);
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 live = n - i >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - i)) - 1);
    mx = _mm512_mask_max_ps(mx, live, mx, _mm512_maskz_loadu_ps(live, x + i));
  }
  const __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
  __m512 sum = _mm512_setzero_ps();
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 live = n - i >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(live, x + i), max));
    sum = _mm512_mask_add_ps(sum, live, sum, e);
    _mm512_mask_storeu_ps(x + i, live, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 live = n - i >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(x + i, live, _mm512_mul_ps(_mm512_maskz_loadu_ps(live, x + i), inv));
  }
}

__attribute__((target("avx512f"))) void gelu_tanh_avx512(float* x, std::int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 live = n - i >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(live, x + i);
    const __m512 sigmoid = _mm512_div_ps(one, _mm512_add_ps(one, exp512(minus_two_u512(v))));
    _mm512_mask_storeu_ps(x + i, live, _mm512_mul_ps(v, sigmoid));
  }
}

__attribute__((target("avx512f"))) void silu_mul_avx512(float* gate, const float* up, std::int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 live = n - i >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 g = _mm512_maskz_loadu_ps(live, gate + i);
    const __m512 s = _mm512_div_ps(g, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), g))));
    _mm512_mask_storeu_ps(gate + i, live, _mm512_mul_ps(s, _mm512_maskz_loadu_ps(live, up + i)));
  }
}

__attribute__((target("avx2,fma"))) void softmax_avx2(float* x, std::int64_t n) {
  float mx = -INFINITY;
  std::int64_t i = 0;
  __m256 vmx = _mm256_set1_ps(-INFINITY);
  for (; i + 8 <= n; i += 8) vmx = _mm256_max_ps(vmx, _mm256_loadu_ps(x + i));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vmx);
  for (float l : lanes) mx = std::fmax(mx, l);
  for (; i < n; ++i) mx = std::fmax(mx, x[i]);
  const __m256 max = _mm256_set1_ps(mx);
  __m256 vsum = _mm256_setzero_ps();
  float sum = 0.0f;
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), max));
    vsum = _mm256_add_ps(vsum, e);
    _mm256_storeu_ps(x + i, e);
  }
  for (; i < n; ++i) sum += (x[i] = std::exp(x[i] - mx));
  _mm256_store_ps(lanes, vsum);
  for (float l : lanes) sum += l;
  const float inv = 1.0f / sum;
  for (i = 0; i < n; ++i) x[i] *= inv;
}

__attribute__((target("avx2,fma"))) void gelu_tanh_avx2(float* x, std::int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 sigmoid = _mm256_div_ps(one, _mm256_add_ps(one, exp256(minus_two_u256(v))));
    _mm256_storeu_ps(x + i, _mm256_mul_ps(v, sigmoid));
  }
  for (; i < n; ++i) {
    const float v = x[i];
    x[i] = v / (1.0f + std::exp(-2.0f * kSqrt2OverPi * (v + kGeluCubic * v * v * v)));
  }
}

__attribute__((target("avx2,fma"))) void silu_mul_avx2(float* gate, const float* up, std::int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 s = _mm256_div_ps(g, _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), g))));
    _mm256_storeu_ps(gate + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

__attribute__((target("avx512f"))) void axpy_avx512(float a, const float* x, float* y, std::int64_t n) {
  const __m512 av = _mm512_set1_ps(a);
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 live = n - i >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, live,
                          _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(live, x + i), _mm512_maskz_loadu_ps(live, y + i)));
  }
}

__attribute__((target("avx2,fma"))) void axpy_avx2(float a, const float* x, float* y, std::int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

}  // namespace prism::kernels
