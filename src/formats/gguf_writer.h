// GGUF v3 writer: metadata of every value type, tensors laid out in the
// order added, each at a multiple of the alignment (and padded after, as
// gguf-py and ggml do), written to FILE.tmp and renamed into place so a
// failed or interrupted conversion never leaves a plausible-looking file.
//
// Shapes are given row-major ([rows, cols], as GgufFile::shape reports);
// the writer stores them reversed, as ggml expects.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "formats/ggml_types.h"
#include "formats/gguf_value.h"

namespace prism::formats {

class GgufWriter {
 public:
  // Fills exactly out.size() bytes of one tensor's data, when write() reaches it.
  using Producer = std::function<void(std::span<std::byte> out)>;
  // Called after each tensor with the data bytes written so far and the total.
  using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

  // alignment must be a power of two; other than 32 it is recorded as general.alignment.
  explicit GgufWriter(std::uint32_t alignment = 32);

  // Adds or replaces a key (kept in first-insertion order). An array's
  // elements must all be of its element type (checked here).
  void set(const std::string& key, GgufValue value);
  void set_string(const std::string& key, std::string v) { set(key, GgufValue::string(std::move(v))); }
  void set_u32(const std::string& key, std::uint32_t v) { set(key, GgufValue::u32(v)); }
  void set_i32(const std::string& key, std::int32_t v) { set(key, GgufValue::i32(v)); }
  void set_f32(const std::string& key, float v) { set(key, GgufValue::f32(v)); }
  void set_bool(const std::string& key, bool v) { set(key, GgufValue::boolean(v)); }

  // `data` must stay valid until write() returns and hold exactly
  // ggml_row_bytes(type, cols) * rows bytes.
  void add_tensor(const std::string& name, GgmlType type, std::vector<std::int64_t> shape,
                  std::span<const std::byte> data);
  // The bytes are produced during write(), one tensor at a time (a conversion
  // never holds the whole model in memory).
  void add_tensor(const std::string& name, GgmlType type, std::vector<std::int64_t> shape, Producer produce);

  std::size_t tensor_count() const { return tensors_.size(); }
  // Total size of the tensor data section, padding included.
  std::uint64_t data_bytes() const;

  // Throws prism::Error naming the file on I/O failure.
  void write(const std::filesystem::path& path, const Progress& progress = {}) const;

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<std::int64_t> shape;
    std::size_t nbytes;
    std::span<const std::byte> data;
    Producer produce;
  };
  void add(Tensor t);

  std::uint32_t alignment_;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<Tensor> tensors_;
};

}  // namespace prism::formats
