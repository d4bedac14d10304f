// A prompt's image tiles -> connector features, through the image feature
// cache: only tiles the cache lacks go through the vision encoder, and a
// tile repeated within the prompt is encoded once. The result equals
// model.connect(model.encode_images(all tiles)) bit for bit, since both
// work tile by tile.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/smolvlm.h"
#include "runtime/image_feature_cache.h"
#include "tensor/tensor.h"

namespace prism::runtime {

struct EncodedImages {
  tensor::Tensor features;    // [tiles, image_seq_len, text_hidden] in prompt order; empty for no tiles
  std::vector<TileKey> keys;  // one per tile, for the prefix cache's block hashes
  int tiles_cached = 0;       // taken from the cache
  int tiles_repeated = 0;     // equal to an earlier tile of the same prompt
  int tiles_encoded = 0;      // run through the vision encoder
};

// Encoding in steps, so an engine loop can encode a tile or two between
// decode steps instead of stalling every running sequence.
class ImageEncodingJob {
 public:
  // Hashes every tile and takes what the cache holds; encodes nothing yet.
  // It reads neither the model's weights nor its thread pool, so it may run
  // off the engine loop. `pixel_values` is [tiles, 3, height, width] and
  // must outlive the job; `cache` may be null (no reuse across prompts).
  ImageEncodingJob(const models::SmolVlmModel& model, ImageFeatureCache* cache, std::span<const float> pixel_values,
                   int tiles, int height, int width);

  // Encodes up to `max_tiles` (<= 0: all) of the tiles still missing, in
  // one encode_images call, and offers them to the cache. Returns done().
  bool step(int max_tiles = 0);
  bool done() const { return next_ == pending_.size(); }
  int tiles_pending() const { return static_cast<int>(pending_.size() - next_); }
  const std::vector<TileKey>& keys() const { return result_.keys; }

  // The result, once, when done(); throws prism::Error before that.
  EncodedImages take_features();

 private:
  struct Pending {
    int tile;                  // first tile with this key
    std::vector<int> repeats;  // later tiles equal to it
  };
  void copy_to_tile(int tile, const float* features);

  const models::SmolVlmModel& model_;
  ImageFeatureCache* cache_;
  const float* pixels_;
  int height_, width_;
  std::int64_t tile_floats_, feature_floats_;
  std::vector<Pending> pending_;  // distinct missing tiles, in prompt order
  std::size_t next_ = 0;          // pending_[next_..] are not encoded yet
  EncodedImages result_;
  bool taken_ = false;
};

// All at once: the job stepped `max_tiles_per_call` tiles at a time (<= 0:
// every missing tile in one encode_images call).
EncodedImages encode_images_cached(const models::SmolVlmModel& model, ImageFeatureCache* cache,
                                   std::span<const float> pixel_values, int tiles, int height, int width,
                                   int max_tiles_per_call = 0);

}  // namespace prism::runtime
