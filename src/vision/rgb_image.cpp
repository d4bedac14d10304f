#include "vision/rgb_image.h"

#include <algorithm>
#include <stdexcept>

namespace prism::vision {

RgbImage make_rgb_image(int width, int height) {
  if (width < 0 || height < 0) throw std::invalid_argument("make_rgb_image: negative size");
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3, 0);
  return image;
}

RgbImage crop(const RgbImage& image, int x0, int y0, int w, int h) {
  if (x0 < 0 || y0 < 0 || w < 0 || h < 0 || x0 + w > image.width || y0 + h > image.height)
    throw std::invalid_argument("crop: rectangle outside the image");
  RgbImage out = make_rgb_image(w, h);
  const std::size_t row_bytes = static_cast<std::size_t>(w) * 3;
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* src = image.pixels.data() + image.index(x0, y0 + y);
    std::copy(src, src + row_bytes, out.pixels.data() + out.index(0, y));
  }
  return out;
}

}  // namespace prism::vision
