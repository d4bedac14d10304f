#include "kernels/ops.h"

#include <algorithm>
#include <cmath>

#include "kernels/vector_math.h"

namespace prism::kernels {
namespace {

enum class VectorIsa { Portable, Avx2, Avx512 };

VectorIsa vector_isa() {
  static const VectorIsa isa = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return VectorIsa::Avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return VectorIsa::Avx2;
    return VectorIsa::Portable;
  }();
  return isa;
}

}  // namespace

void rms_norm(const float* x, const float* weight, std::int64_t n, float eps, float* y) {
  double ss = 0.0;  // accumulate in double: n is up to 2048 and torch reduces pairwise
  for (std::int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float inv = 1.0f / std::sqrt(static_cast<float>(ss / static_cast<double>(n)) + eps);
  for (std::int64_t i = 0; i < n; ++i) y[i] = weight[i] * (x[i] * inv);
}

void layer_norm(const float* x, const float* weight, const float* bias, std::int64_t n, float eps, float* y) {
  double mean = 0.0;
  for (std::int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<double>(n);
  double var = 0.0;
  for (std::int64_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(n);
  const float inv = 1.0f / std::sqrt(static_cast<float>(var) + eps);
  const float m = static_cast<float>(mean);
  for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * inv * weight[i] + bias[i];
}

void softmax(float* x, std::int64_t n) {
  if (vector_isa() == VectorIsa::Avx512) return softmax_avx512(x, n);
  if (vector_isa() == VectorIsa::Avx2) return softmax_avx2(x, n);
  const float mx = *std::max_element(x, x + n);
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (std::int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void gelu_tanh(float* x, std::int64_t n) {
  if (vector_isa() == VectorIsa::Avx512) return gelu_tanh_avx512(x, n);
  if (vector_isa() == VectorIsa::Avx2) return gelu_tanh_avx2(x, n);
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    x[i] = 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
  }
}

void silu_mul(float* gate, const float* up, std::int64_t n) {
  if (vector_isa() == VectorIsa::Avx512) return silu_mul_avx512(gate, up, n);
  if (vector_isa() == VectorIsa::Avx2) return silu_mul_avx2(gate, up, n);
  for (std::int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void axpy(float a, const float* x, float* y, std::int64_t n) {
  if (vector_isa() == VectorIsa::Avx512) return axpy_avx512(a, x, y, n);
  if (vector_isa() == VectorIsa::Avx2) return axpy_avx2(a, x, y, n);
  for (std::int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void add(float* x, const float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void rope_rotate_half(float* v, const float* cos, const float* sin, std::int64_t head_dim) {
  const std::int64_t half = head_dim / 2;
  for (std::int64_t i = 0; i < half; ++i) {
    const float a = v[i], b = v[i + half];
    v[i] = a * cos[i] - b * sin[i];
    v[i + half] = b * cos[i] + a * sin[i];
  }
}

}  // namespace prism::kernels
