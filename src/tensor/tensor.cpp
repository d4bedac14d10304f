#include "tensor/tensor.h"

#include <cstring>

#include "formats/ggml_types.h"

namespace prism::tensor {

Tensor::Tensor(std::vector<std::int64_t> shape) : shape_(std::move(shape)) {
  std::size_t n = 1;
  for (auto d : shape_) n *= static_cast<std::size_t>(d);
  data_.assign(n, 0.0f);
}

std::string Tensor::shape_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < shape_.size(); ++i) s += (i ? ", " : "") + std::to_string(shape_[i]);
  return s + "]";
}

void convert_to_f32(DType dtype, const void* src, std::size_t n, float* out) {
  switch (dtype) {
    case DType::F32:
      std::memcpy(out, src, n * sizeof(float));
      return;
    case DType::BF16: {
      const auto* h = static_cast<const std::uint16_t*>(src);
      for (std::size_t i = 0; i < n; ++i) out[i] = formats::bf16_to_f32(h[i]);
      return;
    }
    case DType::F16: {
      const auto* h = static_cast<const std::uint16_t*>(src);
      for (std::size_t i = 0; i < n; ++i) out[i] = formats::f16_to_f32(h[i]);
      return;
    }
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q4_K:
    case DType::Q6_K:
      formats::dequantize_blocks(dtype, src, static_cast<std::int64_t>(n), out);
      return;
  }
}

void MatrixView::row_to_f32(std::int64_t r, float* out) const {
  const auto offset = static_cast<std::size_t>(r) * formats::dtype_row_bytes(dtype, cols);
  convert_to_f32(dtype, static_cast<const std::byte*>(data) + offset, static_cast<std::size_t>(cols), out);
}

}  // namespace prism::tensor
