#include "kernels/dot.h"

#include <immintrin.h>

#include "kernels/horizontal_sum.h"

namespace prism::kernels {

float dot_portable(const float* a, const float* b, std::int64_t n) {
  // Eight independent partial sums: lets the compiler vectorise without
  // -ffast-math, and keeps the rounding close to a pairwise sum.
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += a[i + l] * b[i + l];
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, std::int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float s = hsum256(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

__attribute__((target("avx512f"))) float dot_avx512(const float* a, const float* b, std::int64_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  std::int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
  if (i < n) {  // masked tail
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc1);
  }
  // Reduce by halves (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized).
  const __m512 acc = _mm512_add_ps(acc0, acc1);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, acc);
  float s8[8];
  for (int l = 0; l < 8; ++l) s8[l] = lanes[l] + lanes[l + 8];
  return ((s8[0] + s8[4]) + (s8[1] + s8[5])) + ((s8[2] + s8[6]) + (s8[3] + s8[7]));
}

void dot4x4_portable(const float* a, std::int64_t lda, const float* b, std::int64_t ldb, std::int64_t n,
                     float* out) {
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) out[i * 4 + j] = dot_portable(a + i * lda, b + j * ldb, n);
}

__attribute__((target("avx2,fma"))) void dot4x4_avx2(const float* a, std::int64_t lda, const float* b,
                                                     std::int64_t ldb, std::int64_t n, float* out) {
  // Two passes of 4x2 keep the 8 accumulators + 6 operands within 16 ymm registers.
  for (int jp = 0; jp < 4; jp += 2) {
    __m256 acc[4][2];
    for (auto& row : acc) row[0] = row[1] = _mm256_setzero_ps();
    std::int64_t l = 0;
    for (; l + 8 <= n; l += 8) {
      const __m256 b0 = _mm256_loadu_ps(b + jp * ldb + l), b1 = _mm256_loadu_ps(b + (jp + 1) * ldb + l);
      for (int i = 0; i < 4; ++i) {
        const __m256 av = _mm256_loadu_ps(a + i * lda + l);
        acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
      }
    }
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 2; ++j) {
        float s = hsum256(acc[i][j]);
        for (std::int64_t t = l; t < n; ++t) s += a[i * lda + t] * b[(jp + j) * ldb + t];
        out[i * 4 + jp + j] = s;
      }
  }
}

__attribute__((target("avx512f"))) void dot4x4_avx512(const float* a, std::int64_t lda, const float* b,
                                                      std::int64_t ldb, std::int64_t n, float* out) {
  __m512 acc[4][4];
  for (auto& row : acc)
    for (auto& v : row) v = _mm512_setzero_ps();
  // Full 16-lane steps, then one masked step for the tail (a lambda would
  // not inherit this function's target attribute).
  for (std::int64_t l = 0; l < n; l += 16) {
    const __mmask16 m = n - l >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - l)) - 1u);
    __m512 bv[4];
    for (int j = 0; j < 4; ++j) bv[j] = _mm512_maskz_loadu_ps(m, b + j * ldb + l);
    for (int i = 0; i < 4; ++i) {
      const __m512 av = _mm512_maskz_loadu_ps(m, a + i * lda + l);
      for (int j = 0; j < 4; ++j) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
    }
  }
  alignas(64) float lanes[16];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      _mm512_store_ps(lanes, acc[i][j]);
      float s8[8];
      for (int t = 0; t < 8; ++t) s8[t] = lanes[t] + lanes[t + 8];
      out[i * 4 + j] = ((s8[0] + s8[4]) + (s8[1] + s8[5])) + ((s8[2] + s8[6]) + (s8[3] + s8[7]));
    }
}

namespace {

struct Choice {
  DotFn fn;
  Dot4x4Fn fn4x4;
  std::string_view name;
};

Choice choose() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {dot_avx512, dot4x4_avx512, "avx512"};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {dot_avx2, dot4x4_avx2, "avx2"};
  return {dot_portable, dot4x4_portable, "portable"};
}

const Choice& chosen() {
  static const Choice c = choose();
  return c;
}

}  // namespace

DotFn best_dot() { return chosen().fn; }
Dot4x4Fn best_dot4x4() { return chosen().fn4x4; }
std::string_view best_dot_name() { return chosen().name; }

}  // namespace prism::kernels
