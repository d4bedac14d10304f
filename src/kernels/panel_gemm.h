// The matrix-matrix half of matmul (prompts, the vision encoder): weights
// packed kPanelWidth output features at a time into a k-major panel, so that
// one register tile of kTileRows x kPanelWidth outputs takes a broadcast of
// x and two vector loads of the panel per step of k, with no horizontal sums.
// The dot-product tiles of matmul.cpp load as many x as weight vectors and
// reduce every output at the end; this keeps the FMA units busy instead.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace prism::kernels {

inline constexpr int kPanelWidth = 32;  // output features per panel (two AVX-512 vectors)
inline constexpr int kTileRows = 8;     // rows of x per register tile

// Whether the panel kernel is used: the CPU has AVX-512F or AVX2+FMA and the environment
// does not say PRISM_PANEL_GEMM=off (which keeps matmul and attention on
// their dot-product tiles, so a benchmark can time both on one machine).
bool panel_gemm_available();

// panel[kk * kPanelWidth + j] = w[r0 + j][kk] as float, for j < nr (<= kPanelWidth);
// columns nr.. are zero.
void pack_panel(const tensor::MatrixView& w, std::int64_t r0, std::int64_t nr, float* panel);

// y[i][j] = Σ_kk x[i][kk] · panel[kk * ldp + j] + bias[j] for i < rows
// (<= kTileRows), j < nr (<= kPanelWidth); x rows are ldx apart, y rows ldy
// apart; bias may be null. Only the nr columns of each panel row are read,
// so a panel may be a slice of a wider matrix (ldp = its row length).
// Dispatched to the widest variant the CPU has.
void panel_tile(const float* x, std::int64_t ldx, int rows, const float* panel, std::int64_t ldp, std::int64_t k,
                float* y, std::int64_t ldy, int nr, const float* bias);

// The variants (same contract), for tests and benchmarks; call only where
// the CPU has the instructions. AVX2 sweeps the tile as four 4x16 quarters.
void panel_tile_avx512(const float* x, std::int64_t ldx, int rows, const float* panel, std::int64_t ldp,
                       std::int64_t k, float* y, std::int64_t ldy, int nr, const float* bias);
void panel_tile_avx2(const float* x, std::int64_t ldx, int rows, const float* panel, std::int64_t ldp,
                     std::int64_t k, float* y, std::int64_t ldy, int nr, const float* bias);

}  // namespace prism::kernels
