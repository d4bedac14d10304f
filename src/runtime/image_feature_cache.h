// A bounded, thread-safe cache of the vision encoder + connector output per
// image tile, so the same image (again in one request, or on the next turn
// of a conversation) is not encoded twice.
//
// The key hashes the tile's processed pixels, the float [3, H, W] tile as the
// image processor produced it: that already reflects the decoded image and
// the processor's settings (size, rescale, normalization), so equal keys mean
// equal encoder input. The weights are not in the key: keep one cache per
// loaded model.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "tensor/tensor.h"

namespace prism::runtime {

// SHA-256 of a tile's shape and pixel bits.
struct TileKey {
  std::array<std::uint8_t, 32> bytes{};
  bool operator==(const TileKey&) const = default;
  std::string hex() const;
};

struct TileKeyHash {
  std::size_t operator()(const TileKey& k) const noexcept;
};

// Hashes `channels * height * width` floats at `pixels` together with the
// three sizes. Bits, not values, are hashed: -0.0 and 0.0 differ, which can
// only cost a miss, never give a wrong hit.
TileKey hash_tile(const float* pixels, std::int64_t channels, std::int64_t height, std::int64_t width);

// One tile's connector output, [image_seq_len, text_hidden]. Shared and
// const, so a reader keeps its copy alive while the cache evicts it.
using TileFeatures = std::shared_ptr<const tensor::Tensor>;

struct ImageFeatureCacheStats {
  std::uint64_t hits = 0, misses = 0, evictions = 0;
  std::size_t bytes = 0, entries = 0;  // bytes: the features' floats
  std::size_t max_bytes = 0;
};

class ImageFeatureCache {
 public:
  // max_bytes bounds the features' floats held; 0 keeps nothing.
  explicit ImageFeatureCache(std::size_t max_bytes);
  ImageFeatureCache(const ImageFeatureCache&) = delete;
  ImageFeatureCache& operator=(const ImageFeatureCache&) = delete;

  // The tile's features, or null; counts a hit or a miss. A hit becomes the
  // most recently used entry.
  TileFeatures find(const TileKey& key);

  // Keeps `features` as the most recently used entry, evicting the least
  // recently used ones until the bound holds. An entry larger than the
  // whole bound is not kept. A key already present keeps its first value
  // (two requests that missed together encoded the same thing).
  void insert(const TileKey& key, TileFeatures features);

  ImageFeatureCacheStats stats() const;
  void clear();

 private:
  struct Entry {
    TileKey key;
    TileFeatures features;
    std::size_t bytes;
  };
  using Lru = std::list<Entry>;  // front: most recently used

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::unordered_map<TileKey, Lru::iterator, TileKeyHash> index_;
  ImageFeatureCacheStats stats_;
};

}  // namespace prism::runtime
