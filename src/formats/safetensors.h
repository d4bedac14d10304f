// Safetensors reader: memory-mapped, header fully validated before any tensor
// is handed out (dtype, shape, offsets inside the file, sizes matching
// shape x dtype, no overlaps). Sharded checkpoints are read through
// model.safetensors.index.json. Every error names the file and the tensor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "formats/dtype.h"
#include "formats/mapped_file.h"

namespace prism::formats {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  const std::byte* data = nullptr;  // points into the mapping (not necessarily aligned)
  std::size_t nbytes = 0;
  std::filesystem::path file;

  std::int64_t numel() const;
  std::string shape_string() const;  // "[621, 64]"
};

// One .safetensors file.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return map_.path(); }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* find(const std::string& name) const;

 private:
  MappedFile map_;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// All weights of a checkpoint folder: model.safetensors, or the shards listed
// in model.safetensors.index.json.
class SafetensorsCheckpoint {
 public:
  static std::unique_ptr<SafetensorsCheckpoint> open(const std::filesystem::path& dir);

  const TensorInfo* find(const std::string& name) const;
  // Throws prism::Error "missing tensor NAME in DIR" when absent.
  const TensorInfo& get(const std::string& name) const;
  const std::map<std::string, const TensorInfo*>& tensors() const { return index_; }
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorInfo*> index_;
};

}  // namespace prism::formats
