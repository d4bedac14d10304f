#include "kernels/amx_gemm.h"

#include <cpuid.h>
#include <immintrin.h>

// GCC 12 warns that the _mm512_undefined_*() operands inside its own AVX-512
// intrinsics "may be used uninitialized" wherever they are inlined at -O1
// (GCC bug 105593): noise, not a finding.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "formats/dtype.h"

namespace prism::kernels {
namespace {

constexpr std::int64_t kBlockK = 32;     // bf16 values of k per tile row (64 bytes)
constexpr std::int64_t kBlockRows = 32;  // rows of x per 2x2 tile block
constexpr std::int64_t kPanel = 32;      // output features per packed panel (two 16-column tiles)
// Rows of x per task: the task packs its panel once, so 512 rows make the
// packing a small part of the work and still give 2 threads enough tasks.
constexpr std::int64_t kRowsPerTask = 512;

constexpr int kArchReqXcompPerm = 0x1023;  // arch_prctl: ask for an extended state component
constexpr int kXfeatureXtiledata = 18;     // the AMX tile data

bool cpu_has_amx_bf16() {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool amx_bf16 = (d >> 22) & 1, amx_tile = (d >> 24) & 1;
  const bool avx512f = (b >> 16) & 1;
  if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return false;
  const bool avx512_bf16 = (a >> 5) & 1;
  return amx_bf16 && amx_tile && avx512f && avx512_bf16;
}

// The tile configuration every thread loads once: all eight tiles are 16
// rows of 64 bytes (accumulators 0-3: 16x16 float; 4-5: x, 16 rows of 32
// bf16; 6-7: weights, 16 pairs of k by 16 columns).
struct alignas(64) TileConfig {
  std::uint8_t palette = 1;
  std::uint8_t start_row = 0;
  std::uint8_t reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
};

constexpr TileConfig all_tiles_16_by_64() {
  TileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.colsb[t] = 64;
    config.rows[t] = 16;
  }
  return config;
}
// In static storage: GCC's _tile_loadconfig tells the compiler it reads only
// part of the 64 bytes, so a configuration built on the stack lost its tile
// shapes to dead-store elimination (ldtilecfg then faults).
constexpr TileConfig kTileConfig = all_tiles_16_by_64();

__attribute__((target("amx-tile"))) void configure_tiles_once() {
  thread_local bool configured = false;
  if (configured) return;
  _tile_loadconfig(&kTileConfig);
  configured = true;
}

// x as the sum of `parts` bf16 planes (each the rounding, to nearest even,
// of what the planes before it left): one part keeps 8 significant bits,
// three keep float32's 24, so the products match the float32 path's.
__attribute__((target("avx512f,avx512bf16"))) void split_to_bf16(const float* src, std::int64_t n, int parts,
                                                                 std::uint16_t* dst, std::int64_t plane_stride) {
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 rest = _mm512_loadu_ps(src + i);
    for (int p = 0; p < parts; ++p) {
      const __m256i h = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(rest));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + p * plane_stride + i), h);
      const __m512 back = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
      rest = _mm512_sub_ps(rest, back);
    }
  }
  for (; i < n; ++i) {
    float rest = src[i];
    for (int p = 0; p < parts; ++p) {
      const std::uint16_t h = formats::f32_to_bf16(rest);
      dst[p * plane_stride + i] = h;
      rest -= formats::bf16_to_f32(h);
    }
  }
}

// Packs output features r0..r0+nr of w into the weight tiles' layout: for
// each 32 of k, two 1 KiB tiles (columns 0-15, 16-31), row p of a tile
// holding the pair (k = 2p, 2p+1) of each of its 16 columns. Missing
// columns and the k beyond w.cols are zero.
void pack_weights(const tensor::MatrixView& w, std::int64_t r0, std::int64_t nr, std::int64_t k_padded,
                  std::uint32_t* packed) {
  const std::int64_t k = w.cols, chunks = k_padded / kBlockK;
  std::memset(packed, 0, static_cast<std::size_t>(k_padded * kPanel * 2));
  thread_local std::vector<std::uint16_t> row;
  row.assign(static_cast<std::size_t>(k_padded), 0);
  thread_local std::vector<float> widened;
  for (std::int64_t j = 0; j < nr; ++j) {
    if (w.dtype == tensor::DType::BF16) {
      std::memcpy(row.data(), static_cast<const std::uint16_t*>(w.data) + (r0 + j) * k, static_cast<std::size_t>(k * 2));
    } else {
      widened.resize(static_cast<std::size_t>(k));
      w.row_to_f32(r0 + j, widened.data());
      split_to_bf16(widened.data(), k, 1, row.data(), 0);
    }
    const auto* pairs = reinterpret_cast<const std::uint32_t*>(row.data());
    const std::int64_t tile = j / 16, column = j % 16;
    for (std::int64_t c = 0; c < chunks; ++c) {
      std::uint32_t* dst = packed + (c * 2 + tile) * 256 + column;
      for (std::int64_t p = 0; p < 16; ++p) dst[p * 16] = pairs[c * 16 + p];
    }
  }
}

// y rows i0..i1 (i1 - i0 a multiple of 32 within the padded x), columns
// r0..r0+nr, from x in bf16 (lda bytes per row) and one packed panel.
__attribute__((target("amx-tile,amx-bf16"))) void panel_rows(const std::uint16_t* xb, std::int64_t lda,
                                                             int parts, std::int64_t plane_bytes,
                                                             std::int64_t m, std::int64_t i0, std::int64_t i1,
                                                             const std::uint32_t* packed, std::int64_t chunks,
                                                             float* y, std::int64_t ldy, std::int64_t r0,
                                                             std::int64_t nr, const float* bias) {
  alignas(64) float block[kBlockRows * kPanel];
  const auto* a = reinterpret_cast<const char*>(xb);
  const auto* b = reinterpret_cast<const char*>(packed);
  for (std::int64_t i = i0; i < i1; i += kBlockRows) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (std::int64_t c = 0; c < chunks; ++c) {
      _tile_loadd(6, b + (c * 2) * 1024, 64);
      _tile_loadd(7, b + (c * 2 + 1) * 1024, 64);
      for (int p = 0; p < parts; ++p) {
        const char* plane = a + p * plane_bytes;
        _tile_loadd(4, plane + i * lda + c * 64, lda);
        _tile_loadd(5, plane + (i + 16) * lda + c * 64, lda);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
    }
    _tile_stored(0, block, kPanel * 4);
    _tile_stored(1, block + 16, kPanel * 4);
    _tile_stored(2, block + 16 * kPanel, kPanel * 4);
    _tile_stored(3, block + 16 * kPanel + 16, kPanel * 4);
    const std::int64_t rows = std::min(kBlockRows, m - i);
    for (std::int64_t r = 0; r < rows; ++r) {
      float* out = y + (i + r) * ldy + r0;
      const float* in = block + r * kPanel;
      for (std::int64_t j = 0; j < nr; ++j) out[j] = in[j] + (bias ? bias[r0 + j] : 0.0f);
    }
  }
}

// Block types (Q8_0, Q4_0, Q5_0, Q4_K, Q6_K): packed through row_to_f32.
bool quantized(tensor::DType t) { return formats::dtype_block_size(t) > 1; }

// bf16 planes x is split into: three keep float32 precision; one where the
// weights were re-stored for speed, or are 8- to 4-bit blocks (bf16's
// 2^-9 relative rounding is below their own step of 1/127 to 1/7 of a
// block's range, and the decode kernels round x to int8 anyway).
int x_parts(const tensor::MatrixView& w) {
  return w.bf16_inputs || quantized(w.dtype) ? 1 : 3;
}

}  // namespace

bool amx_bf16_available() {
  static const bool available = [] {
    const char* choice = std::getenv("PRISM_AMX");
    if (choice && std::strcmp(choice, "off") == 0) return false;
    if (!cpu_has_amx_bf16()) return false;
    // The kernel hands out the 8 KiB tile state only on request; a thread
    // touching a tile before this dies with SIGILL.
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return available;
}

bool amx_takes(const tensor::MatrixView& w) {
  return w.dtype == tensor::DType::BF16 || quantized(w.dtype) || (w.dtype == tensor::DType::F16 && w.bf16_inputs);
}

void matmul_amx_bf16(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w,
                     const float* bias, float* y) {
  const std::int64_t n = w.rows, k = w.cols;
  const std::int64_t k_padded = (k + kBlockK - 1) / kBlockK * kBlockK;
  const std::int64_t m_padded = (m + kBlockRows - 1) / kBlockRows * kBlockRows;
  const std::int64_t lda = k_padded * 2;

  // x in bf16 planes, zero-padded to whole tiles (rows and k), shared by every task.
  const int parts = x_parts(w);
  const std::int64_t plane = m_padded * k_padded;
  thread_local std::vector<std::uint16_t> xb;
  xb.assign(static_cast<std::size_t>(plane * parts), 0);
  std::uint16_t* xb_data = xb.data();
  const std::int64_t row_tasks = (m + 63) / 64;
  pool.parallel_for(row_tasks, [&](std::int64_t task) {
    for (std::int64_t i = task * 64; i < std::min(m, task * 64 + 64); ++i)
      split_to_bf16(x + i * k, k, parts, xb_data + i * k_padded, plane);
  });

  const std::int64_t panels = (n + kPanel - 1) / kPanel;
  const std::int64_t blocks = (m_padded + kRowsPerTask - 1) / kRowsPerTask;
  pool.parallel_for(panels * blocks, [&](std::int64_t task) {
    configure_tiles_once();
    const std::int64_t r0 = (task / blocks) * kPanel, i0 = (task % blocks) * kRowsPerTask;
    const std::int64_t nr = std::min(kPanel, n - r0);
    thread_local std::vector<std::uint32_t> packed;
    packed.resize(static_cast<std::size_t>(k_padded * kPanel / 2));
    pack_weights(w, r0, nr, k_padded, packed.data());
    panel_rows(xb_data, lda, parts, plane * 2, m, i0, std::min(m_padded, i0 + kRowsPerTask), packed.data(), k_padded / kBlockK, y, n,
               r0, nr, bias);
  });
}

}  // namespace prism::kernels
