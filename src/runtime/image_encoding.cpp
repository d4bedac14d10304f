#include "runtime/image_encoding.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/error.h"

namespace prism::runtime {

using tensor::Tensor;

ImageEncodingJob::ImageEncodingJob(const models::SmolVlmModel& model, ImageFeatureCache* cache,
                                   std::span<const float> pixel_values, int tiles, int height, int width)
    : model_(model),
      cache_(cache),
      pixels_(pixel_values.data()),
      height_(height),
      width_(width),
      tile_floats_(std::int64_t{3} * height * width),
      feature_floats_(std::int64_t{model.config().image_seq_len()} * model.config().text.hidden_size) {
  if (tiles < 0 || pixel_values.size() != static_cast<std::size_t>(tiles * tile_floats_))
    throw Error("image encoding was given " + std::to_string(pixel_values.size()) + " pixel values for " +
                std::to_string(tiles) + " tiles of 3x" + std::to_string(height) + "x" + std::to_string(width));
  if (tiles == 0) return;
  result_.features = Tensor({tiles, model.config().image_seq_len(), model.config().text.hidden_size});
  result_.keys.reserve(static_cast<std::size_t>(tiles));
  // A key seen before: its first tile, and its index in pending_ (-1 when
  // its features are already in place).
  struct Seen {
    int first_tile, pending;
  };
  std::unordered_map<TileKey, Seen, TileKeyHash> seen;
  for (int t = 0; t < tiles; ++t) {
    const TileKey key = hash_tile(pixels_ + t * tile_floats_, 3, height, width);
    result_.keys.push_back(key);
    if (auto it = seen.find(key); it != seen.end()) {
      ++result_.tiles_repeated;
      if (it->second.pending >= 0)
        pending_[static_cast<std::size_t>(it->second.pending)].repeats.push_back(t);
      else
        copy_to_tile(t, result_.features.data() + it->second.first_tile * feature_floats_);
      continue;
    }
    if (TileFeatures hit = cache_ ? cache_->find(key) : nullptr) {
      if (static_cast<std::int64_t>(hit->size()) != feature_floats_)
        throw Error("the image feature cache holds features of shape " + hit->shape_string() +
                    ", not this model's; give each model its own cache");
      copy_to_tile(t, hit->data());
      ++result_.tiles_cached;
      seen.emplace(key, Seen{t, -1});
    } else {
      seen.emplace(key, Seen{t, static_cast<int>(pending_.size())});
      pending_.push_back({t, {}});
    }
  }
}

void ImageEncodingJob::copy_to_tile(int tile, const float* features) {
  std::memcpy(result_.features.data() + tile * feature_floats_, features,
              static_cast<std::size_t>(feature_floats_) * sizeof(float));
}

bool ImageEncodingJob::step(int max_tiles) {
  const std::size_t left = pending_.size() - next_;
  const std::size_t n = max_tiles <= 0 ? left : std::min(left, static_cast<std::size_t>(max_tiles));
  if (n == 0) return done();
  // Missing tiles that lie side by side are read in place; others are gathered.
  const bool contiguous = pending_[next_ + n - 1].tile - pending_[next_].tile == static_cast<int>(n - 1);
  std::vector<float> gathered;
  const float* input = pixels_ + pending_[next_].tile * tile_floats_;
  if (!contiguous) {
    gathered.resize(n * static_cast<std::size_t>(tile_floats_));
    for (std::size_t i = 0; i < n; ++i)
      std::memcpy(gathered.data() + i * tile_floats_, pixels_ + pending_[next_ + i].tile * tile_floats_,
                  static_cast<std::size_t>(tile_floats_) * sizeof(float));
    input = gathered.data();
  }
  const Tensor features = model_.connect(model_.encode_images(input, static_cast<std::int64_t>(n), height_, width_));
  for (std::size_t i = 0; i < n; ++i) {
    const Pending& p = pending_[next_ + i];
    const float* f = features.data() + i * feature_floats_;
    copy_to_tile(p.tile, f);
    for (int r : p.repeats) copy_to_tile(r, f);
    if (cache_) {
      auto kept = std::make_shared<Tensor>(std::vector<std::int64_t>{features.dim(1), features.dim(2)});
      std::memcpy(kept->data(), f, static_cast<std::size_t>(feature_floats_) * sizeof(float));
      cache_->insert(result_.keys[static_cast<std::size_t>(p.tile)], std::move(kept));
    }
  }
  next_ += n;
  result_.tiles_encoded += static_cast<int>(n);
  return done();
}

EncodedImages ImageEncodingJob::take_features() {
  if (!done() || taken_) throw Error("image encoding: take_features() before the job is done, or twice");
  taken_ = true;
  return std::move(result_);
}

EncodedImages encode_images_cached(const models::SmolVlmModel& model, ImageFeatureCache* cache,
                                   std::span<const float> pixel_values, int tiles, int height, int width,
                                   int max_tiles_per_call) {
  ImageEncodingJob job(model, cache, pixel_values, tiles, height, width);
  while (!job.step(max_tiles_per_call)) {
  }
  return job.take_features();
}

}  // namespace prism::runtime
