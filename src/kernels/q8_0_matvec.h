// y = x · Wᵀ for a Q8_0 weight matrix and a few rows of x (decoding): x is
// quantized to int8 blocks of 32 with one float scale each, and every block
// product is an integer dot product scaled once, the way llama.cpp multiplies
// its Q8_0 weights. Prompts and the vision encoder (many rows) go through the
// panel kernel instead, which widens Q8_0 rows to float32 as it packs them.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/thread_pool.h"
#include "formats/ggml_types.h"
#include "tensor/tensor.h"

namespace prism::kernels {

// A row of activations in the int8 blocks the dot products take.
struct QuantizedRow {
  std::vector<std::int8_t> q;  // n values
  std::vector<float> scale;    // n / 32: x ≈ scale · q, per block
};
void quantize_activations(const float* x, std::int64_t n, QuantizedRow& out);

// Σ over `blocks` blocks of w.scale · x.scale · Σ w.q · x.q.
float dot_q8_0_portable(const formats::BlockQ8_0* w, const std::int8_t* xq, const float* xs, std::int64_t blocks);
float dot_q8_0_avx2(const formats::BlockQ8_0* w, const std::int8_t* xq, const float* xs, std::int64_t blocks);

// x: [m, w.cols], y: [m, w.rows], w.dtype Q8_0, bias w.rows floats or null.
void matmul_q8_0(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                 float* y);

}  // namespace prism::kernels
