// Image decoding: every PNG colour layout converts as Pillow's
// convert("RGB") does; JPEG and WebP decode; bad input is refused cleanly.
#include "vision/image_decode.h"

#include <string>

#include "core/error.h"
#include "fixture_cases.h"
#include "test_encoders.h"

namespace prism::vision {
namespace {

using testing::case_dir;
using testing::encode_jpeg;
using testing::encode_png;
using testing::encode_webp_lossless;
using testing::fix_png_crcs;
using testing::read_bytes;

std::vector<std::uint8_t> rgb_at(const RgbImage& image, int x, int y) {
  const auto i = image.index(x, y);
  return {image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]};
}

void expect_invalid(std::span<const std::uint8_t> bytes, const std::string& mention, const DecodeLimits& limits = {}) {
  try {
    decode_image(bytes, "test-image", limits);
    ADD_FAILURE() << "accepted input that should be refused (" << mention << ")";
  } catch (const InvalidInput& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("test-image"), std::string::npos) << what;
    EXPECT_NE(what.find(mention), std::string::npos) << what;
  }
}

TEST(ImageDecode, DetectsFormatsByMagic) {
  const std::uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  const std::uint8_t jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0};
  const std::uint8_t webp[] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P'};
  const std::uint8_t gif[] = {'G', 'I', 'F', '8', '9', 'a'};
  EXPECT_EQ(detect_image_format(png), ImageFormat::png);
  EXPECT_EQ(detect_image_format(jpeg), ImageFormat::jpeg);
  EXPECT_EQ(detect_image_format(webp), ImageFormat::webp);
  EXPECT_EQ(detect_image_format(gif), ImageFormat::gif);
  EXPECT_EQ(detect_image_format(std::span<const std::uint8_t>()), ImageFormat::unknown);
  expect_invalid(gif, "GIF");
}

TEST(ImageDecode, ReadsTheFixturePng) {
  const RgbImage image = load_image_file(case_dir("tiny-a", "inputs") / "image.png");
  EXPECT_EQ(image.width, 150);
  EXPECT_EQ(image.height, 100);
  EXPECT_EQ(image.pixels.size(), 150u * 100u * 3u);
}

TEST(ImageDecode, PngColourLayoutsBecomeRgbLikePillow) {
  // Gray 8-bit and gray+alpha: gray replicated, alpha dropped (no compositing).
  auto gray = decode_image(encode_png(2, 1, PNG_COLOR_TYPE_GRAY, 8, {7, 200}), "gray");
  EXPECT_EQ(rgb_at(gray, 1, 0), (std::vector<std::uint8_t>{200, 200, 200}));
  auto gray_alpha = decode_image(encode_png(1, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {90, 0}), "ga");
  EXPECT_EQ(rgb_at(gray_alpha, 0, 0), (std::vector<std::uint8_t>{90, 90, 90}));
  // RGBA: alpha dropped, colour kept even where fully transparent.
  auto rgba = decode_image(encode_png(1, 1, PNG_COLOR_TYPE_RGBA, 8, {10, 20, 30, 0}), "rgba");
  EXPECT_EQ(rgb_at(rgba, 0, 0), (std::vector<std::uint8_t>{10, 20, 30}));
  // 16-bit RGB keeps the high byte; 16-bit gray is clipped to 255 (Pillow mode "I").
  auto rgb16 = decode_image(encode_png(1, 1, PNG_COLOR_TYPE_RGB, 16, {0x12, 0x34, 0xAB, 0xCD, 0x00, 0xFF}), "rgb16");
  EXPECT_EQ(rgb_at(rgb16, 0, 0), (std::vector<std::uint8_t>{0x12, 0xAB, 0x00}));
  auto gray16 = decode_image(encode_png(2, 1, PNG_COLOR_TYPE_GRAY, 16, {0x00, 0x64, 0x12, 0x34}), "gray16");
  EXPECT_EQ(rgb_at(gray16, 0, 0), (std::vector<std::uint8_t>{100, 100, 100}));
  EXPECT_EQ(rgb_at(gray16, 1, 0), (std::vector<std::uint8_t>{255, 255, 255}));
  // 2-bit gray scales by 85.
  auto gray2 = decode_image(encode_png(4, 1, PNG_COLOR_TYPE_GRAY, 2, {0b00011011}), "gray2");
  EXPECT_EQ(rgb_at(gray2, 2, 0), (std::vector<std::uint8_t>{170, 170, 170}));
  // Palette (4-bit indices); an index past the palette reads as gray (i, i, i) like Pillow's.
  std::vector<png_color> palette = {{255, 0, 0}, {0, 255, 0}};
  auto indexed = decode_image(encode_png(3, 1, PNG_COLOR_TYPE_PALETTE, 4, {0x01, 0x50}, palette), "palette");
  EXPECT_EQ(rgb_at(indexed, 0, 0), (std::vector<std::uint8_t>{255, 0, 0}));
  EXPECT_EQ(rgb_at(indexed, 1, 0), (std::vector<std::uint8_t>{0, 255, 0}));
  EXPECT_EQ(rgb_at(indexed, 2, 0), (std::vector<std::uint8_t>{5, 5, 5}));
}

TEST(ImageDecode, InterlacedPngEqualsItsPlainTwin) {
  std::vector<std::uint8_t> rows(13 * 9 * 3);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<std::uint8_t>(i * 31 % 256);
  const RgbImage plain = decode_image(encode_png(13, 9, PNG_COLOR_TYPE_RGB, 8, rows), "plain");
  const RgbImage adam7 = decode_image(encode_png(13, 9, PNG_COLOR_TYPE_RGB, 8, rows, {}, true), "adam7");
  EXPECT_EQ(plain.pixels, rows);
  EXPECT_EQ(adam7.pixels, rows);
}

TEST(ImageDecode, JpegAndWebp) {
  std::vector<std::uint8_t> flat(16 * 16 * 3);
  for (std::size_t i = 0; i < flat.size(); i += 3) {
    flat[i] = 200;
    flat[i + 1] = 100;
    flat[i + 2] = 50;
  }
  const RgbImage jpeg = decode_image(encode_jpeg(16, 16, 3, flat), "flat.jpg");
  ASSERT_EQ(jpeg.width, 16);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(jpeg.pixels[c], flat[c], 3);
  const std::vector<std::uint8_t> gray_pixels(8 * 8, 77);
  const RgbImage gray = decode_image(encode_jpeg(8, 8, 1, gray_pixels), "gray.jpg");
  EXPECT_EQ(rgb_at(gray, 3, 3), (std::vector<std::uint8_t>{77, 77, 77}));

  const RgbImage webp = decode_image(encode_webp_lossless(16, 16, flat, false), "flat.webp");
  EXPECT_EQ(webp.pixels, flat);
  std::vector<std::uint8_t> rgba = {1, 2, 3, 128, 250, 251, 252, 255};
  const RgbImage webp_alpha = decode_image(encode_webp_lossless(2, 1, rgba, true), "alpha.webp");
  EXPECT_EQ(webp_alpha.pixels, (std::vector<std::uint8_t>{1, 2, 3, 250, 251, 252}));
}

TEST(ImageDecode, RefusesEmptyTruncatedAndRandomInput) {
  expect_invalid({}, "empty");
  const auto png = read_bytes(case_dir("tiny-a", "inputs") / "image.png");
  for (std::size_t keep : {std::size_t{4}, std::size_t{8}, std::size_t{20}, std::size_t{40}, png.size() / 2, png.size() - 13})
    expect_invalid(std::span(png.data(), keep), "PNG");
  std::vector<std::uint8_t> flat(32 * 32 * 3, 128);
  const auto jpeg = encode_jpeg(32, 32, 3, flat);
  for (std::size_t keep : {std::size_t{3}, std::size_t{100}, jpeg.size() / 2, jpeg.size() - 2})
    expect_invalid(std::span(jpeg.data(), keep), "JPEG");
  const auto webp = encode_webp_lossless(32, 32, flat, false);
  for (std::size_t keep : {std::size_t{12}, std::size_t{30}, webp.size() - 4})
    expect_invalid(std::span(webp.data(), keep), "WebP");
  std::vector<std::uint8_t> random(1000);
  std::uint32_t state = 99;
  for (auto& b : random) b = static_cast<std::uint8_t>((state = state * 1103515245u + 12345u) >> 16);
  expect_invalid(random, "not a PNG, JPEG or WebP");
}

TEST(ImageDecode, EnforcesPixelAndByteLimits) {
  // A valid PNG whose header claims 100000 x 100000 pixels.
  auto png = encode_png(1, 1, PNG_COLOR_TYPE_RGB, 8, {1, 2, 3});
  const std::uint8_t huge[] = {0x00, 0x01, 0x86, 0xA0};  // 100000, big-endian
  std::memcpy(png.data() + 16, huge, 4);
  std::memcpy(png.data() + 20, huge, 4);
  fix_png_crcs(png);
  expect_invalid(png, "over the limit");

  // A JPEG whose SOF claims 60000 x 60000.
  std::vector<std::uint8_t> flat(8 * 8 * 3, 9);
  auto jpeg = encode_jpeg(8, 8, 3, flat);
  for (std::size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = 0xEA;  // height 0xEA60 = 60000
      jpeg[i + 6] = 0x60;
      jpeg[i + 7] = 0xEA;
      jpeg[i + 8] = 0x60;
      break;
    }
  }
  expect_invalid(jpeg, "over the limit");

  DecodeLimits small;
  small.max_pixels = 100;
  expect_invalid(encode_webp_lossless(16, 16, std::vector<std::uint8_t>(16 * 16 * 3, 1), false), "over the limit", small);
  small.max_bytes = 10;
  expect_invalid(encode_png(1, 1, PNG_COLOR_TYPE_GRAY, 8, {1}), "bytes, over the limit", small);

  // Zero width in the header.
  auto zero = encode_png(1, 1, PNG_COLOR_TYPE_GRAY, 8, {1});
  std::memset(zero.data() + 16, 0, 4);
  fix_png_crcs(zero);
  expect_invalid(zero, "PNG");
}

TEST(ImageDecode, LoadImageFileNamesThePath) {
  try {
    load_image_file("/nonexistent/dir/picture.png");
    ADD_FAILURE() << "missing file accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/picture.png"), std::string::npos);
  }
}

}  // namespace
}  // namespace prism::vision
