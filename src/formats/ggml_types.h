// The element types a GGUF file may hold (ggml's numbering, which is what
// the file stores), their block geometry, the byte layout of the blocks prism
// reads, and reference scalar (de)quantizers.
//
// The reference routines are the ground truth the fast kernels are tested
// against, not the fast path: they follow ggml's dequantize_row_* and
// quantize_row_*_ref operation for operation (same float rounding, same
// tie-breaking), so a file we quantize holds the bytes llama.cpp would write
// and a row we dequantize equals what gguf-py / ggml compute, bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace prism::formats {

// Numeric ids exactly as in ggml.h (enum ggml_type); ids ggml removed
// (4, 5, 31-33, 36-38) are not listed and are rejected by the reader.
enum class GgmlType : std::uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
  NVFP4 = 40,
  Q1_0 = 41,
};

struct GgmlTypeTraits {
  GgmlType type;
  std::string_view name;    // ggml's spelling: "f32", "q8_0", "q4_K"
  std::int64_t block_size;  // elements per block (1 for plain types)
  std::size_t block_bytes;  // bytes per block
};

// Traits of a known type id; nullopt for ids ggml does not define (or removed).
std::optional<GgmlTypeTraits> ggml_type_traits(std::uint32_t id);
GgmlTypeTraits ggml_traits(GgmlType t);  // for a listed enumerator; never fails
std::string_view ggml_type_name(GgmlType t);
std::optional<GgmlType> parse_ggml_type(std::string_view name);  // case-insensitive ("Q8_0", "q4_k")

// Bytes of a row of n elements; n must be a multiple of the block size.
std::size_t ggml_row_bytes(GgmlType t, std::int64_t n);

// True where dequantize_row / quantize_row below handle the type.
bool can_dequantize(GgmlType t);
bool can_quantize(GgmlType t);

// ---- block layouts (little-endian, byte-packed as in ggml-common.h) ----

inline constexpr int kQK = 32;     // block of the legacy formats
inline constexpr int kQK_K = 256;  // super-block of the k-quants

#pragma pack(push, 1)
struct BlockQ4_0 {
  std::uint16_t d;             // f16 scale
  std::uint8_t qs[kQK / 2];    // element j in the low nibble of qs[j], j+16 in the high nibble
};
struct BlockQ4_1 {
  std::uint16_t d, m;          // f16 scale and minimum
  std::uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {
  std::uint16_t d;
  std::uint8_t qh[4];          // bit j = fifth bit of element j
  std::uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {
  std::uint16_t d, m;
  std::uint8_t qh[4];
  std::uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {
  std::uint16_t d;
  std::int8_t qs[kQK];
};
struct BlockQ4_K {
  std::uint16_t d;             // f16 super-scale of the 6-bit sub-block scales
  std::uint16_t dmin;          // f16 super-scale of the 6-bit sub-block minimums
  std::uint8_t scales[12];     // 8 scales + 8 mins, 6 bits each
  std::uint8_t qs[kQK_K / 2];  // 4-bit quants, 64 elements per 32 bytes
};
struct BlockQ6_K {
  std::uint8_t ql[kQK_K / 2];      // low 4 bits
  std::uint8_t qh[kQK_K / 4];      // high 2 bits
  std::int8_t scales[kQK_K / 16];  // 8-bit sub-block scales
  std::uint16_t d;                 // f16 super-scale
};
#pragma pack(pop)

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ6_K) == 210);

// ---- reference conversions ----
// n is the element count; it must be a multiple of the type's block size
// (throws prism::Error otherwise, or for a type the routine does not handle).
// src / dst need no alignment.

// F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q6_K.
void dequantize_row(GgmlType t, const void* src, std::int64_t n, float* out);
// F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q6_K (ggml's *_ref, no importance matrix).
void quantize_row(GgmlType t, const float* src, std::int64_t n, void* dst);

}  // namespace prism::formats
