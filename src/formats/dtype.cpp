#include "formats/dtype.h"

#include "core/error.h"
#include "formats/ggml_types.h"

namespace prism::formats {

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::Q8_0: throw Error("Q8_0 is a block type: it has no element size");
    case DType::Q4_0: throw Error("Q4_0 is a block type: it has no element size");
  }
  return 0;
}

std::size_t dtype_row_bytes(DType t, std::int64_t cols) {
  if (t == DType::Q8_0) return ggml_row_bytes(GgmlType::Q8_0, cols);
  if (t == DType::Q4_0) return ggml_row_bytes(GgmlType::Q4_0, cols);
  return static_cast<std::size_t>(cols) * dtype_size(t);
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::Q8_0: return "Q8_0";
    case DType::Q4_0: return "Q4_0";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view name) {
  if (name == "F32") return DType::F32;
  if (name == "F16") return DType::F16;
  if (name == "BF16") return DType::BF16;
  return std::nullopt;
}

}  // namespace prism::formats
