#include "kernels/q8_0_matvec.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "formats/dtype.h"
#include "kernels/block_matmul.h"
#include "kernels/horizontal_sum.h"

// GCC 12 takes the undefined-vector placeholder inside its own AVX-512
// intrinsics (zero-extensions, reductions) for an uninitialised read: a
// false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace prism::kernels {
namespace {

// How far ahead (in 34-byte blocks, ~4 KB) the VNNI kernel prefetches each
// row: on the 256M shape, generation went from 55 to 82-112 tok/s with it
// (8 blocks ahead: 64, 30: 71, 60: 73, 240: 102; see PERFORMANCE.md).
constexpr std::int64_t kPrefetchBlocks = 120;
constexpr std::int64_t kPrefetchBlocksQ4 = 224;  // 18-byte blocks, ~4 KB

using DotQ8Fn = float (*)(const formats::BlockQ8_0*, const std::int8_t*, const float*, std::int64_t);

DotQ8Fn best_dot_q8_0() {
  static const DotQ8Fn fn = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")
               ? dot_q8_0_avx2
               : dot_q8_0_portable;
  }();
  return fn;
}

// The same blocks as the portable loop, bit for bit: the product rounds to
// the nearest integer, ties to even (the default rounding mode, as
// nearbyint), and fits int8 since |v · inv| <= 127.
__attribute__((target("avx512f,avx512bw"))) void quantize_blocks_avx512(const float* x, std::int64_t blocks,
                                                                       QuantizedRow& out) {
  static_assert(formats::kQK == 32);
  for (std::int64_t b = 0; b < blocks; ++b) {
    const __m512 lo = _mm512_loadu_ps(x + b * 32), hi = _mm512_loadu_ps(x + b * 32 + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(lo), _mm512_abs_ps(hi)));
    const float d = amax / 127.0f, inv = d != 0.0f ? 1.0f / d : 0.0f;
    out.scale[static_cast<std::size_t>(b)] = d;
    const __m512 scale = _mm512_set1_ps(inv);
    const __m512i qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, scale));
    const __m512i qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, scale));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out.q.data() + b * 32), _mm512_cvtepi32_epi8(qlo));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out.q.data() + b * 32 + 16), _mm512_cvtepi32_epi8(qhi));
    out.sum[static_cast<std::size_t>(b)] = _mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
  }
}

bool avx512_quantizer() {
  static const bool available = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return available;
}

// Room for n values (whole blocks of 32) in out; returns the block count.
std::int64_t size_for(std::int64_t n, QuantizedRow& out) {
  const std::int64_t blocks = n / formats::kQK;
  out.q.resize(static_cast<std::size_t>(n));
  out.scale.resize(static_cast<std::size_t>(blocks));
  out.sum.resize(static_cast<std::size_t>(blocks));
  return blocks;
}

void lay_out_pairs(QuantizedRow& out) {
  const std::size_t pairs = out.scale.size() / 2;
  out.pair_scale.resize(pairs * 16);
  out.pair_neg_sum.assign(pairs * 16, 0);
  for (std::size_t p = 0; p < pairs; ++p) {
    for (std::size_t l = 0; l < 16; ++l) out.pair_scale[p * 16 + l] = out.scale[2 * p + l / 8];
    out.pair_neg_sum[p * 16] = -out.sum[2 * p];
    out.pair_neg_sum[p * 16 + 8] = -out.sum[2 * p + 1];
  }
}

}  // namespace

void quantize_activations(const float* x, std::int64_t n, QuantizedRow& out) {
  if (!avx512_quantizer()) return quantize_activations_portable(x, n, out);
  quantize_blocks_avx512(x, size_for(n, out), out);
  lay_out_pairs(out);
}

void quantize_activations_portable(const float* x, std::int64_t n, QuantizedRow& out) {
  const std::int64_t blocks = size_for(n, out);
  for (std::int64_t b = 0; b < blocks; ++b) {
    const float* v = x + b * formats::kQK;
    float amax = 0.0f;
    for (std::int64_t i = 0; i < formats::kQK; ++i) amax = std::fmax(amax, std::fabs(v[i]));
    // The scale stays a float (llama.cpp rounds it to f16): one rounding less.
    const float d = amax / 127.0f, inv = d != 0.0f ? 1.0f / d : 0.0f;
    out.scale[static_cast<std::size_t>(b)] = d;
    std::int32_t sum = 0;
    for (std::int64_t i = 0; i < formats::kQK; ++i) {
      const auto q = static_cast<std::int8_t>(std::nearbyint(v[i] * inv));
      out.q[static_cast<std::size_t>(b * formats::kQK + i)] = q;
      sum += q;
    }
    out.sum[static_cast<std::size_t>(b)] = sum;
  }
  lay_out_pairs(out);
}

float dot_q8_0_portable(const formats::BlockQ8_0* w, const std::int8_t* xq, const float* xs, std::int64_t blocks) {
  float sum = 0.0f;
  for (std::int64_t b = 0; b < blocks; ++b) {
    std::int32_t s = 0;
    for (std::int64_t i = 0; i < formats::kQK; ++i) s += w[b].qs[i] * xq[b * formats::kQK + i];
    sum += formats::f16_to_f32(w[b].d) * xs[b] * static_cast<float>(s);
  }
  return sum;
}

__attribute__((target("avx2,fma,f16c"))) float dot_q8_0_avx2(const formats::BlockQ8_0* w, const std::int8_t* xq,
                                                            const float* xs, std::int64_t blocks) {
  // maddubs multiplies unsigned by signed bytes: |w| times x with w's sign
  // moved onto x. Pairs of products stay within int16 (2·128·127 < 32768;
  // x is never -128, the quantizer rounds to ±127).
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  std::int64_t b = 0;
  for (; b + 2 <= blocks; b += 2) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b + 1].qs));
    const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * 32));
    const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * 32 + 32));
    const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(x0, w0)), ones);
    const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w1, w1), _mm256_sign_epi8(x1, w1)), ones);
    const __m256 d0 = _mm256_set1_ps(_cvtsh_ss(w[b].d) * xs[b]);
    const __m256 d1 = _mm256_set1_ps(_cvtsh_ss(w[b + 1].d) * xs[b + 1]);
    acc0 = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(p0), acc0);
    acc1 = _mm256_fmadd_ps(d1, _mm256_cvtepi32_ps(p1), acc1);
  }
  for (; b < blocks; ++b) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * 32));
    const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(x0, w0)), ones);
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(w[b].d) * xs[b]), _mm256_cvtepi32_ps(p0), acc0);
  }
  return hsum256(_mm256_add_ps(acc0, acc1));
}

namespace {

// A block's 32 weights plus an offset that makes them unsigned bytes, as
// vpdpbusd takes them, with the offset and how often (in blocks) a row's
// prefetch reaches a new cache line.
struct Q8_0Vnni {
  static constexpr std::int32_t kOffset = 128;  // w XOR 0x80 = w + 128
  static constexpr int kOffsetShift = 7;
  static constexpr std::int64_t kPrefetchEvery = 2, kAhead = kPrefetchBlocks;
  __attribute__((target("avx2"))) static __m256i unsigned_weights(const formats::BlockQ8_0& blk) {
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
    return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs)), flip);
  }
};
struct Q4_0Vnni {
  static constexpr std::int32_t kOffset = 8;  // nibbles hold w + 8; low ones are elements 0-15
  static constexpr int kOffsetShift = 3;
  static constexpr std::int64_t kPrefetchEvery = 4, kAhead = kPrefetchBlocksQ4;
  __attribute__((target("avx2"))) static __m256i unsigned_weights(const formats::BlockQ4_0& blk) {
    const __m128i low4 = _mm_set1_epi8(0x0f);
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs));
    const __m128i lo = _mm_and_si128(packed, low4), hi = _mm_and_si128(_mm_srli_epi16(packed, 4), low4);
    return _mm256_set_m128i(hi, lo);
  }
};

// The VNNI kernels take two blocks per 512-bit step: a block's 32 bytes in
// each half. The one-x and four-x kernels share these helpers and their
// order of operations, so a decode row gets the same bits whichever runs it
// (alone or in a batch).
#define PRISM_VNNI_TARGET __attribute__((target("avx512f,avx512vnni,avx512vl,avx2,fma,f16c")))

// Blocks b and b + 1 of a row (Pair), or block b alone, the upper half zero.
template <typename Traits, bool Pair, typename Block>
PRISM_VNNI_TARGET inline __m512i weights_of(const Block* row, std::int64_t b) {
  const __m512i low = _mm512_zextsi256_si512(Traits::unsigned_weights(row[b]));
  if constexpr (Pair) return _mm512_inserti64x4(low, Traits::unsigned_weights(row[b + 1]), 1);
  return low;
}
template <bool Pair, typename Block>
PRISM_VNNI_TARGET inline __m512 scales_of(const Block* row, std::int64_t b) {
  const __m512 low = _mm512_set1_ps(_cvtsh_ss(row[b].d));
  if constexpr (Pair) return _mm512_mask_blend_ps(0xff00, low, _mm512_set1_ps(_cvtsh_ss(row[b + 1].d)));
  return _mm512_maskz_mov_ps(0x00ff, low);
}
// x's side of the step: its bytes, its scales, and the int32 start whose
// lanes 0 and 8 hold -offset · Σ x of each block (so the weights' offset
// comes back out exactly); a pair comes laid out by the quantizer.
struct XStep {
  __m512i q;
  __m512 scale;
  __m512i start;
};
template <typename Traits, bool Pair>
PRISM_VNNI_TARGET inline XStep x_step(const QuantizedRow& x, std::int64_t b) {
  XStep s;
  if constexpr (Pair) {
    s.q = _mm512_loadu_si512(x.q.data() + b * 32);
    s.scale = _mm512_loadu_ps(x.pair_scale.data() + b * 8);
    s.start = _mm512_slli_epi32(_mm512_loadu_si512(x.pair_neg_sum.data() + b * 8), Traits::kOffsetShift);
  } else {
    s.q = _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q.data() + b * 32)));
    s.scale = _mm512_maskz_mov_ps(0x00ff, _mm512_set1_ps(x.scale[static_cast<std::size_t>(b)]));
    s.start = _mm512_maskz_set1_epi32(0x0001, -Traits::kOffset * x.sum[static_cast<std::size_t>(b)]);
  }
  return s;
}
PRISM_VNNI_TARGET inline __m512 accumulate(__m512 acc, __m512i w, __m512 w_scale, const XStep& x) {
  const __m512i p = _mm512_dpbusd_epi32(x.start, w, x.q);
  return _mm512_fmadd_ps(_mm512_mul_ps(w_scale, x.scale), _mm512_cvtepi32_ps(p), acc);
}
PRISM_VNNI_TARGET inline float sum_of(__m512 acc) {
  return hsum256(_mm256_add_ps(_mm512_castps512_ps256(acc),
                               _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1))));
}

template <typename Traits, typename Block>
PRISM_VNNI_TARGET __attribute__((always_inline)) inline void prefetch_rows(const Block* const (&rows)[4],
                                                                           std::int64_t b) {
  // The four rows are four streams the hardware prefetcher does not run far
  // enough ahead on: fetch ~4 KB ahead of each (past a short row's end that
  // is the next rows'; past the matrix's, a harmless hint).
  if (b % Traits::kPrefetchEvery != 0) return;
  _mm_prefetch(reinterpret_cast<const char*>(rows[0] + b + Traits::kAhead), _MM_HINT_T0);
  _mm_prefetch(reinterpret_cast<const char*>(rows[1] + b + Traits::kAhead), _MM_HINT_T0);
  _mm_prefetch(reinterpret_cast<const char*>(rows[2] + b + Traits::kAhead), _MM_HINT_T0);
  _mm_prefetch(reinterpret_cast<const char*>(rows[3] + b + Traits::kAhead), _MM_HINT_T0);
}

// Block b of four rows against one x, into acc.
template <typename Traits, typename Block>
PRISM_VNNI_TARGET __attribute__((always_inline)) inline void block4(const Block* const* rows, const QuantizedRow& x,
                                                                    std::int64_t b, __m256* acc) {
  const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q.data() + b * 32));
  const __m256i start =
      _mm256_setr_epi32(-Traits::kOffset * x.sum[static_cast<std::size_t>(b)], 0, 0, 0, 0, 0, 0, 0);
  const __m256 xs = _mm256_set1_ps(x.scale[static_cast<std::size_t>(b)]);
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) {
    const Block& blk = rows[r][b];
    const __m256i p = _mm256_dpbusd_epi32(start, Traits::unsigned_weights(blk), xv);
    acc[r] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(blk.d)), xs), _mm256_cvtepi32_ps(p), acc[r]);
  }
}

// Four rows `row_blocks` apart against one x (decoding one sequence): per
// block and row one vpdpbusd of the unsigned weights with x, then scaled by
// w.d · x.scale, on 256-bit vectors. Even and odd blocks keep their own sums,
// added at the end: exactly the four-x kernel's order (even blocks in its
// low half, odd ones in its high half), so a row gets the same bits alone or
// in a batch.
template <typename Traits, typename Block>
PRISM_VNNI_TARGET inline void dot4_vnni(const Block* w, std::int64_t row_blocks, const QuantizedRow& x,
                                        std::int64_t blocks, float* out) {
  __m256 even[4], odd[4];
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) even[r] = odd[r] = _mm256_setzero_ps();
  const Block* rows[4] = {w, w + row_blocks, w + 2 * row_blocks, w + 3 * row_blocks};
  std::int64_t b = 0;
  for (; b + 2 <= blocks; b += 2) {
    prefetch_rows<Traits>(rows, b);
    block4<Traits>(rows, x, b, even);
    block4<Traits>(rows, x, b + 1, odd);
  }
  if (b < blocks) block4<Traits>(rows, x, b, even);
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) out[r] = hsum256(_mm256_add_ps(even[r], odd[r]));
}

// One step of four rows against four x rows: each row's weights are loaded,
// made unsigned and their scales widened once for all four x rows.
template <typename Traits, bool Pair, typename Block>
PRISM_VNNI_TARGET __attribute__((always_inline)) inline void step4x4(const Block* const* rows,
                                                                     const QuantizedRow* const* x, std::int64_t b,
                                                                     __m512 (*acc)[4]) {
  __m512i wv[4];
  __m512 wd[4];
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) {
    wv[r] = weights_of<Traits, Pair>(rows[r], b);
    wd[r] = scales_of<Pair>(rows[r], b);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const XStep xs = x_step<Traits, Pair>(*x[i], b);
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) acc[i][r] = accumulate(acc[i][r], wv[r], wd[r], xs);
  }
}

// Four rows against four x rows (a decode batch); the sixteen sums stay in
// registers.
template <typename Traits, typename Block>
PRISM_VNNI_TARGET inline void dot4x4_vnni(const Block* w, std::int64_t row_blocks, const QuantizedRow* const* x,
                                          std::int64_t blocks, float* out) {
  __m512 acc[4][4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i)
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) acc[i][r] = _mm512_setzero_ps();
  const Block* rows[4] = {w, w + row_blocks, w + 2 * row_blocks, w + 3 * row_blocks};
  std::int64_t b = 0;
  for (; b + 2 <= blocks; b += 2) {
    prefetch_rows<Traits>(rows, b);
    step4x4<Traits, true>(rows, x, b, acc);
  }
  if (b < blocks) step4x4<Traits, false>(rows, x, b, acc);
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i)
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) out[i * 4 + r] = sum_of(acc[i][r]);
}

#undef PRISM_VNNI_TARGET

}  // namespace

void dot4x4_q8_0_vnni(const formats::BlockQ8_0* w, std::int64_t row_blocks, const QuantizedRow* const* x,
                      std::int64_t blocks, float* out) {
  dot4x4_vnni<Q8_0Vnni>(w, row_blocks, x, blocks, out);
}

void dot4x4_q4_0_vnni(const formats::BlockQ4_0* w, std::int64_t row_blocks, const QuantizedRow* const* x,
                      std::int64_t blocks, float* out) {
  dot4x4_vnni<Q4_0Vnni>(w, row_blocks, x, blocks, out);
}

bool q8_0_vnni_available() {
  static const bool available = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("f16c");
  }();
  return available;
}

void dot4_q8_0_vnni(const formats::BlockQ8_0* w, std::int64_t row_blocks, const QuantizedRow& x, std::int64_t blocks,
                    float* out) {
  dot4_vnni<Q8_0Vnni>(w, row_blocks, x, blocks, out);
}

void dot4_q4_0_vnni(const formats::BlockQ4_0* w, std::int64_t row_blocks, const QuantizedRow& x, std::int64_t blocks,
                    float* out) {
  dot4_vnni<Q4_0Vnni>(w, row_blocks, x, blocks, out);
}

// x quantized to int8 blocks, one row at a time, into the calling thread's
// buffers (read by every worker of the parallel_for that follows).
const std::vector<QuantizedRow>& quantized_rows(const float* x, std::int64_t m, std::int64_t k) {
  thread_local std::vector<QuantizedRow> xs;
  if (static_cast<std::int64_t>(xs.size()) < m) xs.resize(static_cast<std::size_t>(m));
  for (std::int64_t i = 0; i < m; ++i) quantize_activations(x + i * k, k, xs[static_cast<std::size_t>(i)]);
  return xs;
}

void matmul_q4_0_vnni(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                      float* y) {
  // A last row outside the groups of four: the four-row kernel on it alone.
  auto one_row = [](const formats::BlockQ4_0* row, const QuantizedRow& q, std::int64_t blocks) {
    float out[4];
    dot4_q4_0_vnni(row, 0, q, blocks, out);
    return out[0];
  };
  matmul_blocks<formats::BlockQ4_0, formats::kQK>(pool, x, m, w, bias, y, dot4_q4_0_vnni, one_row, dot4x4_q4_0_vnni);
}

void matmul_q8_0(ThreadPool& pool, const float* x, std::int64_t m, const tensor::MatrixView& w, const float* bias,
                 float* y) {
  const DotQ8Fn dot = best_dot_q8_0();
  auto one_row = [dot](const formats::BlockQ8_0* row, const QuantizedRow& q, std::int64_t blocks) {
    return dot(row, q.q.data(), q.scale.data(), blocks);
  };
  const bool vnni = q8_0_vnni_available();
  matmul_blocks<formats::BlockQ8_0, formats::kQK>(pool, x, m, w, bias, y, vnni ? dot4_q8_0_vnni : nullptr, one_row,
                                                  vnni ? dot4x4_q8_0_vnni : nullptr);
}

}  // namespace prism::kernels
