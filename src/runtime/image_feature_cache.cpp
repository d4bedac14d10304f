#include "runtime/image_feature_cache.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "core/error.h"

namespace prism::runtime {

std::string TileKey::hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

std::size_t TileKeyHash::operator()(const TileKey& k) const noexcept {
  // The key is already a uniform hash: its first word will do.
  std::size_t h;
  std::memcpy(&h, k.bytes.data(), sizeof(h));
  return h;
}

TileKey hash_tile(const float* pixels, std::int64_t channels, std::int64_t height, std::int64_t width) {
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  // The sizes go first so that tiles of equal bytes but other shapes differ.
  const std::int64_t dims[3] = {channels, height, width};
  TileKey key;
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), dims, sizeof(dims)) != 1 ||
      EVP_DigestUpdate(ctx.get(), pixels, static_cast<std::size_t>(channels * height * width) * sizeof(float)) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), key.bytes.data(), &len) != 1 || len != key.bytes.size())
    throw Error("OpenSSL could not compute a SHA-256 digest of an image tile");
  return key;
}

ImageFeatureCache::ImageFeatureCache(std::size_t max_bytes) : max_bytes_(max_bytes) { stats_.max_bytes = max_bytes; }

TileFeatures ImageFeatureCache::find(const TileKey& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->features;
}

void ImageFeatureCache::insert(const TileKey& key, TileFeatures features) {
  if (!features) return;
  const std::size_t bytes = features->size() * sizeof(float);
  if (bytes > max_bytes_) return;
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  while (stats_.bytes + bytes > max_bytes_) {
    const Entry& victim = lru_.back();
    stats_.bytes -= victim.bytes;
    index_.erase(victim.key);
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.push_front({key, std::move(features), bytes});
  index_.emplace(key, lru_.begin());
  stats_.bytes += bytes;
}

ImageFeatureCacheStats ImageFeatureCache::stats() const {
  std::lock_guard lock(mutex_);
  ImageFeatureCacheStats s = stats_;
  s.entries = lru_.size();
  return s;
}

void ImageFeatureCache::clear() {
  std::lock_guard lock(mutex_);
  lru_.clear();
  index_.clear();
  stats_.bytes = 0;
}

}  // namespace prism::runtime
