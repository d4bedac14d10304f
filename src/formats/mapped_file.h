// A read-only memory mapping of a whole file: weights are read in place,
// never copied, and pages are shared with the OS page cache.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace prism::formats {

class MappedFile {
 public:
  // Throws prism::Error naming the file when it cannot be opened or mapped.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace prism::formats
