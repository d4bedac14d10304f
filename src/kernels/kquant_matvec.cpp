#include "kernels/kquant_matvec.h"

#include <immintrin.h>

// GCC 12 warns that the _mm*_undefined_*() operands inside its own AVX-512
// intrinsics "may be used uninitialized" wherever they are inlined (GCC bug
// 105593): noise, not a finding.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <cstring>

#include "core/error.h"
#include "formats/dtype.h"
#include "formats/ggml_types.h"
#include "kernels/block_matmul.h"
#include "kernels/horizontal_sum.h"
#include "kernels/q8_0_matvec.h"

namespace prism::kernels {
namespace {

using formats::BlockQ4_K;
using formats::BlockQ5_0;
using formats::BlockQ6_K;

// A Q4_K super-block's eight 6-bit scales and eight 6-bit minimums, one per
// byte (sub-block j in byte j), from their 12 packed bytes: sub-blocks 0-3
// in the low 6 bits of bytes 0-3 (scales) and 4-7 (minimums), 4-7 in the
// nibbles of bytes 8-11 with their top two bits in the top of bytes 0-7.
void q4_k_scales_mins(const std::uint8_t* packed, std::uint64_t& scales, std::uint64_t& mins) {
  std::uint32_t a[3];
  std::memcpy(a, packed, 12);
  const std::uint32_t scales_lo = a[0] & 0x3f3f3f3fu, mins_lo = a[1] & 0x3f3f3f3fu;
  const std::uint32_t scales_hi = (a[2] & 0x0f0f0f0fu) | ((a[0] >> 6) & 0x03030303u) << 4;
  const std::uint32_t mins_hi = ((a[2] >> 4) & 0x0f0f0f0fu) | ((a[1] >> 6) & 0x03030303u) << 4;
  scales = scales_lo | static_cast<std::uint64_t>(scales_hi) << 32;
  mins = mins_lo | static_cast<std::uint64_t>(mins_hi) << 32;
}

std::uint8_t byte_of(std::uint64_t v, int j) { return static_cast<std::uint8_t>(v >> (8 * j)); }

// ---- portable: one row against one x, integer sums per x block ----

float dot_q5_0_portable(const BlockQ5_0* w, const QuantizedRow& x, std::int64_t blocks) {
  float sum = 0.0f;
  for (std::int64_t b = 0; b < blocks; ++b) {
    std::uint32_t qh;
    std::memcpy(&qh, w[b].qh, 4);
    const std::int8_t* xq = x.q.data() + b * 32;
    std::int32_t s = 0;
    for (int j = 0; j < 16; ++j) {
      const int lo = (w[b].qs[j] & 0x0f) | ((qh >> j) & 1) << 4, hi = (w[b].qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4;
      s += (lo - 16) * xq[j] + (hi - 16) * xq[j + 16];
    }
    sum += formats::f16_to_f32(w[b].d) * x.scale[static_cast<std::size_t>(b)] * static_cast<float>(s);
  }
  return sum;
}

float dot_q4_k_portable(const BlockQ4_K* w, const QuantizedRow& x, std::int64_t blocks) {
  float sum = 0.0f;
  for (std::int64_t b = 0; b < blocks; ++b) {
    std::uint64_t scales, mins;
    q4_k_scales_mins(w[b].scales, scales, mins);
    const float d = formats::f16_to_f32(w[b].d), dmin = formats::f16_to_f32(w[b].dmin);
    for (int j = 0; j < 8; ++j) {  // sub-block j: x block 8b + j, nibbles of qs[32 (j/2) ...]
      const std::size_t xb = static_cast<std::size_t>(b * 8 + j);
      const std::uint8_t* q = w[b].qs + 32 * (j / 2);
      const std::int8_t* xq = x.q.data() + xb * 32;
      std::int32_t s = 0;
      for (int l = 0; l < 32; ++l) s += ((j % 2 ? q[l] >> 4 : q[l]) & 0x0f) * xq[l];
      sum += x.scale[xb] * (d * byte_of(scales, j) * static_cast<float>(s) -
                            dmin * byte_of(mins, j) * static_cast<float>(x.sum[xb]));
    }
  }
  return sum;
}

float dot_q6_k_portable(const BlockQ6_K* w, const QuantizedRow& x, std::int64_t blocks) {
  float sum = 0.0f;
  for (std::int64_t b = 0; b < blocks; ++b) {
    const float d = formats::f16_to_f32(w[b].d);
    for (int j = 0; j < 8; ++j) {  // x block 8b + j: quarter c of half h
      const int h = j / 4, c = j % 4;
      const std::uint8_t* ql = w[b].ql + 64 * h + 32 * (c % 2);
      const std::uint8_t* qh = w[b].qh + 32 * h;
      const std::size_t xb = static_cast<std::size_t>(b * 8 + j);
      const std::int8_t* xq = x.q.data() + xb * 32;
      std::int32_t s[2] = {0, 0};  // the two sub-blocks of 16
      for (int l = 0; l < 32; ++l) {
        const int q = ((c < 2 ? ql[l] : ql[l] >> 4) & 0x0f) | ((qh[l] >> (2 * c)) & 3) << 4;
        s[l / 16] += (q - 32) * xq[l];
      }
      const std::int8_t* sc = w[b].scales + 8 * h + 2 * c;
      sum += d * x.scale[xb] * (sc[0] * static_cast<float>(s[0]) + sc[1] * static_cast<float>(s[1]));
    }
  }
  return sum;
}

// ---- SIMD: kquant_dot4.inc compiled for each target ----

namespace avx2 {
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
// maddubs's int16 pair sums stay exact: every u here is below 64 (2·63·127 < 32768).
inline __m256i dot_u8_i8(__m256i acc, __m256i u, __m256i x) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), _mm256_set1_epi16(1)));
}
#include "kernels/kquant_dot4.inc"
#pragma GCC pop_options
}  // namespace avx2

namespace vnni {
#pragma GCC push_options
#pragma GCC target("avx512vnni,avx512vl,avx2,fma,f16c")
inline __m256i dot_u8_i8(__m256i acc, __m256i u, __m256i x) { return _mm256_dpbusd_epi32(acc, u, x); }
#include "kernels/kquant_dot4.inc"
#pragma GCC pop_options
}  // namespace vnni


// One row through a four-row kernel (rows 0 apart: the same row four times).
template <typename Block>
auto one_row(void (*dot4)(const Block*, std::int64_t, const QuantizedRow&, std::int64_t, float*)) {
  return [dot4](const Block* row, const QuantizedRow& x, std::int64_t blocks) {
    float out[4];
    dot4(row, 0, x, blocks, out);
    return out[0];
  };
}

// The kernels of one block type on the chosen variant: the SIMD ones four
// rows per x load (and a ragged last few one at a time), portable row by row.
template <typename Block, std::int64_t kValues>
void matmul_on(BlockIsa isa, ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w,
               const float* bias, float* y, float (*portable)(const Block*, const QuantizedRow&, std::int64_t),
               void (*dot4_avx2)(const Block*, std::int64_t, const QuantizedRow&, std::int64_t, float*),
               void (*dot4_vnni)(const Block*, std::int64_t, const QuantizedRow&, std::int64_t, float*)) {
  using Dot4 = void (*)(const Block*, std::int64_t, const QuantizedRow&, std::int64_t, float*);
  switch (isa) {
    case BlockIsa::Portable: return matmul_blocks<Block, kValues>(pool, x, m, w, bias, y, Dot4{nullptr}, portable);
    case BlockIsa::Avx2: return matmul_blocks<Block, kValues>(pool, x, m, w, bias, y, dot4_avx2, one_row(dot4_avx2));
    case BlockIsa::Vnni: return matmul_blocks<Block, kValues>(pool, x, m, w, bias, y, dot4_vnni, one_row(dot4_vnni));
  }
}

bool cpu_has(BlockIsa isa) {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  switch (isa) {
    case BlockIsa::Portable: return true;
    case BlockIsa::Avx2: return avx2;
    case BlockIsa::Vnni: return avx2 && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl");
  }
  return false;
}

}  // namespace

const char* block_isa_name(BlockIsa isa) {
  switch (isa) {
    case BlockIsa::Portable: return "portable";
    case BlockIsa::Avx2: return "avx2";
    case BlockIsa::Vnni: return "avx512vnni";
  }
  return "?";
}

const std::vector<BlockIsa>& available_block_isas() {
  static const std::vector<BlockIsa> isas = [] {
    std::vector<BlockIsa> v;
    for (BlockIsa isa : {BlockIsa::Portable, BlockIsa::Avx2, BlockIsa::Vnni})
      if (cpu_has(isa)) v.push_back(isa);
    return v;
  }();
  return isas;
}

bool kquant_decode_takes(tensor::DType dtype) {
  return dtype == tensor::DType::Q5_0 || dtype == tensor::DType::Q4_K || dtype == tensor::DType::Q6_K;
}

void matmul_kquant(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                   float* y, BlockIsa isa) {
  if (!cpu_has(isa)) throw Error(std::string("this CPU cannot run the ") + block_isa_name(isa) + " block kernels");
  switch (w.dtype) {
    case tensor::DType::Q5_0:
      return matmul_on<BlockQ5_0, formats::kQK>(isa, pool, x, m, w, bias, y, dot_q5_0_portable, avx2::dot4_q5_0,
                                                vnni::dot4_q5_0);
    case tensor::DType::Q4_K:
      return matmul_on<BlockQ4_K, formats::kQK_K>(isa, pool, x, m, w, bias, y, dot_q4_k_portable, avx2::dot4_q4_k,
                                                  vnni::dot4_q4_k);
    case tensor::DType::Q6_K:
      return matmul_on<BlockQ6_K, formats::kQK_K>(isa, pool, x, m, w, bias, y, dot_q6_k_portable, avx2::dot4_q6_k,
                                                  vnni::dot4_q6_k);
    default:
      throw Error(std::string("matmul_kquant: ") + std::string(formats::dtype_name(w.dtype)) + " is not Q5_0, Q4_K or Q6_K");
  }
}

void matmul_kquant(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                   float* y) {
  matmul_kquant(pool, x, m, w, bias, y, available_block_isas().back());
}

}  // namespace prism::kernels
