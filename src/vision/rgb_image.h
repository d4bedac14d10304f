// An 8-bit RGB image, the common currency of the vision module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace prism::vision {

// Row-major, height x width x 3 (HWC), no padding between rows.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;

  std::size_t index(int x, int y) const {
    return (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) * 3;
  }
};

// A blank (black) image of the given size.
RgbImage make_rgb_image(int width, int height);

// The rectangle [x0, x0+w) x [y0, y0+h) of an image; must lie inside it.
RgbImage crop(const RgbImage& image, int x0, int y0, int w, int h);

}  // namespace prism::vision
