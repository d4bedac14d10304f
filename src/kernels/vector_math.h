// Element-wise steps on whole vectors, exp-based ones (softmax, gelu, silu)
// and attention's y += a·x: the
// vision encoder's attention takes 1024 exps per query row and its MLP a
// tanh per activation, and through libm's scalar expf/tanhf they were half
// of an image tile's time on AMX. exp is computed as 2^n · p(r) with
// r = x - n·ln 2 in [-ln2/2, ln2/2] and p a degree-6 polynomial (about
// 1 ulp). gelu uses 0.5·(1 + tanh u) = sigmoid(2u), which needs no tanh
// and cancels nothing near 0.
#pragma once

#include <cstdint>

namespace prism::kernels {

// Same contracts as softmax / gelu_tanh / silu_mul in ops.h; call only where
// the CPU has the instructions (AVX-512F; AVX2 + FMA).
void softmax_avx512(float* x, std::int64_t n);
void gelu_tanh_avx512(float* x, std::int64_t n);
void silu_mul_avx512(float* gate, const float* up, std::int64_t n);
void softmax_avx2(float* x, std::int64_t n);
void gelu_tanh_avx2(float* x, std::int64_t n);
void silu_mul_avx2(float* gate, const float* up, std::int64_t n);
// y += a · x (ops.h axpy).
void axpy_avx512(float a, const float* x, float* y, std::int64_t n);
void axpy_avx2(float a, const float* x, float* y, std::int64_t n);

}  // namespace prism::kernels
