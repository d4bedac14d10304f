#include "formats/ggml_types.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"
#include "formats/dtype.h"

// Built with -ffp-contract=off (see CMakeLists.txt): a fused multiply-add
// rounds once where ggml's reference rounds twice, and the goldens would drift.

namespace prism::formats {

namespace {

constexpr std::array<GgmlTypeTraits, 34> kTraits{{
    {GgmlType::F32, "f32", 1, 4},
    {GgmlType::F16, "f16", 1, 2},
    {GgmlType::Q4_0, "q4_0", 32, 18},
    {GgmlType::Q4_1, "q4_1", 32, 20},
    {GgmlType::Q5_0, "q5_0", 32, 22},
    {GgmlType::Q5_1, "q5_1", 32, 24},
    {GgmlType::Q8_0, "q8_0", 32, 34},
    {GgmlType::Q8_1, "q8_1", 32, 40},
    {GgmlType::Q2_K, "q2_K", 256, 84},
    {GgmlType::Q3_K, "q3_K", 256, 110},
    {GgmlType::Q4_K, "q4_K", 256, 144},
    {GgmlType::Q5_K, "q5_K", 256, 176},
    {GgmlType::Q6_K, "q6_K", 256, 210},
    {GgmlType::Q8_K, "q8_K", 256, 292},
    {GgmlType::IQ2_XXS, "iq2_xxs", 256, 66},
    {GgmlType::IQ2_XS, "iq2_xs", 256, 74},
    {GgmlType::IQ3_XXS, "iq3_xxs", 256, 98},
    {GgmlType::IQ1_S, "iq1_s", 256, 50},
    {GgmlType::IQ4_NL, "iq4_nl", 32, 18},
    {GgmlType::IQ3_S, "iq3_s", 256, 110},
    {GgmlType::IQ2_S, "iq2_s", 256, 82},
    {GgmlType::IQ4_XS, "iq4_xs", 256, 136},
    {GgmlType::I8, "i8", 1, 1},
    {GgmlType::I16, "i16", 1, 2},
    {GgmlType::I32, "i32", 1, 4},
    {GgmlType::I64, "i64", 1, 8},
    {GgmlType::F64, "f64", 1, 8},
    {GgmlType::IQ1_M, "iq1_m", 256, 56},
    {GgmlType::BF16, "bf16", 1, 2},
    {GgmlType::TQ1_0, "tq1_0", 256, 54},
    {GgmlType::TQ2_0, "tq2_0", 256, 66},
    {GgmlType::MXFP4, "mxfp4", 32, 17},
    {GgmlType::NVFP4, "nvfp4", 64, 36},
    {GgmlType::Q1_0, "q1_0", 128, 18},
}};

std::uint16_t load_u16(const void* p) {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// ggml's nearest_int: round half to even via the 1.5 * 2^23 trick (|x| < 2^22).
int nearest_int(float fval) {
  float val = fval + 12582912.f;
  int i;
  std::memcpy(&i, &val, sizeof(int));
  return (i & 0x007fffff) - 0x00400000;
}

constexpr float kGroupMaxEps = 1e-15f;

void check_blocks(GgmlType t, std::int64_t n, const char* what) {
  const auto tr = ggml_traits(t);
  if (n < 0 || n % tr.block_size != 0)
    throw Error(std::string(what) + " " + std::string(tr.name) + ": " + std::to_string(n) +
                " elements is not a multiple of the block size " + std::to_string(tr.block_size));
}

// ---- dequantizers ----

void dq_q4_0(const BlockQ4_0* x, std::int64_t nb, float* y) {
  for (std::int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = f16_to_f32(load_u16(&x[i].d));
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>((x[i].qs[j] & 0x0f) - 8) * d;
      y[j + kQK / 2] = static_cast<float>((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dq_q4_1(const BlockQ4_1* x, std::int64_t nb, float* y) {
  for (std::int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = f16_to_f32(load_u16(&x[i].d));
    const float m = f16_to_f32(load_u16(&x[i].m));
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>(x[i].qs[j] & 0x0f) * d + m;
      y[j + kQK / 2] = static_cast<float>(x[i].qs[j] >> 4) * d + m;
    }
  }
}

void dq_q5_0(const BlockQ5_0* x, std::int64_t nb, float* y) {
  for (std::int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = f16_to_f32(load_u16(&x[i].d));
    std::uint32_t qh;
    std::memcpy(&qh, x[i].qh, 4);
    for (int j = 0; j < kQK / 2; ++j) {
      const int h0 = ((qh >> j) << 4) & 0x10;
      const int h1 = (qh >> (j + 12)) & 0x10;
      y[j] = static_cast<float>(((x[i].qs[j] & 0x0f) | h0) - 16) * d;
      y[j + kQK / 2] = static_cast<float>(((x[i].qs[j] >> 4) | h1) - 16) * d;
    }
  }
}

void dq_q5_1(const BlockQ5_1* x, std::int64_t nb, float* y) {
  for (std::int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = f16_to_f32(load_u16(&x[i].d));
    const float m = f16_to_f32(load_u16(&x[i].m));
    std::uint32_t qh;
    std::memcpy(&qh, x[i].qh, 4);
    for (int j = 0; j < kQK / 2; ++j) {
      const int h0 = ((qh >> j) << 4) & 0x10;
      const int h1 = (qh >> (j + 12)) & 0x10;
      y[j] = static_cast<float>((x[i].qs[j] & 0x0f) | h0) * d + m;
      y[j + kQK / 2] = static_cast<float>((x[i].qs[j] >> 4) | h1) * d + m;
    }
  }
}

void dq_q8_0(const BlockQ8_0* x, std::int64_t nb, float* y) {
  for (std::int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = f16_to_f32(load_u16(&x[i].d));
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(x[i].qs[j]) * d;
  }
}

// Sub-block j's 6-bit scale and minimum, unpacked from the 12 scale bytes.
void scale_min_k4(int j, const std::uint8_t* q, std::uint8_t* d, std::uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = static_cast<std::uint8_t>((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

void dq_q4_k(const BlockQ4_K* x, std::int64_t nb, float* y) {
  for (std::int64_t i = 0; i < nb; ++i) {
    const std::uint8_t* q = x[i].qs;
    const float d = f16_to_f32(load_u16(&x[i].d));
    const float min = f16_to_f32(load_u16(&x[i].dmin));
    for (int j = 0, is = 0; j < kQK_K; j += 64, is += 2, q += 32) {
      std::uint8_t sc, m;
      scale_min_k4(is, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      scale_min_k4(is + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0x0f) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

void dq_q6_k(const BlockQ6_K* x, std::int64_t nb, float* y) {
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(load_u16(&x[i].d));
    const std::uint8_t* ql = x[i].ql;
    const std::uint8_t* qh = x[i].qh;
    const std::int8_t* sc = x[i].scales;
    for (int n = 0; n < kQK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * static_cast<float>(q1);
        y[l + 32] = d * sc[is + 2] * static_cast<float>(q2);
        y[l + 64] = d * sc[is + 4] * static_cast<float>(q3);
        y[l + 96] = d * sc[is + 6] * static_cast<float>(q4);
      }
    }
  }
}

// ---- quantizers (ggml's quantize_row_*_ref) ----

// The element of largest magnitude, sign kept (the first one on ties).
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  return max;
}

void q_q4_0(const float* x, std::int64_t nb, BlockQ4_0* y) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK) {
    const float d = signed_absmax(x, kQK) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const std::uint16_t dh = f32_to_f16(d);
    std::memcpy(&y[i].d, &dh, 2);
    for (int j = 0; j < kQK / 2; ++j) {
      const auto q0 = static_cast<std::uint8_t>(std::min(15, static_cast<int>(static_cast<std::int8_t>(x[j] * id + 8.5f))));
      const auto q1 =
          static_cast<std::uint8_t>(std::min(15, static_cast<int>(static_cast<std::int8_t>(x[j + kQK / 2] * id + 8.5f))));
      y[i].qs[j] = static_cast<std::uint8_t>(q0 | (q1 << 4));
    }
  }
}

void min_max(const float* x, int n, float* min, float* max) {
  *min = 3.402823466e+38f;
  *max = -3.402823466e+38f;
  for (int j = 0; j < n; ++j) {
    if (x[j] < *min) *min = x[j];
    if (x[j] > *max) *max = x[j];
  }
}

void q_q4_1(const float* x, std::int64_t nb, BlockQ4_1* y) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK) {
    float min, max;
    min_max(x, kQK, &min, &max);
    const float d = (max - min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const std::uint16_t dh = f32_to_f16(d), mh = f32_to_f16(min);
    std::memcpy(&y[i].d, &dh, 2);
    std::memcpy(&y[i].m, &mh, 2);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>(static_cast<std::int8_t>((x[j] - min) * id + 0.5f)));
      const int q1 = std::min(15, static_cast<int>(static_cast<std::int8_t>((x[j + kQK / 2] - min) * id + 0.5f)));
      y[i].qs[j] = static_cast<std::uint8_t>(q0 | (q1 << 4));
    }
  }
}

void q_q5_0(const float* x, std::int64_t nb, BlockQ5_0* y) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK) {
    const float d = signed_absmax(x, kQK) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const std::uint16_t dh = f32_to_f16(d);
    std::memcpy(&y[i].d, &dh, 2);
    std::uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(31, static_cast<int>(static_cast<std::int8_t>(x[j] * id + 16.5f)));
      const int q1 = std::min(31, static_cast<int>(static_cast<std::int8_t>(x[j + kQK / 2] * id + 16.5f)));
      y[i].qs[j] = static_cast<std::uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<std::uint32_t>((q0 & 0x10) >> 4) << j;
      qh |= static_cast<std::uint32_t>((q1 & 0x10) >> 4) << (j + kQK / 2);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

void q_q5_1(const float* x, std::int64_t nb, BlockQ5_1* y) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK) {
    float min, max;
    min_max(x, kQK, &min, &max);
    const float d = (max - min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const std::uint16_t dh = f32_to_f16(d), mh = f32_to_f16(min);
    std::memcpy(&y[i].d, &dh, 2);
    std::memcpy(&y[i].m, &mh, 2);
    std::uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = static_cast<std::uint8_t>((x[j] - min) * id + 0.5f);
      const int q1 = static_cast<std::uint8_t>((x[j + kQK / 2] - min) * id + 0.5f);
      y[i].qs[j] = static_cast<std::uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<std::uint32_t>((q0 & 0x10) >> 4) << j;
      qh |= static_cast<std::uint32_t>((q1 & 0x10) >> 4) << (j + kQK / 2);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

void q_q8_0(const float* x, std::int64_t nb, BlockQ8_0* y) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const std::uint16_t dh = f32_to_f16(d);
    std::memcpy(&y[i].d, &dh, 2);
    for (int j = 0; j < kQK; ++j) y[i].qs[j] = static_cast<std::int8_t>(std::round(x[j] * id));  // half away from zero
  }
}

// ggml's make_qx_quants with rmse_type 1 and no importance weights.
float make_qx_quants(int n, int nmax, const float* x, std::int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = nearest_int(iscale * x[i]);
    l = std::max(-nmax, std::min(nmax - 1, l));
    L[i] = static_cast<std::int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * x[i]);
      l = std::max(-nmax, std::min(nmax - 1, l));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        const int l = nearest_int(iscale * x[i]);
        L[i] = static_cast<std::int8_t>(nmax + std::max(-nmax, std::min(nmax - 1, l)));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// ggml's make_qkx2_quants (scale and minimum by weighted least squares over a small search).
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* L, float* the_min,
                       std::uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *the_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = nearest_int(iscale * (x[i] - min));
    L[i] = static_cast<std::uint8_t>(std::max(0, std::min(nmax, l)));
    float diff = scale * L[i] + min - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    best_error += weights[i] * diff;
  }
  if (nstep < 1) {
    *the_min = -min;
    return scale;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * (x[i] - min));
      l = std::max(0, std::min(nmax, l));
      Laux[i] = static_cast<std::uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * Laux[i] + this_min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        cur_error += weights[i] * diff;
      }
      if (cur_error < best_error) {
        for (int i = 0; i < n; ++i) L[i] = Laux[i];
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

void q_q4_k(const float* x, std::int64_t nb, BlockQ4_K* y) {
  std::uint8_t L[kQK_K], Laux[32];
  float weights[32], mins[kQK_K / 32], scales[kQK_K / 32];
  for (std::int64_t i = 0; i < nb; ++i, x += kQK_K) {
    std::memset(&y[i], 0, sizeof(BlockQ4_K));
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < kQK_K / 32; ++j) {
      float sum_x2 = 0;
      for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
      const float av_x = std::sqrt(sum_x2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
      scales[j] = make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20, false);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < kQK_K / 32; ++j) {
      // ggml stores nearest_int into a uint8_t before clamping; keep the wrap.
      auto ls = static_cast<std::uint8_t>(nearest_int(inv_scale * scales[j]));
      auto lm = static_cast<std::uint8_t>(nearest_int(inv_min * mins[j]));
      ls = std::min<std::uint8_t>(63, ls);
      lm = std::min<std::uint8_t>(63, lm);
      if (j < 4) {
        y[i].scales[j] = ls;
        y[i].scales[j + 4] = lm;
      } else {
        y[i].scales[j + 4] = static_cast<std::uint8_t>((ls & 0x0f) | ((lm & 0x0f) << 4));
        y[i].scales[j - 4] |= static_cast<std::uint8_t>((ls >> 4) << 6);
        y[i].scales[j] |= static_cast<std::uint8_t>((lm >> 4) << 6);
      }
    }
    const std::uint16_t dh = f32_to_f16(max_scale / 63.f), mh = f32_to_f16(max_min / 63.f);
    std::memcpy(&y[i].d, &dh, 2);
    std::memcpy(&y[i].dmin, &mh, 2);
    for (int j = 0; j < kQK_K / 32; ++j) {
      std::uint8_t sc, m;
      scale_min_k4(j, y[i].scales, &sc, &m);
      const float d = f16_to_f32(dh) * sc;
      if (d == 0.0f) continue;
      const float dm = f16_to_f32(mh) * m;
      for (int ii = 0; ii < 32; ++ii) {
        const int l = nearest_int((x[32 * j + ii] + dm) / d);
        L[32 * j + ii] = static_cast<std::uint8_t>(std::max(0, std::min(15, l)));
      }
    }
    std::uint8_t* q = y[i].qs;
    for (int j = 0; j < kQK_K; j += 64, q += 32)
      for (int l = 0; l < 32; ++l) q[l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 4));
  }
}

void q_q6_k(const float* x, std::int64_t nb, BlockQ6_K* y) {
  std::int8_t L[kQK_K];
  float scales[kQK_K / 16];
  for (std::int64_t i = 0; i < nb; ++i, x += kQK_K) {
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < kQK_K / 16; ++ib) {
      const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
      scales[ib] = scale;
      if (std::fabs(scale) > max_abs_scale) {
        max_abs_scale = std::fabs(scale);
        max_scale = scale;
      }
    }
    std::memset(&y[i], 0, sizeof(BlockQ6_K));
    if (max_abs_scale < kGroupMaxEps) continue;  // all zero: d = +0
    const float iscale = -128.f / max_scale;
    const std::uint16_t dh = f32_to_f16(1 / iscale);
    std::memcpy(&y[i].d, &dh, 2);
    for (int ib = 0; ib < kQK_K / 16; ++ib)
      y[i].scales[ib] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
    for (int j = 0; j < kQK_K / 16; ++j) {
      const float d = f16_to_f32(dh) * y[i].scales[j];
      if (d == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii) {
        int l = nearest_int(x[16 * j + ii] / d);
        l = std::max(-32, std::min(31, l));
        L[16 * j + ii] = static_cast<std::int8_t>(l + 32);
      }
    }
    std::uint8_t* ql = y[i].ql;
    std::uint8_t* qh = y[i].qh;
    for (int j = 0; j < kQK_K; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        const int q1 = L[j + l] & 0x0f, q2 = L[j + l + 32] & 0x0f;
        const int q3 = L[j + l + 64] & 0x0f, q4 = L[j + l + 96] & 0x0f;
        ql[l] = static_cast<std::uint8_t>(q1 | (q3 << 4));
        ql[l + 32] = static_cast<std::uint8_t>(q2 | (q4 << 4));
        qh[l] = static_cast<std::uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) |
                                          ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace

std::optional<GgmlTypeTraits> ggml_type_traits(std::uint32_t id) {
  for (const auto& t : kTraits)
    if (static_cast<std::uint32_t>(t.type) == id) return t;
  return std::nullopt;
}

GgmlTypeTraits ggml_traits(GgmlType t) {
  auto tr = ggml_type_traits(static_cast<std::uint32_t>(t));
  if (!tr) throw Error("unknown ggml type id " + std::to_string(static_cast<std::uint32_t>(t)));
  return *tr;
}

std::string_view ggml_type_name(GgmlType t) {
  auto tr = ggml_type_traits(static_cast<std::uint32_t>(t));
  return tr ? tr->name : std::string_view("?");
}

std::optional<GgmlType> parse_ggml_type(std::string_view name) {
  for (const auto& t : kTraits) {
    if (t.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(name[i])) == std::tolower(static_cast<unsigned char>(t.name[i]));
    if (same) return t.type;
  }
  return std::nullopt;
}

std::size_t ggml_row_bytes(GgmlType t, std::int64_t n) {
  check_blocks(t, n, "row of");
  const auto tr = ggml_traits(t);
  return static_cast<std::size_t>(n / tr.block_size) * tr.block_bytes;
}

bool can_dequantize(GgmlType t) {
  switch (t) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16:
    case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1:
    case GgmlType::Q8_0: case GgmlType::Q4_K: case GgmlType::Q6_K:
      return true;
    default:
      return false;
  }
}

bool can_quantize(GgmlType t) { return can_dequantize(t); }

void dequantize_row(GgmlType t, const void* src, std::int64_t n, float* out) {
  check_blocks(t, n, "dequantize");
  const auto* b = static_cast<const std::uint8_t*>(src);
  const std::int64_t nb = n / ggml_traits(t).block_size;
  switch (t) {
    case GgmlType::F32: std::memcpy(out, src, static_cast<std::size_t>(n) * 4); return;
    case GgmlType::F16:
      for (std::int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(load_u16(b + 2 * i));
      return;
    case GgmlType::BF16:
      for (std::int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(load_u16(b + 2 * i));
      return;
    case GgmlType::Q4_0: return dq_q4_0(reinterpret_cast<const BlockQ4_0*>(b), nb, out);
    case GgmlType::Q4_1: return dq_q4_1(reinterpret_cast<const BlockQ4_1*>(b), nb, out);
    case GgmlType::Q5_0: return dq_q5_0(reinterpret_cast<const BlockQ5_0*>(b), nb, out);
    case GgmlType::Q5_1: return dq_q5_1(reinterpret_cast<const BlockQ5_1*>(b), nb, out);
    case GgmlType::Q8_0: return dq_q8_0(reinterpret_cast<const BlockQ8_0*>(b), nb, out);
    case GgmlType::Q4_K: return dq_q4_k(reinterpret_cast<const BlockQ4_K*>(b), nb, out);
    case GgmlType::Q6_K: return dq_q6_k(reinterpret_cast<const BlockQ6_K*>(b), nb, out);
    default: break;
  }
  throw Error("dequantize: type " + std::string(ggml_type_name(t)) + " is not supported");
}

void quantize_row(GgmlType t, const float* src, std::int64_t n, void* dst) {
  check_blocks(t, n, "quantize");
  auto* b = static_cast<std::uint8_t*>(dst);
  const std::int64_t nb = n / ggml_traits(t).block_size;
  switch (t) {
    case GgmlType::F32: std::memcpy(dst, src, static_cast<std::size_t>(n) * 4); return;
    case GgmlType::F16:
      for (std::int64_t i = 0; i < n; ++i) {
        const std::uint16_t h = f32_to_f16(src[i]);
        std::memcpy(b + 2 * i, &h, 2);
      }
      return;
    case GgmlType::BF16:
      for (std::int64_t i = 0; i < n; ++i) {
        const std::uint16_t h = f32_to_bf16(src[i]);
        std::memcpy(b + 2 * i, &h, 2);
      }
      return;
    case GgmlType::Q4_0: return q_q4_0(src, nb, reinterpret_cast<BlockQ4_0*>(b));
    case GgmlType::Q4_1: return q_q4_1(src, nb, reinterpret_cast<BlockQ4_1*>(b));
    case GgmlType::Q5_0: return q_q5_0(src, nb, reinterpret_cast<BlockQ5_0*>(b));
    case GgmlType::Q5_1: return q_q5_1(src, nb, reinterpret_cast<BlockQ5_1*>(b));
    case GgmlType::Q8_0: return q_q8_0(src, nb, reinterpret_cast<BlockQ8_0*>(b));
    case GgmlType::Q4_K: return q_q4_k(src, nb, reinterpret_cast<BlockQ4_K*>(b));
    case GgmlType::Q6_K: return q_q6_k(src, nb, reinterpret_cast<BlockQ6_K*>(b));
    default: break;
  }
  throw Error("quantize: type " + std::string(ggml_type_name(t)) + " is not supported");
}

}  // namespace prism::formats
