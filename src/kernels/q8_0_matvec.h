// y = x · Wᵀ for a Q8_0 (or, with VNNI, Q4_0) weight matrix and a few rows of x (decoding): x is
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
  // Σ q per block: the VNNI kernels multiply unsigned weights (Q8_0's
  // w + 128, Q4_0's 4-bit w + 8) by q and take offset · Σ q back out.
  std::vector<std::int32_t> sum;
  // The same per pair of blocks as the 512-bit VNNI kernels take them (a
  // block in each half): 16 scales (8 of each block) and 16 int32 lanes
  // holding -Σ q of each block in lanes 0 and 8, zero elsewhere.
  std::vector<float> pair_scale;
  std::vector<std::int32_t> pair_neg_sum;
};
// n is a multiple of 32. AVX-512 where the CPU has it (the same bits as the
// portable loop, which is the reference).
void quantize_activations(const float* x, std::int64_t n, QuantizedRow& out);
void quantize_activations_portable(const float* x, std::int64_t n, QuantizedRow& out);

// Σ over `blocks` blocks of w.scale · x.scale · Σ w.q · x.q.
float dot_q8_0_portable(const formats::BlockQ8_0* w, const std::int8_t* xq, const float* xs, std::int64_t blocks);
float dot_q8_0_avx2(const formats::BlockQ8_0* w, const std::int8_t* xq, const float* xs, std::int64_t blocks);
// Four weight rows `row_blocks` blocks apart against one x (AVX-512 VNNI on
// 256-bit vectors: one vpdpbusd per block and row, x's loads shared).
void dot4_q8_0_vnni(const formats::BlockQ8_0* w, std::int64_t row_blocks, const QuantizedRow& x, std::int64_t blocks,
                    float* out);
bool q8_0_vnni_available();
// Four weight rows against four rows of x: out[i * 4 + r] = row r · *x[i].
void dot4x4_q8_0_vnni(const formats::BlockQ8_0* w, std::int64_t row_blocks, const QuantizedRow* const* x,
                      std::int64_t blocks, float* out);
void dot4x4_q4_0_vnni(const formats::BlockQ4_0* w, std::int64_t row_blocks, const QuantizedRow* const* x,
                      std::int64_t blocks, float* out);
// The same for Q4_0 weights (18-byte blocks: f16 scale, 16 bytes of nibbles).
void dot4_q4_0_vnni(const formats::BlockQ4_0* w, std::int64_t row_blocks, const QuantizedRow& x, std::int64_t blocks,
                    float* out);
// y = x · Wᵀ for a Q4_0 matrix and a few rows of x; requires q8_0_vnni_available().
void matmul_q4_0_vnni(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                      float* y);

// x: [m, w.cols], y: [m, w.rows], w.dtype Q8_0, bias w.rows floats or null.
void matmul_q8_0(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                 float* y);

}  // namespace prism::kernels
