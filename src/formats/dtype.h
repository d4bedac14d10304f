// Element types a checkpoint may store, and their conversions to float32.
// Q8_0, Q4_0 and Q5_0 are block types (GGUF's: 32 int8, 4-bit or 5-bit
// values and one f16 scale per block), Q4_K and Q6_K GGUF's super-blocks of
// 256 values (sub-blocks of 32 or 16 with their own scales), held by
// matrices prism quantizes itself or maps from a GGUF file, with ggml's bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace prism::formats {

enum class DType { F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K };

// Bytes per element of an element type; block types throw (use dtype_row_bytes).
std::size_t dtype_size(DType t);
// Bytes of a row of `cols` elements (cols a multiple of the block size).
std::size_t dtype_row_bytes(DType t, std::int64_t cols);
// Elements per block: 32 (Q8_0, Q4_0, Q5_0), 256 (Q4_K, Q6_K), 1 for element types.
std::int64_t dtype_block_size(DType t);
// Block types only: n elements (whole blocks) at src to float32, as ggml dequantizes them.
void dequantize_blocks(DType t, const void* src, std::int64_t n, float* out);
std::string_view dtype_name(DType t);  // safetensors spelling: "F32", "F16", "BF16"; "Q8_0"
std::optional<DType> parse_dtype(std::string_view name);  // safetensors' element types only

// bf16 -> f32 is exact: the 16 bits are the top half of a float32.
inline float bf16_to_f32(std::uint16_t h) {
  std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// IEEE half -> float32 (exact; handles subnormals, inf and NaN).
inline float f16_to_f32(std::uint16_t h) {
  std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | (mant & 0x3ffu) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Round-to-nearest-even float32 -> IEEE half (overflow to inf, subnormals kept).
inline std::uint16_t f32_to_f16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const std::uint32_t sign = (bits >> 16) & 0x8000u;
  const std::uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u);  // NaN
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504: inf
  if (abs < 0x38800000u) {  // below the smallest normal half: a subnormal (or zero)
    if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);  // under half the smallest subnormal
    const std::uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(abs >> 23);  // 14..24: bits dropped beyond the half's 10
    std::uint32_t h = mant >> shift;
    const std::uint32_t rest = mant & ((1u << shift) - 1u), halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = ((abs >> 13) - (112u << 10));  // rebias the exponent 127 -> 15
  const std::uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // may carry into the exponent: still right
  return static_cast<std::uint16_t>(sign | h);
}

// Round-to-nearest-even float32 -> bf16 (used by the checkpoint generator).
inline std::uint16_t f32_to_bf16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>(bits >> 16);
}

}  // namespace prism::formats
