// Tensors of the float32 reference path: an owning float32 buffer with a
// shape (activations), and a read-only view of a weight matrix that may be
// stored as F32, BF16, F16 or GGUF blocks (Q8_0, Q4_0, Q5_0, Q4_K, Q6_K;
// converted to float32 on the fly by the kernels, or multiplied in int8 for
// matrix-vector products).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "formats/dtype.h"

namespace prism::tensor {

using formats::DType;

// Row-major float32 tensor that owns its storage.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::vector<std::int64_t> shape);

  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  const std::vector<std::int64_t>& shape() const { return shape_; }
  std::int64_t dim(std::size_t i) const { return shape_.at(i); }
  std::size_t size() const { return data_.size(); }
  float* row(std::int64_t i) { return data_.data() + i * row_size(); }
  const float* row(std::int64_t i) const { return data_.data() + i * row_size(); }
  std::int64_t row_size() const { return shape_.empty() ? 1 : shape_.back(); }
  std::vector<float>& storage() { return data_; }
  const std::vector<float>& storage() const { return data_; }
  std::string shape_string() const;

 private:
  std::vector<std::int64_t> shape_;
  std::vector<float> data_;
};

// A [rows, cols] weight matrix, row-major, in its on-disk dtype. `data` must
// be aligned to the element size (the loader copies tensors that are not).
struct MatrixView {
  DType dtype = DType::F32;
  const void* data = nullptr;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  // Set where the weights were re-stored for speed (`weights = "bf16"`):
  // matrix products may then round x to bf16 as well (AMX, one pass),
  // instead of keeping float32 precision.
  bool bf16_inputs = false;

  // Converts row `r` to float32 into `out` (cols floats).
  void row_to_f32(std::int64_t r, float* out) const;
  // Bytes of the whole matrix in its dtype.
  std::uint64_t bytes() const { return static_cast<std::uint64_t>(rows) * formats::dtype_row_bytes(dtype, cols); }
};

// Converts `n` elements of `dtype` at `src` to float32 (n a multiple of the
// block size for block types).
void convert_to_f32(DType dtype, const void* src, std::size_t n, float* out);

}  // namespace prism::tensor
