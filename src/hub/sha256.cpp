#include "hub/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "core/error.h"

namespace prism::hub {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  if (!impl_->ctx) throw Error("OpenSSL could not allocate a digest");
  reset();
}

Sha256::~Sha256() = default;

void Sha256::reset() { EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr); }

void Sha256::update(const void* data, std::size_t size) { EVP_DigestUpdate(impl_->ctx, data, size); }

std::string Sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    hex += buf;
  }
  reset();
  return hex;
}

void sha256_update_from_file(Sha256& hash, const std::filesystem::path& file, std::uint64_t bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot read");
  std::vector<char> buf(1 << 20);
  while (bytes > 0) {
    const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(bytes, buf.size()));
    in.read(buf.data(), want);
    if (in.gcount() != want) throw Error(file.string() + ": shorter than " + std::to_string(bytes) + " bytes");
    hash.update(buf.data(), static_cast<std::size_t>(want));
    bytes -= static_cast<std::uint64_t>(want);
  }
}

}  // namespace prism::hub
