#include "vision/resize_lanczos.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace prism::vision {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr double kLanczosSupport = 3.0;

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * M_PI;
  return std::sin(x) / x;
}

double lanczos(double x) {
  if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
  return 0.0;
}

// For each output pixel along one axis: the first input pixel it reads, how
// many it reads, and their fixed-point weights (ksize slots per output pixel).
struct AxisWeights {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<std::int32_t> weights;
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the box [0, in_size).
AxisWeights precompute_weights(int in_size, int out_size) {
  const float in0 = 0.0f;
  const float in1 = static_cast<float>(in_size);
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = kLanczosSupport * filterscale;
  AxisWeights axis;
  axis.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  axis.first.resize(out_size);
  axis.count.resize(out_size);
  axis.weights.assign(static_cast<std::size_t>(out_size) * axis.ksize, 0);
  std::vector<double> k(axis.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = lanczos((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[x] /= ww;
    }
    std::int32_t* fixed = &axis.weights[static_cast<std::size_t>(xx) * axis.ksize];
    for (int x = 0; x < xmax; ++x) {
      const double scaled = k[x] * (1 << kPrecisionBits);
      fixed[x] = static_cast<std::int32_t>(k[x] < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    axis.first[xx] = xmin;
    axis.count[xx] = xmax;
  }
  return axis;
}

// Sums stay far inside int32 (255 * sum|w| * 2^22 < 2^31 for Lanczos-3, as in Pillow).
std::uint8_t clip8(std::int32_t accumulated) {
  const std::int32_t v = accumulated >> kPrecisionBits;
  return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Horizontal pass over the rows [row0, row0 + rows) of `in`.
RgbImage resample_horizontal(const RgbImage& in, int out_width, int row0, int rows, const AxisWeights& axis) {
  RgbImage out = make_rgb_image(out_width, rows);
  for (int yy = 0; yy < rows; ++yy) {
    const std::uint8_t* src = in.pixels.data() + in.index(0, yy + row0);
    std::uint8_t* dst = out.pixels.data() + out.index(0, yy);
    for (int xx = 0; xx < out_width; ++xx) {
      const std::int32_t* k = &axis.weights[static_cast<std::size_t>(xx) * axis.ksize];
      const int xmin = axis.first[xx];
      std::int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      for (int x = 0; x < axis.count[xx]; ++x) {
        const std::uint8_t* p = src + static_cast<std::size_t>(x + xmin) * 3;
        s0 += p[0] * k[x];
        s1 += p[1] * k[x];
        s2 += p[2] * k[x];
      }
      dst[3 * xx + 0] = clip8(s0);
      dst[3 * xx + 1] = clip8(s1);
      dst[3 * xx + 2] = clip8(s2);
    }
  }
  return out;
}

// Vertical pass; `first_offset` is subtracted from every first-row index
// (the horizontal pass only produced the rows the vertical pass reads).
// Pillow sums per output pixel over the kernel rows; we sum row by row into
// per-pixel accumulators, which gives the same integers with contiguous reads.
RgbImage resample_vertical(const RgbImage& in, int out_height, int first_offset, const AxisWeights& axis) {
  RgbImage out = make_rgb_image(in.width, out_height);
  const std::size_t row_bytes = static_cast<std::size_t>(in.width) * 3;
  std::vector<std::int32_t> sums(row_bytes);
  for (int yy = 0; yy < out_height; ++yy) {
    const std::int32_t* k = &axis.weights[static_cast<std::size_t>(yy) * axis.ksize];
    const int ymin = axis.first[yy] - first_offset;
    std::fill(sums.begin(), sums.end(), std::int32_t{1} << (kPrecisionBits - 1));
    std::int32_t* __restrict acc = sums.data();
    for (int y = 0; y < axis.count[yy]; ++y) {
      const std::uint8_t* __restrict row = in.pixels.data() + static_cast<std::size_t>(y + ymin) * row_bytes;
      const std::int32_t weight = k[y];
      for (std::size_t i = 0; i < row_bytes; ++i) acc[i] += row[i] * weight;
    }
    std::uint8_t* dst = out.pixels.data() + out.index(0, yy);
    for (std::size_t i = 0; i < row_bytes; ++i) dst[i] = clip8(sums[i]);
  }
  return out;
}

}  // namespace

RgbImage resize_lanczos(const RgbImage& image, int width, int height) {
  if (image.width < 1 || image.height < 1) throw std::invalid_argument("resize_lanczos: empty source image");
  if (width < 1 || height < 1) throw std::invalid_argument("resize_lanczos: target size must be at least 1x1");
  if (image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3)
    throw std::invalid_argument("resize_lanczos: pixel buffer does not match the image size");
  // Pillow's Image.resize returns a copy when nothing changes.
  if (width == image.width && height == image.height) return image;

  const bool need_horizontal = width != image.width;
  const bool need_vertical = height != image.height;
  const AxisWeights horizontal = precompute_weights(image.width, width);
  const AxisWeights vertical = precompute_weights(image.height, height);

  if (!need_vertical) return resample_horizontal(image, width, 0, image.height, horizontal);
  if (!need_horizontal) return resample_vertical(image, height, 0, vertical);
  // Horizontal pass only over the rows the vertical pass will read.
  const int first_row = vertical.first[0];
  const int last_row = vertical.first[height - 1] + vertical.count[height - 1];
  const RgbImage temp = resample_horizontal(image, width, first_row, last_row - first_row, horizontal);
  return resample_vertical(temp, height, first_row, vertical);
}

}  // namespace prism::vision
