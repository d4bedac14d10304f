#include "kernels/half_matvec.h"

#include <immintrin.h>

// GCC 12 warns that the _mm512_undefined_*() operands inside its own AVX-512
// intrinsics "may be used uninitialized" wherever they are inlined at -O1
// (GCC bug 105593): noise, not a finding.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>

#include "formats/dtype.h"
#include "kernels/horizontal_sum.h"

namespace prism::kernels {
namespace {

// Output features per task (a multiple of 4): 32 rows of up to 8192 16-bit
// weights stream 0.5 MB per task, enough to amortise the hand-off.
constexpr std::int64_t kRowsPerTask = 32;
// Prefetch distance in 16-bit weights (4 KB).
constexpr std::int64_t kPrefetchElements = 2048;

using Dot4Fn = void (*)(const float*, const std::uint16_t*, std::int64_t, std::int64_t, float*);

__attribute__((target("avx512f"))) inline __m512 widen_bf16_512(const std::uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
__attribute__((target("avx512f"))) inline __m512 widen_f16_512(const std::uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
__attribute__((target("avx2,fma"))) inline __m256 widen_bf16_256(const std::uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
__attribute__((target("avx2,fma,f16c"))) inline __m256 widen_f16_256(const std::uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

float widen_scalar(bool bf16, std::uint16_t h) { return bf16 ? formats::bf16_to_f32(h) : formats::f16_to_f32(h); }

template <bool kBf16>
__attribute__((target("avx512f"))) inline void dot4_512(const float* x, const std::uint16_t* w, std::int64_t ldw,
                                                        std::int64_t n, float* out) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    if ((i & 31) == 0)  // one 64-byte line of each row per two steps, ~4 KB ahead (as in q8_0_matvec)
      for (int r = 0; r < 4; ++r) _mm_prefetch(reinterpret_cast<const char*>(w + r * ldw + i + kPrefetchElements), _MM_HINT_T0);
    const __m512 xv = _mm512_loadu_ps(x + i);
    a0 = _mm512_fmadd_ps(xv, kBf16 ? widen_bf16_512(w + i) : widen_f16_512(w + i), a0);
    a1 = _mm512_fmadd_ps(xv, kBf16 ? widen_bf16_512(w + ldw + i) : widen_f16_512(w + ldw + i), a1);
    a2 = _mm512_fmadd_ps(xv, kBf16 ? widen_bf16_512(w + 2 * ldw + i) : widen_f16_512(w + 2 * ldw + i), a2);
    a3 = _mm512_fmadd_ps(xv, kBf16 ? widen_bf16_512(w + 3 * ldw + i) : widen_f16_512(w + 3 * ldw + i), a3);
  }
  out[0] = _mm512_reduce_add_ps(a0);
  out[1] = _mm512_reduce_add_ps(a1);
  out[2] = _mm512_reduce_add_ps(a2);
  out[3] = _mm512_reduce_add_ps(a3);
  for (; i < n; ++i)
    for (int r = 0; r < 4; ++r) out[r] += x[i] * widen_scalar(kBf16, w[r * ldw + i]);
}

template <bool kBf16>
__attribute__((target("avx2,fma,f16c"))) inline void dot4_256(const float* x, const std::uint16_t* w,
                                                              std::int64_t ldw, std::int64_t n, float* out) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if ((i & 31) == 0)
      for (int r = 0; r < 4; ++r) _mm_prefetch(reinterpret_cast<const char*>(w + r * ldw + i + kPrefetchElements), _MM_HINT_T0);
    const __m256 xv = _mm256_loadu_ps(x + i);
    a0 = _mm256_fmadd_ps(xv, kBf16 ? widen_bf16_256(w + i) : widen_f16_256(w + i), a0);
    a1 = _mm256_fmadd_ps(xv, kBf16 ? widen_bf16_256(w + ldw + i) : widen_f16_256(w + ldw + i), a1);
    a2 = _mm256_fmadd_ps(xv, kBf16 ? widen_bf16_256(w + 2 * ldw + i) : widen_f16_256(w + 2 * ldw + i), a2);
    a3 = _mm256_fmadd_ps(xv, kBf16 ? widen_bf16_256(w + 3 * ldw + i) : widen_f16_256(w + 3 * ldw + i), a3);
  }
  out[0] = hsum256(a0);
  out[1] = hsum256(a1);
  out[2] = hsum256(a2);
  out[3] = hsum256(a3);
  for (; i < n; ++i)
    for (int r = 0; r < 4; ++r) out[r] += x[i] * widen_scalar(kBf16, w[r * ldw + i]);
}

bool has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}
bool has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

Dot4Fn best_dot4(tensor::DType dtype) {
  static const bool avx512 = has_avx512(), avx2 = has_avx2();
  const bool bf16 = dtype == tensor::DType::BF16;
  if (avx512) return bf16 ? dot4_bf16_avx512 : dot4_f16_avx512;
  if (avx2) return bf16 ? dot4_bf16_avx2 : dot4_f16_avx2;
  return nullptr;
}

}  // namespace

void dot4_bf16_avx512(const float* x, const std::uint16_t* w, std::int64_t ldw, std::int64_t n, float* out) {
  dot4_512<true>(x, w, ldw, n, out);
}
void dot4_f16_avx512(const float* x, const std::uint16_t* w, std::int64_t ldw, std::int64_t n, float* out) {
  dot4_512<false>(x, w, ldw, n, out);
}
void dot4_bf16_avx2(const float* x, const std::uint16_t* w, std::int64_t ldw, std::int64_t n, float* out) {
  dot4_256<true>(x, w, ldw, n, out);
}
void dot4_f16_avx2(const float* x, const std::uint16_t* w, std::int64_t ldw, std::int64_t n, float* out) {
  dot4_256<false>(x, w, ldw, n, out);
}

bool half_matvec_available(tensor::DType dtype) {
  return (dtype == tensor::DType::BF16 || dtype == tensor::DType::F16) && best_dot4(dtype) != nullptr;
}

void matmul_half_rows(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w,
                      const float* bias, float* y) {
  const std::int64_t n = w.rows, k = w.cols;
  const auto* weights = static_cast<const std::uint16_t*>(w.data);
  const Dot4Fn dot4 = best_dot4(w.dtype);
  const bool bf16 = w.dtype == tensor::DType::BF16;
  pool.parallel_for((n + kRowsPerTask - 1) / kRowsPerTask, [&](std::int64_t task) {
    const std::int64_t r0 = task * kRowsPerTask, r1 = std::min(n, r0 + kRowsPerTask);
    std::int64_t r = r0;
    float out[4];
    for (; r + 4 <= r1; r += 4)
      for (std::int64_t i = 0; i < m; ++i) {
        dot4(x + i * k, weights + r * k, k, k, out);
        for (int j = 0; j < 4; ++j) y[i * n + r + j] = out[j] + (bias ? bias[r + j] : 0.0f);
      }
    for (; r < r1; ++r)  // the last rows of a matrix whose height is not a multiple of 4
      for (std::int64_t i = 0; i < m; ++i) {
        float sum = 0.0f;
        for (std::int64_t c = 0; c < k; ++c) sum += x[i * k + c] * widen_scalar(bf16, weights[r * k + c]);
        y[i * n + r] = sum + (bias ? bias[r] : 0.0f);
      }
  });
}

}  // namespace prism::kernels
