// Incremental SHA-256 (OpenSSL EVP): LFS files are checked against the
// sha256 the Hub names them by.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace prism::hub {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  // Lower-case hex; the hasher starts over afterwards.
  std::string hex_digest();
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Feeds the first `bytes` of a file (a partial download being resumed).
void sha256_update_from_file(Sha256& hash, const std::filesystem::path& file, std::uint64_t bytes);

}  // namespace prism::hub
