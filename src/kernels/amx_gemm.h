// Matrix-matrix products on Intel AMX tiles for weights stored in bf16:
// prompts and the vision encoder when the checkpoint is BF16 (as on the Hub)
// or was re-stored as bf16 at load. Products accumulate in float32. x is
// split into three bf16 planes (hi + mid + lo hold float32's 24 bits), so
// the result matches the float32 path to float32 rounding; where the weights
// were re-stored for speed (MatrixView::bf16_inputs) x is rounded to one
// plane, a third of the work. F16 weights come here only then (rounded on
// to bf16 as they are packed); otherwise they keep the exact float32 path.
// Q8_0, Q4_0, Q5_0, Q4_K and Q6_K blocks come here too, dequantized and rounded to bf16 as
// they are packed, x in one plane: both roundings are below the blocks' own.
// A 32x32 block of y is four 16x16 accumulator tiles fed by two tiles of x
// and two of packed weights per 32 steps of k.
#pragma once

#include <cstdint>

#include "kernels/thread_pool.h"
#include "tensor/tensor.h"

namespace prism::kernels {

// True when the CPU has AMX-TILE and AMX-BF16 (and AVX512-BF16, used to
// round x), the kernel granted this process the tile state
// (arch_prctl(ARCH_REQ_XCOMP_PERM), asked once, before any thread touches a
// tile), and the environment does not say PRISM_AMX=off.
bool amx_bf16_available();

// Whether matmul takes the AMX path for these weights: BF16, a block type, or F16 with bf16_inputs.
bool amx_takes(const tensor::MatrixView& w);

// x: [m, w.cols] row-major, y: [m, w.rows], bias: w.rows floats or nullptr.
// Requires amx_bf16_available() and amx_takes(w).
void matmul_amx_bf16(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w,
                     const float* bias, float* y);

}  // namespace prism::kernels
