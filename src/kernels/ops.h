// Element-wise and row-wise operations of the float32 reference path, as
// plain loops the compiler vectorises. Each matches its PyTorch counterpart
// in float32 (formula and order of the reductions noted where it matters).
#pragma once

#include <cstdint>

namespace prism::kernels {

// Llama RMSNorm: y = w * (x / sqrt(mean(x²) + eps)). Works in place (y == x).
void rms_norm(const float* x, const float* weight, std::int64_t n, float eps, float* y);

// LayerNorm with affine weight and bias (biased variance, like torch).
void layer_norm(const float* x, const float* weight, const float* bias, std::int64_t n, float eps, float* y);

// Numerically stable softmax in place.
void softmax(float* x, std::int64_t n);

// gelu with the tanh approximation (torch gelu(approximate="tanh")), in place.
void gelu_tanh(float* x, std::int64_t n);

// y = silu(gate) * up, element-wise (Llama MLP), written into gate.
void silu_mul(float* gate, const float* up, std::int64_t n);

// x += y
void add(float* x, const float* y, std::int64_t n);

// y += a · x (attention's weighted sum of values, one key at a time).
void axpy(float a, const float* x, float* y, std::int64_t n);

// Rotary position embedding (Llama "rotate half" layout) of one head vector,
// given cos/sin of the position for the first head_dim/2 frequencies.
void rope_rotate_half(float* v, const float* cos, const float* sin, std::int64_t head_dim);

}  // namespace prism::kernels
