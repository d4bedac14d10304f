// GGUF reader (versions 2 and 3, little-endian): memory-mapped, and every
// count, length, type, dimension and offset validated against the file before
// anything is handed out, so a truncated or hostile file is a prism::Error
// naming the file and the key or tensor, never a crash or a wild read.
//
// Shape convention. ggml stores dimensions innermost first (ne[0] is the
// contiguous one). prism sees tensors row-major, outermost first, like
// safetensors and PyTorch: GgufTensorInfo::shape is ne reversed. A matrix is
// [rows, cols]; cols = ne[0] is contiguous and is the dimension quantized in
// blocks, so every row starts on a block boundary. For llama.cpp's
// token_embd.weight (ne = [n_embd, n_vocab]) shape is [n_vocab, n_embd], the
// same as the Hugging Face embed_tokens.weight.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "formats/ggml_types.h"
#include "formats/gguf_value.h"
#include "formats/mapped_file.h"

namespace prism::formats {

inline constexpr std::uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
inline constexpr std::uint32_t kGgufDefaultAlignment = 32;
inline constexpr int kGgufMaxDims = 4;
inline constexpr std::size_t kGgufMaxNameBytes = 63;  // ggml's GGML_MAX_NAME (64) less the NUL
inline constexpr int kGgufMaxArrayNesting = 8;

struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<std::int64_t> shape;  // row-major, outermost first (ggml's ne reversed)
  std::uint64_t offset = 0;         // from the start of the data section, as stored
  const std::byte* data = nullptr;  // into the mapping; aligned to the file's alignment relative to the file start
  std::size_t nbytes = 0;

  std::int64_t numel() const;
  std::int64_t row_length() const { return shape.back(); }  // elements per row (ggml's ne[0])
  std::int64_t rows() const { return numel() / row_length(); }
  std::string shape_string() const;  // "[49152, 576]"
};

class GgufFile {
 public:
  explicit GgufFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return map_.path(); }
  std::uint32_t version() const { return version_; }
  std::uint32_t alignment() const { return alignment_; }
  std::uint64_t data_offset() const { return data_offset_; }  // file offset of the data section
  std::size_t file_size() const { return map_.size(); }

  // Metadata in file order, and lookups.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
  const GgufValue* find(const std::string& key) const;
  bool has(const std::string& key) const { return find(key) != nullptr; }
  // Throws "FILE: metadata key 'KEY' is missing".
  const GgufValue& get(const std::string& key) const;

  // Typed accessors. Integers accept any integer type whose value fits (files
  // differ in width: u32 here, i32 there); floats accept f32 and f64; strings
  // and bools must be exactly that. Errors name the file, key, type and value.
  std::string get_string(const std::string& key) const;
  std::uint32_t get_u32(const std::string& key) const;
  std::int32_t get_i32(const std::string& key) const;
  std::uint64_t get_u64(const std::string& key) const;
  std::int64_t get_i64(const std::string& key) const;
  float get_f32(const std::string& key) const;
  double get_f64(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  // Defaults when absent (but a present key of the wrong type is still an error).
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::uint32_t get_u32(const std::string& key, std::uint32_t fallback) const;
  float get_f32(const std::string& key, float fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  // An array's elements converted as above; T is std::string, bool, float,
  // double or a (u)int8..64 type.
  template <typename T>
  std::vector<T> get_array(const std::string& key) const;

  // Tensors in file order, and lookups.
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  // Throws "FILE: missing tensor 'NAME'".
  const GgufTensorInfo& tensor(const std::string& name) const;

 private:
  MappedFile map_;
  std::uint32_t version_ = 0;
  std::uint32_t alignment_ = kGgufDefaultAlignment;
  std::uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::map<std::string, std::size_t, std::less<>> kv_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, std::size_t, std::less<>> tensor_index_;
};

// True when the file starts with the GGUF magic (cheap: reads 4 bytes).
bool looks_like_gguf(const std::filesystem::path& path);

}  // namespace prism::formats
