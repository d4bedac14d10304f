#include "kernels/q8_0_matvec.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "formats/dtype.h"

namespace prism::kernels {
namespace {

// Output features per task: 64 rows of 576-8192 weights (37-557 KB) keep a
// task's weights streaming while the hand-off stays a small part of it.
constexpr std::int64_t kRowsPerTask = 64;

using DotQ8Fn = float (*)(const formats::BlockQ8_0*, const std::int8_t*, const float*, std::int64_t);

DotQ8Fn best_dot_q8_0() {
  static const DotQ8Fn fn = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")
               ? dot_q8_0_avx2
               : dot_q8_0_portable;
  }();
  return fn;
}

}  // namespace

void quantize_activations(const float* x, std::int64_t n, QuantizedRow& out) {
  const std::int64_t blocks = n / formats::kQK;
  out.q.resize(static_cast<std::size_t>(n));
  out.scale.resize(static_cast<std::size_t>(blocks));
  for (std::int64_t b = 0; b < blocks; ++b) {
    const float* v = x + b * formats::kQK;
    float amax = 0.0f;
    for (std::int64_t i = 0; i < formats::kQK; ++i) amax = std::fmax(amax, std::fabs(v[i]));
    // The scale stays a float (llama.cpp rounds it to f16): one rounding less.
    const float d = amax / 127.0f, inv = d != 0.0f ? 1.0f / d : 0.0f;
    out.scale[static_cast<std::size_t>(b)] = d;
    for (std::int64_t i = 0; i < formats::kQK; ++i)
      out.q[static_cast<std::size_t>(b * formats::kQK + i)] = static_cast<std::int8_t>(std::round(v[i] * inv));
  }
}

float dot_q8_0_portable(const formats::BlockQ8_0* w, const std::int8_t* xq, const float* xs, std::int64_t blocks) {
  float sum = 0.0f;
  for (std::int64_t b = 0; b < blocks; ++b) {
    std::int32_t s = 0;
    for (std::int64_t i = 0; i < formats::kQK; ++i) s += w[b].qs[i] * xq[b * formats::kQK + i];
    sum += formats::f16_to_f32(w[b].d) * xs[b] * static_cast<float>(s);
  }
  return sum;
}

__attribute__((target("avx2,fma,f16c"))) float dot_q8_0_avx2(const formats::BlockQ8_0* w, const std::int8_t* xq,
                                                            const float* xs, std::int64_t blocks) {
  // maddubs multiplies unsigned by signed bytes: |w| times x with w's sign
  // moved onto x. Pairs of products stay within int16 (2·128·127 < 32768;
  // x is never -128, the quantizer rounds to ±127).
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  std::int64_t b = 0;
  for (; b + 2 <= blocks; b += 2) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b + 1].qs));
    const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * 32));
    const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * 32 + 32));
    const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(x0, w0)), ones);
    const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w1, w1), _mm256_sign_epi8(x1, w1)), ones);
    const __m256 d0 = _mm256_set1_ps(_cvtsh_ss(w[b].d) * xs[b]);
    const __m256 d1 = _mm256_set1_ps(_cvtsh_ss(w[b + 1].d) * xs[b + 1]);
    acc0 = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(p0), acc0);
    acc1 = _mm256_fmadd_ps(d1, _mm256_cvtepi32_ps(p1), acc1);
  }
  for (; b < blocks; ++b) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * 32));
    const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(x0, w0)), ones);
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(w[b].d) * xs[b]), _mm256_cvtepi32_ps(p0), acc0);
  }
  const __m256 acc = _mm256_add_ps(acc0, acc1);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

void matmul_q8_0(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                 float* y) {
  const std::int64_t n = w.rows, k = w.cols, blocks = k / formats::kQK;
  thread_local std::vector<QuantizedRow> xs;
  if (static_cast<std::int64_t>(xs.size()) < m) xs.resize(static_cast<std::size_t>(m));
  for (std::int64_t i = 0; i < m; ++i) quantize_activations(x + i * k, k, xs[static_cast<std::size_t>(i)]);
  const auto* rows = static_cast<const formats::BlockQ8_0*>(w.data);
  const DotQ8Fn dot = best_dot_q8_0();
  const std::vector<QuantizedRow>& xq = xs;  // the caller's buffers, read by every worker
  pool.parallel_for((n + kRowsPerTask - 1) / kRowsPerTask, [&](std::int64_t task) {
    const std::int64_t r0 = task * kRowsPerTask, r1 = std::min(n, r0 + kRowsPerTask);
    for (std::int64_t r = r0; r < r1; ++r)
      for (std::int64_t i = 0; i < m; ++i) {
        const QuantizedRow& q = xq[static_cast<std::size_t>(i)];
        y[i * n + r] = dot(rows + r * blocks, q.q.data(), q.scale.data(), blocks) + (bias ? bias[r] : 0.0f);
      }
  });
}

}  // namespace prism::kernels
