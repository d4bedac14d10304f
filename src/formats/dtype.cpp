#include "formats/dtype.h"

#include <string>

#include "core/error.h"
#include "formats/ggml_types.h"

namespace prism::formats {

namespace {

// The GGUF block type behind a block dtype (the same bytes); nullopt for element types.
std::optional<GgmlType> block_type(DType t) {
  switch (t) {
    case DType::Q8_0: return GgmlType::Q8_0;
    case DType::Q4_0: return GgmlType::Q4_0;
    case DType::Q5_0: return GgmlType::Q5_0;
    case DType::Q4_K: return GgmlType::Q4_K;
    case DType::Q6_K: return GgmlType::Q6_K;
    case DType::F32:
    case DType::F16:
    case DType::BF16: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q4_K:
    case DType::Q6_K: throw Error(std::string(dtype_name(t)) + " is a block type: it has no element size");
  }
  return 0;
}

std::size_t dtype_row_bytes(DType t, std::int64_t cols) {
  if (const auto g = block_type(t)) return ggml_row_bytes(*g, cols);
  return static_cast<std::size_t>(cols) * dtype_size(t);
}

std::int64_t dtype_block_size(DType t) {
  if (const auto g = block_type(t)) return ggml_traits(*g).block_size;
  return 1;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::Q8_0: return "Q8_0";
    case DType::Q4_0: return "Q4_0";
    case DType::Q5_0: return "Q5_0";
    case DType::Q4_K: return "Q4_K";
    case DType::Q6_K: return "Q6_K";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view name) {
  if (name == "F32") return DType::F32;
  if (name == "F16") return DType::F16;
  if (name == "BF16") return DType::BF16;
  return std::nullopt;
}

void dequantize_blocks(DType t, const void* src, std::int64_t n, float* out) {
  const auto g = block_type(t);
  if (!g) throw Error(std::string(dtype_name(t)) + " is not a block type");
  dequantize_row(*g, src, n, out);
}

}  // namespace prism::formats
