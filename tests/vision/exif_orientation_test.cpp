// EXIF orientation: read from JPEG APP1, PNG eXIf and WebP EXIF blocks and
// applied with Pillow's transposes.
#include "vision/exif_orientation.h"

#include <gtest/gtest.h>

#include "test_encoders.h"

namespace prism::vision {
namespace {

using testing::encode_jpeg;
using testing::encode_png;
using testing::encode_webp_lossless;
using testing::fix_png_crcs;

// A minimal big- or little-endian TIFF block whose IFD0 holds only Orientation.
std::vector<std::uint8_t> exif_block(int orientation, bool little_endian, bool prefix = true) {
  std::vector<std::uint8_t> t;
  if (prefix) t = {'E', 'x', 'i', 'f', 0, 0};
  auto u16 = [&](unsigned v) {
    if (little_endian) t.insert(t.end(), {std::uint8_t(v), std::uint8_t(v >> 8)});
    else t.insert(t.end(), {std::uint8_t(v >> 8), std::uint8_t(v)});
  };
  auto u32 = [&](unsigned v) {
    if (little_endian) t.insert(t.end(), {std::uint8_t(v), std::uint8_t(v >> 8), std::uint8_t(v >> 16), std::uint8_t(v >> 24)});
    else t.insert(t.end(), {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)});
  };
  t.insert(t.end(), little_endian ? std::initializer_list<std::uint8_t>{'I', 'I'} : std::initializer_list<std::uint8_t>{'M', 'M'});
  u16(42);
  u32(8);
  u16(1);  // one entry
  u16(0x0112);
  u16(3);  // SHORT
  u32(1);
  u16(static_cast<unsigned>(orientation));
  u16(0);
  u32(0);  // no next IFD
  return t;
}

// 3x2 image whose pixels are numbered 0..5 in the red channel.
std::vector<std::uint8_t> numbered_rgb() {
  std::vector<std::uint8_t> px(3 * 2 * 3, 0);
  for (int i = 0; i < 6; ++i) px[3 * i] = static_cast<std::uint8_t>(i * 40);
  return px;
}

std::vector<int> reds(const RgbImage& image) {
  std::vector<int> out;
  for (std::size_t i = 0; i < image.pixels.size(); i += 3) out.push_back(image.pixels[i] / 40);
  return out;
}

TEST(ExifOrientation, TransposesLikePillow) {
  RgbImage image = make_rgb_image(3, 2);
  image.pixels = numbered_rgb();  // 0 1 2 / 3 4 5
  EXPECT_EQ(reds(apply_exif_orientation(image, 1)), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(reds(apply_exif_orientation(image, 2)), (std::vector<int>{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(reds(apply_exif_orientation(image, 3)), (std::vector<int>{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(reds(apply_exif_orientation(image, 4)), (std::vector<int>{3, 4, 5, 0, 1, 2}));
  EXPECT_EQ(reds(apply_exif_orientation(image, 5)), (std::vector<int>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(reds(apply_exif_orientation(image, 6)), (std::vector<int>{3, 0, 4, 1, 5, 2}));
  EXPECT_EQ(reds(apply_exif_orientation(image, 7)), (std::vector<int>{5, 2, 4, 1, 3, 0}));
  EXPECT_EQ(reds(apply_exif_orientation(image, 8)), (std::vector<int>{2, 5, 1, 4, 0, 3}));
  const RgbImage turned = apply_exif_orientation(image, 6);
  EXPECT_EQ(turned.width, 2);
  EXPECT_EQ(turned.height, 3);
}

TEST(ExifOrientation, ReadFromJpegPngAndWebp) {
  // JPEG: an APP1 segment right after SOI.
  std::vector<std::uint8_t> flat(16 * 8 * 3, 100);
  auto jpeg = encode_jpeg(16, 8, 3, flat);
  const auto exif = exif_block(6, false);
  std::vector<std::uint8_t> app1 = {0xFF, 0xE1, std::uint8_t((exif.size() + 2) >> 8), std::uint8_t(exif.size() + 2)};
  app1.insert(app1.end(), exif.begin(), exif.end());
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
  EXPECT_EQ(read_exif_orientation(jpeg, ImageFormat::jpeg), 6);
  const RgbImage upright = decode_image(jpeg, "rotated.jpg");
  EXPECT_EQ(upright.width, 8);
  EXPECT_EQ(upright.height, 16);

  // PNG: an eXIf chunk after IHDR (little-endian TIFF, no "Exif" prefix).
  auto png = encode_png(3, 2, PNG_COLOR_TYPE_RGB, 8, numbered_rgb());
  const auto tiff = exif_block(3, true, false);
  std::vector<std::uint8_t> chunk = {0, 0, 0, std::uint8_t(tiff.size()), 'e', 'X', 'I', 'f'};
  chunk.insert(chunk.end(), tiff.begin(), tiff.end());
  chunk.insert(chunk.end(), {0, 0, 0, 0});
  png.insert(png.begin() + 33, chunk.begin(), chunk.end());  // 8 signature + 25 IHDR
  fix_png_crcs(png);
  EXPECT_EQ(read_exif_orientation(png, ImageFormat::png), 3);
  EXPECT_EQ(reds(decode_image(png, "rotated.png")), (std::vector<int>{5, 4, 3, 2, 1, 0}));

  // WebP: without an EXIF chunk nothing changes.
  auto webp = encode_webp_lossless(3, 2, numbered_rgb(), false);
  EXPECT_EQ(read_exif_orientation(webp, ImageFormat::webp), 1);
  EXPECT_EQ(reds(decode_image(webp, "plain.webp")), (std::vector<int>{0, 1, 2, 3, 4, 5}));

  // Damaged blocks read as upright, never out of bounds.
  auto broken = exif_block(8, true);
  broken.resize(broken.size() - 8);
  std::vector<std::uint8_t> app1_broken = {0xFF, 0xD8, 0xFF, 0xE1, 0, std::uint8_t(broken.size() + 2)};
  app1_broken.insert(app1_broken.end(), broken.begin(), broken.end());
  EXPECT_EQ(read_exif_orientation(app1_broken, ImageFormat::jpeg), 1);
}

}  // namespace
}  // namespace prism::vision
