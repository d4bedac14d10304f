#include "kernels/panel_gemm.h"

#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace prism::kernels {
namespace {

// Steps of k summed in registers before they are added to y: sums of 256
// products, then a sum of those, stay closer to the exact value than one
// running sum over thousands of products (k is 3072 in SigLIP's MLP).
constexpr std::int64_t kDepthBlock = 256;

// Sums `x rows · panel` over [k0, k1) into sum[2 * r + half] (16 lanes each);
// lanes outside the lo/hi masks are never read.
// Eight rows always: rows past the tile's end read row 0 again and are not
// stored. The accumulators are named, not an array, so that GCC keeps all
// sixteen in registers instead of spilling them.
__attribute__((target("avx512f"))) void depth_block_avx512(const float* const* xr, const float* panel,
                                                           std::int64_t ldp, __mmask16 lo, __mmask16 hi,
                                                           std::int64_t k0, std::int64_t k1, __m512* sum) {
  const float *x0 = xr[0], *x1 = xr[1], *x2 = xr[2], *x3 = xr[3], *x4 = xr[4], *x5 = xr[5], *x6 = xr[6],
              *x7 = xr[7];
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  for (std::int64_t kk = k0; kk < k1; ++kk) {
    const __m512 b0 = _mm512_maskz_loadu_ps(lo, panel + kk * ldp);
    const __m512 b1 = _mm512_maskz_loadu_ps(hi, panel + kk * ldp + 16);
#define PRISM_PANEL_ROW(r)                          \
  {                                                 \
    const __m512 a = _mm512_set1_ps(x##r[kk]);      \
    c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0);      \
    c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1);      \
  }
    PRISM_PANEL_ROW(0) PRISM_PANEL_ROW(1) PRISM_PANEL_ROW(2) PRISM_PANEL_ROW(3)
    PRISM_PANEL_ROW(4) PRISM_PANEL_ROW(5) PRISM_PANEL_ROW(6) PRISM_PANEL_ROW(7)
#undef PRISM_PANEL_ROW
  }
  const __m512 acc[16] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71};
  for (int i = 0; i < 16; ++i) sum[i] = _mm512_add_ps(sum[i], acc[i]);
}

}  // namespace

__attribute__((target("avx512f"))) void panel_tile_avx512(const float* x, std::int64_t ldx, int rows, const float* panel,
                                                    std::int64_t ldp, std::int64_t k, float* y, std::int64_t ldy,
                                                    int nr, const float* bias) {
  const __mmask16 lo = nr >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << nr) - 1u);
  const __mmask16 hi = nr >= 32   ? static_cast<__mmask16>(0xffff)
                       : nr <= 16 ? static_cast<__mmask16>(0)
                                  : static_cast<__mmask16>((1u << (nr - 16)) - 1u);
  const float* xr[kTileRows];
  for (int r = 0; r < kTileRows; ++r) xr[r] = x + (r < rows ? r : 0) * ldx;
  __m512 sum[2 * kTileRows];
  const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(lo, bias) : _mm512_setzero_ps();
  const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(hi, bias + 16) : _mm512_setzero_ps();
  for (int r = 0; r < kTileRows; ++r) {
    sum[2 * r] = bias0;
    sum[2 * r + 1] = bias1;
  }
  for (std::int64_t k0 = 0; k0 < k; k0 += kDepthBlock)
    depth_block_avx512(xr, panel, ldp, lo, hi, k0, k0 + kDepthBlock < k ? k0 + kDepthBlock : k, sum);
  for (int r = 0; r < rows; ++r) {
    _mm512_mask_storeu_ps(y + r * ldy, lo, sum[2 * r]);
    if (hi) _mm512_mask_storeu_ps(y + r * ldy + 16, hi, sum[2 * r + 1]);
  }
}

namespace {

// AVX2 has 16 registers of 8 floats: the 8x32 tile is swept as four 4x16
// quarters, each 8 accumulators + 2 panel vectors + 1 broadcast of x.
// `full` says all 16 columns exist (plain loads); otherwise masked loads
// keep a slice of a wider matrix from being read past its nr columns.
template <bool full>
__attribute__((target("avx2,fma"))) void depth_block_avx2(const float* const* xr, const float* panel,
                                                         std::int64_t ldp, __m256i lo, __m256i hi,
                                                         std::int64_t k0, std::int64_t k1, __m256* sum) {
  const float *x0 = xr[0], *x1 = xr[1], *x2 = xr[2], *x3 = xr[3];
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (std::int64_t kk = k0; kk < k1; ++kk) {
    const float* b = panel + kk * ldp;
    const __m256 b0 = full ? _mm256_loadu_ps(b) : _mm256_maskload_ps(b, lo);
    const __m256 b1 = full ? _mm256_loadu_ps(b + 8) : _mm256_maskload_ps(b + 8, hi);
#define PRISM_PANEL_ROW(r)                          \
  {                                                 \
    const __m256 a = _mm256_broadcast_ss(x##r + kk); \
    c##r##0 = _mm256_fmadd_ps(a, b0, c##r##0);      \
    c##r##1 = _mm256_fmadd_ps(a, b1, c##r##1);      \
  }
    PRISM_PANEL_ROW(0) PRISM_PANEL_ROW(1) PRISM_PANEL_ROW(2) PRISM_PANEL_ROW(3)
#undef PRISM_PANEL_ROW
  }
  const __m256 acc[8] = {c00, c01, c10, c11, c20, c21, c30, c31};
  for (int i = 0; i < 8; ++i) sum[i] = _mm256_add_ps(sum[i], acc[i]);
}

__attribute__((target("avx2,fma"))) __m256i lane_mask_avx2(int n) {  // lanes [0, n) set, n in [0, 8]
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes);
}

}  // namespace

__attribute__((target("avx2,fma"))) void panel_tile_avx2(const float* x, std::int64_t ldx, int rows, const float* panel,
                                                  std::int64_t ldp, std::int64_t k, float* y, std::int64_t ldy,
                                                  int nr, const float* bias) {
  for (int c0 = 0; c0 < nr; c0 += 16) {
    const int cols = nr - c0 < 16 ? nr - c0 : 16;
    const __m256i lo = lane_mask_avx2(cols < 8 ? cols : 8), hi = lane_mask_avx2(cols > 8 ? cols - 8 : 0);
    const __m256 bias0 = bias ? _mm256_maskload_ps(bias + c0, lo) : _mm256_setzero_ps();
    const __m256 bias1 = bias ? _mm256_maskload_ps(bias + c0 + 8, hi) : _mm256_setzero_ps();
    for (int r0 = 0; r0 < rows; r0 += 4) {
      const float* xr[4];
      for (int r = 0; r < 4; ++r) xr[r] = x + (r0 + r < rows ? r0 + r : r0) * ldx;
      __m256 sum[8];
      for (int r = 0; r < 4; ++r) {
        sum[2 * r] = bias0;
        sum[2 * r + 1] = bias1;
      }
      for (std::int64_t k0 = 0; k0 < k; k0 += kDepthBlock) {
        const std::int64_t k1 = k0 + kDepthBlock < k ? k0 + kDepthBlock : k;
        if (cols == 16) depth_block_avx2<true>(xr, panel + c0, ldp, lo, hi, k0, k1, sum);
        else depth_block_avx2<false>(xr, panel + c0, ldp, lo, hi, k0, k1, sum);
      }
      for (int r = 0; r < 4 && r0 + r < rows; ++r) {
        float* yr = y + (r0 + r) * ldy + c0;
        _mm256_maskstore_ps(yr, lo, sum[2 * r]);
        _mm256_maskstore_ps(yr + 8, hi, sum[2 * r + 1]);
      }
    }
  }
}

bool panel_gemm_available() {
  static const bool available = [] {
    __builtin_cpu_init();
    const char* choice = std::getenv("PRISM_PANEL_GEMM");
    const bool simd = __builtin_cpu_supports("avx512f") ||
                      (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
    return simd && !(choice && std::strcmp(choice, "off") == 0);
  }();
  return available;
}

void pack_panel(const tensor::MatrixView& w, std::int64_t r0, std::int64_t nr, float* panel) {
  const std::int64_t k = w.cols;
  thread_local std::vector<float> row;
  for (std::int64_t j = 0; j < nr; ++j) {
    const float* src;
    if (w.dtype == tensor::DType::F32) {
      src = static_cast<const float*>(w.data) + (r0 + j) * k;
    } else {
      row.resize(static_cast<std::size_t>(k));
      w.row_to_f32(r0 + j, row.data());
      src = row.data();
    }
    for (std::int64_t kk = 0; kk < k; ++kk) panel[kk * kPanelWidth + j] = src[kk];
  }
  for (std::int64_t j = nr; j < kPanelWidth; ++j)
    for (std::int64_t kk = 0; kk < k; ++kk) panel[kk * kPanelWidth + j] = 0.0f;
}

void panel_tile(const float* x, std::int64_t ldx, int rows, const float* panel, std::int64_t ldp, std::int64_t k,
                float* y, std::int64_t ldy, int nr, const float* bias) {
  static const bool avx512 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  if (avx512) panel_tile_avx512(x, ldx, rows, panel, ldp, k, y, ldy, nr, bias);
  else panel_tile_avx2(x, ldx, rows, panel, ldp, k, y, ldy, nr, bias);
}

}  // namespace prism::kernels
