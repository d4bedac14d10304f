// GGUF's Q8_0 block format: 32 weights as int8 with one f16 scale, 34 bytes
// (8.5 bits a weight). Rounding follows ggml's reference quantizer
// (quantize_row_q8_0_ref), so a matrix quantized here holds the same bytes
// llama.cpp would write for it.
#pragma once

#include <cstdint>

namespace prism::tensor {

inline constexpr std::int64_t kQ8_0BlockElems = 32;

struct BlockQ8_0 {
  std::uint16_t scale;  // IEEE half: x ≈ scale · q
  std::int8_t q[kQ8_0BlockElems];
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 blocks are 34 bytes, as in GGUF");

// n must be a multiple of 32; out holds n / 32 blocks.
void quantize_row_q8_0(const float* x, std::int64_t n, BlockQ8_0* out);
void dequantize_row_q8_0(const BlockQ8_0* blocks, std::int64_t n, float* out);

}  // namespace prism::tensor
