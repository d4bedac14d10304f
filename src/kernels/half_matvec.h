// y = x · Wᵀ for a few rows of x (decoding) and 16-bit weights (BF16, F16),
// read straight from the checkpoint: each weight is widened in a register
// (bf16: a shift; f16: vcvtph2ps) and multiplied in float32, so the result
// is what the float32 upcast gives and the only memory traffic is the 16-bit
// weights. Four weight rows share every load of x.
#pragma once

#include <cstdint>

#include "kernels/thread_pool.h"
#include "tensor/tensor.h"

namespace prism::kernels {

// Whether the CPU has a kernel for this dtype (AVX-512F, or AVX2+FMA+F16C).
bool half_matvec_available(tensor::DType dtype);

// x: [m, w.cols], y: [m, w.rows], w.dtype BF16 or F16, bias w.rows floats or
// null. Requires half_matvec_available(w.dtype).
void matmul_half_rows(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w,
                      const float* bias, float* y);

// out[r] = Σ x[i] · w_r[i] for four rows w_r = w + r·ldw (n elements each), the variants.
void dot4_bf16_avx512(const float* x, const std::uint16_t* w, std::int64_t ldw, std::int64_t n, float* out);
void dot4_f16_avx512(const float* x, const std::uint16_t* w, std::int64_t ldw, std::int64_t n, float* out);
void dot4_bf16_avx2(const float* x, const std::uint16_t* w, std::int64_t ldw, std::int64_t n, float* out);
void dot4_f16_avx2(const float* x, const std::uint16_t* w, std::int64_t ldw, std::int64_t n, float* out);

}  // namespace prism::kernels
