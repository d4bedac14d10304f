// y = x · Wᵀ (+ bias): the linear layer of every model here. Weights stay in
// their checkpoint dtype (F32 / BF16 / F16 / a block type) and are converted
// a block of rows at a time (block types times a few rows of x: in int8,
// q8_0_matvec.h and kquant_matvec.h);
// the work is split over the pool by output features.
#pragma once

#include <cstdint>

#include "kernels/thread_pool.h"
#include "tensor/tensor.h"

namespace prism::kernels {

// Block-type weights times fewer rows than this (a decode batch: one row per
// sequence) stay in int8: each group of weight rows is read from memory once
// and multiplied by every row of x while it sits in L1, where widening the
// weights to bf16 or float32 for AMX or the panels would cost more than the
// products themselves.
inline constexpr std::int64_t kInt8BatchRows = 32;

// x: [m, w.cols] row-major, y: [m, w.rows], bias: w.rows floats or nullptr.
// The kernel follows from m (matmul_rows' decode kinds below the limits above).
void matmul(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
            float* y);

// The same with the kind of rows named, whatever their number: decode rows
// (a token per sequence: the int8 / few-row kernels) or prompt rows (AMX or
// the panels). A batch of sequences gives each row the arithmetic it gets
// alone, so batched answers equal unbatched ones.
enum class MatmulRows { decode, prompt };
void matmul_rows(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                 float* y, MatmulRows rows);

}  // namespace prism::kernels
