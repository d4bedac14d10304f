// Properties of the Pillow LANCZOS port (bit-exactness itself is checked
// against the reference pixel values in image_processor_test.cpp).
#include "vision/resize_lanczos.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "fixture_cases.h"
#include "vision/image_decode.h"

namespace prism::vision {
namespace {

RgbImage constant_image(int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  RgbImage image = make_rgb_image(w, h);
  for (std::size_t i = 0; i < image.pixels.size(); i += 3) {
    image.pixels[i] = r;
    image.pixels[i + 1] = g;
    image.pixels[i + 2] = b;
  }
  return image;
}

TEST(ResizeLanczos, KeepsFlatColoursExactlyInEveryDirection) {
  const RgbImage flat = constant_image(37, 23, 0, 128, 255);
  for (auto [w, h] : {std::pair{10, 7}, std::pair{100, 50}, std::pair{37, 91}, std::pair{5, 23}, std::pair{1, 1}}) {
    const RgbImage out = resize_lanczos(flat, w, h);
    ASSERT_EQ(out.width, w);
    ASSERT_EQ(out.height, h);
    EXPECT_EQ(out.pixels, constant_image(w, h, 0, 128, 255).pixels) << w << "x" << h;
  }
}

TEST(ResizeLanczos, SameSizeIsACopyAndBadSizesThrow) {
  const RgbImage image =
      load_image_file(testing::case_dir("tiny-a", "inputs") / "image2.png");
  EXPECT_EQ(resize_lanczos(image, image.width, image.height).pixels, image.pixels);
  EXPECT_THROW(resize_lanczos(image, 0, 5), std::invalid_argument);
  EXPECT_THROW(resize_lanczos(RgbImage{}, 5, 5), std::invalid_argument);
}

TEST(ResizeLanczos, OneAxisResizesLeaveTheOtherAxisUntouched) {
  RgbImage stripes = make_rgb_image(8, 4);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x)
      for (int c = 0; c < 3; ++c) stripes.pixels[stripes.index(x, y) + c] = static_cast<std::uint8_t>(y * 60);
  // Only the width changes: every row stays its own constant value.
  const RgbImage wider = resize_lanczos(stripes, 13, 4);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 13; ++x) EXPECT_EQ(wider.pixels[wider.index(x, y)], y * 60);
}

}  // namespace
}  // namespace prism::vision
