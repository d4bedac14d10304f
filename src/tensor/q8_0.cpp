#include "tensor/q8_0.h"

#include <cmath>

#include "formats/dtype.h"

namespace prism::tensor {

void quantize_row_q8_0(const float* x, std::int64_t n, BlockQ8_0* out) {
  for (std::int64_t b = 0; b < n / kQ8_0BlockElems; ++b) {
    const float* v = x + b * kQ8_0BlockElems;
    float amax = 0.0f;
    for (std::int64_t i = 0; i < kQ8_0BlockElems; ++i) amax = std::fmax(amax, std::fabs(v[i]));
    // The scale is rounded to f16 for storage, but the values are divided
    // by the unrounded one, as ggml does.
    const float d = amax / 127.0f;
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].scale = formats::f32_to_f16(d);
    for (std::int64_t i = 0; i < kQ8_0BlockElems; ++i)
      out[b].q[i] = static_cast<std::int8_t>(std::round(v[i] * inv));  // half away from zero, as roundf in ggml
  }
}

void dequantize_row_q8_0(const BlockQ8_0* blocks, std::int64_t n, float* out) {
  for (std::int64_t b = 0; b < n / kQ8_0BlockElems; ++b) {
    const float d = formats::f16_to_f32(blocks[b].scale);
    for (std::int64_t i = 0; i < kQ8_0BlockElems; ++i) out[b * kQ8_0BlockElems + i] = d * blocks[b].q[i];
  }
}

}  // namespace prism::tensor
