// y = x · Wᵀ for Q5_0, Q4_K and Q6_K weight matrices (as GGUF files hold
// them) and a few rows of x (decoding), straight from the blocks: x is
// quantized once to int8 blocks of 32 (q8_0_matvec.h's QuantizedRow) and
// every 32 weights times one x block is an integer dot product of unsigned
// weights (w plus an offset) with x, scaled once. Q4_K's sub-blocks of 32
// pair with one x block each (their minimum comes back through the x block's
// Σ q); Q6_K's sub-blocks of 16 are half an x block (a lane scale each).
// Prompts (many rows) go through AMX or the panel GEMM, which widen the
// blocks through MatrixView::row_to_f32 as they pack them.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/thread_pool.h"
#include "tensor/tensor.h"

namespace prism::kernels {

// Which kernels multiply the blocks: AVX-512 VNNI (vpdpbusd on 256-bit
// vectors), AVX2 (maddubs + madd), or portable C++.
enum class BlockIsa { Portable, Avx2, Vnni };

const char* block_isa_name(BlockIsa isa);
// The variants this CPU runs, portable first; the best one last.
const std::vector<BlockIsa>& available_block_isas();

// Whether matmul_kquant multiplies this dtype (Q5_0, Q4_K, Q6_K).
bool kquant_decode_takes(tensor::DType dtype);

// x: [m, w.cols], y: [m, w.rows], bias w.rows floats or null; w.dtype one
// kquant_decode_takes accepts, isa one of available_block_isas().
void matmul_kquant(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                   float* y, BlockIsa isa);
// The same on the best variant this CPU has.
void matmul_kquant(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                   float* y);

}  // namespace prism::kernels
