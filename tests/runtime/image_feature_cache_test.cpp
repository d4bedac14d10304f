// The image feature cache on its own: keys, LRU eviction within the byte
// bound, counters, and concurrent use.
#include "runtime/image_feature_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

namespace prism::runtime {
namespace {

TileKey key_of(int i) {
  const std::vector<float> pixels(3 * 4 * 4, static_cast<float>(i));
  return hash_tile(pixels.data(), 3, 4, 4);
}

// [rows, 4] features filled with `value`: rows * 16 bytes.
TileFeatures features(std::int64_t rows, float value) {
  auto t = std::make_shared<tensor::Tensor>(std::vector<std::int64_t>{rows, 4});
  std::fill(t->storage().begin(), t->storage().end(), value);
  return t;
}

TEST(TileKey, DifferentPixelsGiveDifferentKeys) {
  std::vector<float> a(3 * 64 * 64);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto& x : a) x = u(rng);
  const TileKey k = hash_tile(a.data(), 3, 64, 64);
  EXPECT_EQ(hash_tile(a.data(), 3, 64, 64), k);
  EXPECT_EQ(k.hex().size(), 64u);

  auto b = a;
  b[1234] = std::nextafter(b[1234], 2.0f);  // one ulp in one pixel
  EXPECT_NE(hash_tile(b.data(), 3, 64, 64), k);
  // The same bytes read as another shape are another tile.
  std::vector<float> c(3 * 32 * 128);
  std::copy(a.begin(), a.end(), c.begin());
  EXPECT_NE(hash_tile(c.data(), 3, 32, 128), hash_tile(c.data(), 3, 128, 32));
}

TEST(ImageFeatureCache, FindAfterInsertIsAHit) {
  ImageFeatureCache cache(1 << 20);
  EXPECT_EQ(cache.find(key_of(1)), nullptr);
  auto f = features(8, 1.5f);
  cache.insert(key_of(1), f);
  EXPECT_EQ(cache.find(key_of(1)), f);
  EXPECT_EQ(cache.find(key_of(2)), nullptr);
  const auto s = cache.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.bytes, 8u * 4 * sizeof(float));
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_EQ(s.max_bytes, 1u << 20);
}

TEST(ImageFeatureCache, ByteBoundEvictsLeastRecentlyUsed) {
  const std::size_t entry = 8 * 4 * sizeof(float);
  ImageFeatureCache cache(3 * entry);
  for (int i = 1; i <= 3; ++i) cache.insert(key_of(i), features(8, static_cast<float>(i)));
  ASSERT_NE(cache.find(key_of(1)), nullptr);  // 1 is now the most recent; 2 the least
  cache.insert(key_of(4), features(8, 4));
  EXPECT_EQ(cache.find(key_of(2)), nullptr);
  EXPECT_NE(cache.find(key_of(1)), nullptr);
  EXPECT_NE(cache.find(key_of(3)), nullptr);
  EXPECT_NE(cache.find(key_of(4)), nullptr);
  auto s = cache.stats();
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.entries, 3u);
  EXPECT_EQ(s.bytes, 3 * entry);

  // One entry twice the size pushes out the two least recent (1 and 3).
  cache.insert(key_of(5), features(16, 5));
  EXPECT_EQ(cache.find(key_of(1)), nullptr);
  EXPECT_EQ(cache.find(key_of(3)), nullptr);
  EXPECT_NE(cache.find(key_of(4)), nullptr);
  EXPECT_NE(cache.find(key_of(5)), nullptr);
  s = cache.stats();
  EXPECT_EQ(s.evictions, 3u);
  EXPECT_EQ(s.bytes, 3 * entry);
}

TEST(ImageFeatureCache, EntryLargerThanTheBoundIsNotKept) {
  ImageFeatureCache cache(8 * 4 * sizeof(float));
  cache.insert(key_of(1), features(8, 1));
  cache.insert(key_of(2), features(9, 2));
  EXPECT_EQ(cache.find(key_of(2)), nullptr);
  EXPECT_NE(cache.find(key_of(1)), nullptr);  // and nothing was evicted for it
  EXPECT_EQ(cache.stats().evictions, 0u);

  ImageFeatureCache off(0);
  off.insert(key_of(1), features(1, 1));
  EXPECT_EQ(off.find(key_of(1)), nullptr);
  EXPECT_EQ(off.stats().entries, 0u);
}

TEST(ImageFeatureCache, ReaderKeepsFeaturesTheCacheEvicted) {
  ImageFeatureCache cache(8 * 4 * sizeof(float));
  cache.insert(key_of(1), features(8, 7));
  TileFeatures held = cache.find(key_of(1));
  cache.insert(key_of(2), features(8, 8));  // evicts 1
  EXPECT_EQ(cache.find(key_of(1)), nullptr);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->data()[31], 7.0f);
}

TEST(ImageFeatureCache, SecondInsertOfAKeyKeepsTheFirstValue) {
  ImageFeatureCache cache(1 << 20);
  auto first = features(8, 1);
  cache.insert(key_of(1), first);
  cache.insert(key_of(1), features(8, 2));
  EXPECT_EQ(cache.find(key_of(1)), first);
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_EQ(cache.stats().bytes, 8u * 4 * sizeof(float));
}

TEST(ImageFeatureCache, ConcurrentFindAndInsertKeepItConsistent) {
  // Room for 16 of the 64 keys, so threads evict each other's entries.
  const std::size_t entry = 8 * 4 * sizeof(float);
  ImageFeatureCache cache(16 * entry);
  std::vector<TileKey> keys;
  for (int i = 0; i < 64; ++i) keys.push_back(key_of(i));
  constexpr int kThreads = 4, kOps = 20000;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int op = 0; op < kOps; ++op) {
        const int i = static_cast<int>(rng() % keys.size());
        if (TileFeatures f = cache.find(keys[i])) {
          // A hit must be the value stored under that key, whole.
          if (f->size() != 32 || f->data()[0] != static_cast<float>(i) || f->data()[31] != static_cast<float>(i))
            ++wrong;
        } else {
          cache.insert(keys[i], features(8, static_cast<float>(i)));
        }
        if (op % 1000 == 0 && cache.stats().bytes > 16 * entry) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  const auto s = cache.stats();
  EXPECT_EQ(s.hits + s.misses, static_cast<std::uint64_t>(kThreads) * kOps);
  EXPECT_GT(s.hits, 0u);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_LE(s.bytes, 16 * entry);
  EXPECT_EQ(s.bytes, s.entries * entry);
}

}  // namespace
}  // namespace prism::runtime
