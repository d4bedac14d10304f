// ImageWork (sequence.h) implementations: features already at hand, and a
// prompt's tiles encoded one per engine step through the image cache.
#pragma once

#include <vector>

#include "runtime/image_encoding.h"
#include "runtime/sequence.h"

namespace prism::runtime {

class ReadyImages : public ImageWork {
 public:
  explicit ReadyImages(tensor::Tensor features) : features_(std::move(features)) {}
  bool step() override { return true; }
  const tensor::Tensor& features() const override { return features_; }

 private:
  tensor::Tensor features_;
};

// Tiles are hashed (and cache hits taken) on construction, off the engine
// loop; each step() then runs the vision encoder on one missing tile, so
// other sequences keep decoding between tiles.
class CachedImages : public ImageWork {
 public:
  CachedImages(const models::SmolVlmModel& model, ImageFeatureCache* cache, std::vector<float> pixel_values, int tiles,
               int tile_size)
      : pixels_(std::move(pixel_values)), job_(model, cache, pixels_, tiles, tile_size, tile_size) {}

  const std::vector<TileKey>& keys() const { return job_.keys(); }
  bool step() override {
    if (!job_.done()) job_.step(1);
    if (job_.done() && !taken_) {
      result_ = job_.take_features();
      taken_ = true;
    }
    return taken_;
  }
  const tensor::Tensor& features() const override { return result_.features; }

 private:
  std::vector<float> pixels_;  // before job_, which reads them
  ImageEncodingJob job_;
  EncodedImages result_;
  bool taken_ = false;
};

}  // namespace prism::runtime
