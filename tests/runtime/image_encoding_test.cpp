// Encoding a prompt's tiles through the image feature cache, on the tiny-a
// checkpoint and its image_split case's processed tiles: the result must be
// bit for bit what encoding every tile gives, and only missing tiles may be
// encoded.
#include "runtime/image_encoding.h"

#include <gtest/gtest.h>

#include <cstring>

#include "../models/fixture_case.h"
#include "core/error.h"

namespace prism::runtime {
namespace {

class ImageEncoding : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto c = prism::testing::load_case("tiny-a", "image_split");
    model_ = models::SmolVlmModel::load(c.checkpoint_dir(), 2).release();
    const auto shape = c.shape("pixel_values");  // [1, tiles, 3, S, S]
    tiles_ = static_cast<int>(shape[1]);
    size_ = static_cast<int>(shape[3]);
    pixels_ = new std::vector<float>(c.array("pixel_values"));
    fresh_ = new tensor::Tensor(model_->connect(model_->encode_images(pixels_->data(), tiles_, size_, size_)));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete pixels_;
    delete fresh_;
  }

  std::size_t tile_floats() const { return static_cast<std::size_t>(3) * size_ * size_; }
  std::size_t feature_floats() const { return fresh_->size() / static_cast<std::size_t>(tiles_); }
  // The image's tiles `order` picks, in that order, as one prompt's pixels.
  std::vector<float> tiles_of(const std::vector<int>& order) const {
    std::vector<float> out;
    for (int t : order)
      out.insert(out.end(), pixels_->begin() + t * tile_floats(), pixels_->begin() + (t + 1) * tile_floats());
    return out;
  }
  // Checks `got` [order.size(), seq, hidden] is the fresh encode's tiles in that order, bit for bit.
  void expect_fresh_tiles(const tensor::Tensor& got, const std::vector<int>& order) const {
    ASSERT_EQ(got.size(), order.size() * feature_floats());
    for (std::size_t i = 0; i < order.size(); ++i)
      EXPECT_EQ(std::memcmp(got.data() + i * feature_floats(), fresh_->data() + order[i] * feature_floats(),
                            feature_floats() * sizeof(float)),
                0)
          << "tile " << i << " (image tile " << order[i] << ")";
  }
  std::vector<int> all_tiles() const {
    std::vector<int> v(tiles_);
    for (int i = 0; i < tiles_; ++i) v[i] = i;
    return v;
  }

  static inline models::SmolVlmModel* model_ = nullptr;
  static inline std::vector<float>* pixels_ = nullptr;
  static inline tensor::Tensor* fresh_ = nullptr;
  static inline int tiles_ = 0, size_ = 0;
};

TEST_F(ImageEncoding, CachedFeaturesEqualAFreshEncodeBitForBit) {
  ImageFeatureCache cache(64 << 20);
  const auto cold = encode_images_cached(*model_, &cache, *pixels_, tiles_, size_, size_);
  EXPECT_EQ(cold.features.shape(), fresh_->shape());
  expect_fresh_tiles(cold.features, all_tiles());
  EXPECT_EQ(cold.tiles_encoded, tiles_);
  EXPECT_EQ(cold.tiles_cached, 0);

  const auto warm = encode_images_cached(*model_, &cache, *pixels_, tiles_, size_, size_);
  expect_fresh_tiles(warm.features, all_tiles());
  EXPECT_EQ(warm.tiles_encoded, 0);
  EXPECT_EQ(warm.tiles_cached, tiles_);
  EXPECT_EQ(warm.keys, cold.keys);
  for (int t = 0; t < tiles_; ++t) EXPECT_EQ(cold.keys[t], hash_tile(pixels_->data() + t * tile_floats(), 3, size_, size_));
}

TEST_F(ImageEncoding, RepeatedImageIsEncodedOnceAndHitsOnTheNextCall) {
  // The same image twice in one prompt (tiny-a's split tiles are all distinct).
  std::vector<int> twice = all_tiles();
  twice.insert(twice.end(), twice.begin(), twice.end());
  const auto pixels = tiles_of(twice);
  const int n = static_cast<int>(twice.size());
  ImageFeatureCache cache(64 << 20);

  const auto first = encode_images_cached(*model_, &cache, pixels, n, size_, size_);
  expect_fresh_tiles(first.features, twice);
  EXPECT_EQ(first.tiles_encoded, tiles_);
  EXPECT_EQ(first.tiles_repeated, tiles_);
  EXPECT_EQ(first.tiles_cached, 0);
  EXPECT_EQ(cache.stats().misses, static_cast<std::uint64_t>(tiles_));  // repeats are not looked up
  EXPECT_EQ(cache.stats().entries, static_cast<std::size_t>(tiles_));

  const auto second = encode_images_cached(*model_, &cache, pixels, n, size_, size_);
  expect_fresh_tiles(second.features, twice);
  EXPECT_EQ(second.tiles_encoded, 0);
  EXPECT_EQ(second.tiles_cached, tiles_);
  EXPECT_EQ(second.tiles_repeated, tiles_);
  EXPECT_EQ(cache.stats().hits, static_cast<std::uint64_t>(tiles_));
}

TEST_F(ImageEncoding, AHitTakesTheCachedValueWithoutEncoding) {
  // A planted value for tile 0 comes back as it is: proof the encoder did not run for it.
  ImageFeatureCache cache(64 << 20);
  auto planted = std::make_shared<tensor::Tensor>(std::vector<std::int64_t>{fresh_->dim(1), fresh_->dim(2)});
  std::fill(planted->storage().begin(), planted->storage().end(), 42.0f);
  cache.insert(hash_tile(pixels_->data(), 3, size_, size_), planted);
  const auto r = encode_images_cached(*model_, &cache, *pixels_, tiles_, size_, size_);
  EXPECT_EQ(r.tiles_cached, 1);
  EXPECT_EQ(r.tiles_encoded, tiles_ - 1);
  EXPECT_EQ(std::memcmp(r.features.data(), planted->data(), feature_floats() * sizeof(float)), 0);
  std::vector<int> rest = all_tiles();
  rest.erase(rest.begin());
  tensor::Tensor tail({tiles_ - 1, fresh_->dim(1), fresh_->dim(2)});
  std::memcpy(tail.data(), r.features.data() + feature_floats(), tail.size() * sizeof(float));
  expect_fresh_tiles(tail, rest);
}

TEST_F(ImageEncoding, IncrementalJobEqualsOneShot) {
  // Warm the cache with every third tile so the misses are not side by side.
  ImageFeatureCache cache(64 << 20);
  std::vector<int> thirds;
  for (int t = 0; t < tiles_; t += 3) thirds.push_back(t);
  const auto warm_pixels = tiles_of(thirds);
  encode_images_cached(*model_, &cache, warm_pixels, static_cast<int>(thirds.size()), size_, size_);

  ImageEncodingJob job(*model_, &cache, *pixels_, tiles_, size_, size_);
  const int missing = tiles_ - static_cast<int>(thirds.size());
  EXPECT_EQ(job.tiles_pending(), missing);
  EXPECT_EQ(job.keys().size(), static_cast<std::size_t>(tiles_));
  EXPECT_THROW(job.take_features(), prism::Error);
  int steps = 0;
  while (!job.step(1)) {
    ++steps;
    EXPECT_EQ(job.tiles_pending(), missing - steps);
  }
  EXPECT_EQ(steps + 1, missing);
  EXPECT_TRUE(job.done());
  EXPECT_TRUE(job.step(1));  // nothing left: a no-op
  const auto stepped = job.take_features();
  expect_fresh_tiles(stepped.features, all_tiles());
  EXPECT_EQ(stepped.tiles_cached, static_cast<int>(thirds.size()));
  EXPECT_EQ(stepped.tiles_encoded, missing);

  // Groups of 4 from a cold cache, and without a cache at all.
  ImageFeatureCache cold(64 << 20);
  const auto grouped = encode_images_cached(*model_, &cold, *pixels_, tiles_, size_, size_, 4);
  expect_fresh_tiles(grouped.features, all_tiles());
  EXPECT_EQ(grouped.keys, stepped.keys);
  const auto uncached = encode_images_cached(*model_, nullptr, *pixels_, tiles_, size_, size_);
  expect_fresh_tiles(uncached.features, all_tiles());
  EXPECT_EQ(uncached.tiles_encoded, tiles_);
}

TEST_F(ImageEncoding, SmallCacheStillGivesTheRightFeatures) {
  // Room for two tiles: the second call finds only the last two encoded.
  ImageFeatureCache cache(2 * feature_floats() * sizeof(float));
  encode_images_cached(*model_, &cache, *pixels_, tiles_, size_, size_);
  EXPECT_EQ(cache.stats().entries, 2u);
  EXPECT_EQ(cache.stats().evictions, static_cast<std::uint64_t>(tiles_ - 2));
  const auto again = encode_images_cached(*model_, &cache, *pixels_, tiles_, size_, size_);
  expect_fresh_tiles(again.features, all_tiles());
  EXPECT_EQ(again.tiles_cached, 2);
}

TEST_F(ImageEncoding, NoTilesAndWrongPixelCounts) {
  ImageFeatureCache cache(1 << 20);
  const auto none = encode_images_cached(*model_, &cache, {}, 0, size_, size_);
  EXPECT_EQ(none.features.size(), 0u);
  EXPECT_TRUE(none.keys.empty());
  const std::span<const float> short_by_one(pixels_->data(), pixels_->size() - 1);
  EXPECT_THROW(ImageEncodingJob(*model_, &cache, short_by_one, tiles_, size_, size_), prism::Error);
}

}  // namespace
}  // namespace prism::runtime
