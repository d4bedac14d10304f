// A short mutation fuzz of the image decoders: thousands of damaged copies of
// real files must either decode to a consistent image or raise InvalidInput,
// never crash (run under ASan + UBSan in CI).
#include <random>

#include "core/error.h"
#include "fixture_cases.h"
#include "test_encoders.h"
#include "vision/image_decode.h"

namespace prism::vision {
namespace {

using testing::case_dir;
using testing::fix_png_crcs;
using testing::read_bytes;

std::vector<std::uint8_t> mutate(const std::vector<std::uint8_t>& seed, std::mt19937& rng) {
  std::vector<std::uint8_t> out = seed;
  std::uniform_int_distribution<int> kind(0, 4);
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !out.empty(); ++e) {
    const std::size_t at = rng() % out.size();
    switch (kind(rng)) {
      case 0: out[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8)); break;
      case 1: out[at] = static_cast<std::uint8_t>(rng()); break;
      case 2: out.resize(at); break;
      case 3: out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng())); break;
      case 4: out[at] = 0xFF; break;
    }
  }
  return out;
}

// Returns how many mutants decoded; every other one must have been refused with InvalidInput.
int fuzz(const std::vector<std::uint8_t>& seed, int rounds, bool fix_crcs, std::uint32_t seed_value) {
  std::mt19937 rng(seed_value);
  DecodeLimits limits;
  limits.max_pixels = 4LL * 1024 * 1024;
  int decoded = 0;
  for (int i = 0; i < rounds; ++i) {
    auto bytes = mutate(seed, rng);
    if (fix_crcs) fix_png_crcs(bytes);
    try {
      const RgbImage image = decode_image(bytes, "fuzz", limits);
      EXPECT_GT(image.width, 0);
      EXPECT_GT(image.height, 0);
      EXPECT_EQ(image.pixels.size(), static_cast<std::size_t>(image.width) * image.height * 3);
      ++decoded;
    } catch (const InvalidInput&) {
    }
  }
  return decoded;
}

TEST(ImageDecodeFuzz, MutatedPngs) {
  const auto png = read_bytes(case_dir("tiny-a", "inputs") / "image.png");
  fuzz(png, 1500, false, 1);
  // With CRCs repaired the damage reaches the header fields and compressed data.
  fuzz(png, 1500, true, 2);
}

TEST(ImageDecodeFuzz, MutatedJpegsAndWebps) {
  std::vector<std::uint8_t> pixels(48 * 32 * 3);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 37 % 251);
  fuzz(testing::encode_jpeg(48, 32, 3, pixels, 80), 1000, false, 3);
  fuzz(testing::encode_webp_lossless(48, 32, pixels, false), 1000, false, 4);
}

}  // namespace
}  // namespace prism::vision
