#include "vision/image_processor.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "vision/resize_lanczos.h"

namespace prism::vision {
namespace {

// transformers' MAX_IMAGE_SIZE: no side beyond 4K after the first resize.
constexpr int kMaxImageSide = 4096;

// Python's int(x) of a non-negative float.
int py_int(double x) { return static_cast<int>(std::trunc(x)); }

int ceil_multiple(int value, int multiple) {
  return static_cast<int>(std::ceil(static_cast<double>(value) / multiple)) * multiple;
}

[[noreturn]] void bad_size(int h, int w) {
  throw InvalidInput("image of " + std::to_string(w) + "x" + std::to_string(h) +
                     " pixels has too extreme an aspect ratio to be resized");
}

}  // namespace

std::pair<int, int> resize_output_size(int height, int width, int longest_edge) {
  // _resize_output_size_rescale_to_max_len(min_len=1, max_len=longest_edge)
  const double aspect = static_cast<double>(width) / height;
  if (width >= height) {
    width = longest_edge;
    height = py_int(width / aspect);
    if (height % 2 != 0) height += 1;
  } else {
    height = longest_edge;
    width = py_int(height * aspect);
    if (width % 2 != 0) width += 1;
  }
  height = std::max(height, 1);
  width = std::max(width, 1);
  // _resize_output_size_scale_below_upper_bound(max_len=4096)
  const double aspect2 = static_cast<double>(width) / height;
  if (width >= height && width > kMaxImageSide) {
    width = kMaxImageSide;
    height = py_int(width / aspect2);
  } else if (height > width && height > kMaxImageSide) {
    height = kMaxImageSide;
    width = py_int(height * aspect2);
  }
  return {std::max(height, 1), std::max(width, 1)};
}

std::pair<int, int> vision_encoder_size(int height, int width, int tile) {
  const double aspect = static_cast<double>(width) / height;
  if (width >= height) {
    width = ceil_multiple(width, tile);
    height = ceil_multiple(py_int(width / aspect), tile);
  } else {
    height = ceil_multiple(height, tile);
    width = ceil_multiple(py_int(height * aspect), tile);
  }
  return {height, width};
}

TiledImage tile_image(const RgbImage& input, const ImageProcessorConfig& config, bool do_image_splitting) {
  if (input.width < 1 || input.height < 1) throw InvalidInput("image has zero size");
  if (config.max_image_size < 1 || (config.do_resize && config.longest_edge < 1))
    throw Error("image processor config: size and max_image_size must be positive");
  RgbImage image = input;
  if (config.do_resize) {
    const auto [h, w] = resize_output_size(image.height, image.width, config.longest_edge);
    image = resize_lanczos(image, w, h);
  }
  const int tile = config.max_image_size;
  TiledImage out;
  if (!do_image_splitting) {
    out.tiles.push_back(resize_lanczos(image, tile, tile));
    return out;
  }
  const auto [h, w] = vision_encoder_size(image.height, image.width, tile);
  if (h < 1 || w < 1) bad_size(input.height, input.width);
  image = resize_lanczos(image, w, h);
  if (image.height > tile || image.width > tile) {
    // Sides are multiples of the tile now, so every crop is a full tile.
    out.rows = image.height / tile;
    out.cols = image.width / tile;
    for (int r = 0; r < out.rows; ++r)
      for (int c = 0; c < out.cols; ++c) out.tiles.push_back(crop(image, c * tile, r * tile, tile, tile));
    out.tiles.push_back(resize_lanczos(image, tile, tile));
  } else {
    out.tiles.push_back(std::move(image));
  }
  return out;
}

void append_normalized_tile(const RgbImage& tile, const ImageProcessorConfig& config, std::vector<float>& out) {
  // Every uint8 value maps to one float per channel, so compute the 256 of them once.
  // numpy: (image.astype(float64) * scale).astype(float32), then float32 (x - mean) / std.
  float table[3][256];
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      float x = config.do_rescale ? static_cast<float>(static_cast<double>(v) * config.rescale_factor)
                                  : static_cast<float>(v);
      if (config.do_normalize) x = (x - config.image_mean[c]) / config.image_std[c];
      table[c][v] = x;
    }
  }
  const std::size_t plane = static_cast<std::size_t>(tile.width) * tile.height;
  const std::size_t base = out.size();
  out.resize(base + 3 * plane);
  const std::uint8_t* src = tile.pixels.data();
  for (int c = 0; c < 3; ++c) {
    float* dst = out.data() + base + c * plane;
    for (std::size_t i = 0; i < plane; ++i) dst[i] = table[c][src[3 * i + c]];
  }
}

ProcessedImage process_image(const RgbImage& image, const ImageProcessorConfig& config, bool do_image_splitting) {
  TiledImage tiled = tile_image(image, config, do_image_splitting);
  ProcessedImage out;
  out.rows = tiled.rows;
  out.cols = tiled.cols;
  out.tile_size = config.max_image_size;
  out.num_tiles = static_cast<int>(tiled.tiles.size());
  out.pixel_values.reserve(static_cast<std::size_t>(out.num_tiles) * 3 * out.tile_size * out.tile_size);
  for (const RgbImage& tile : tiled.tiles) append_normalized_tile(tile, config, out.pixel_values);
  return out;
}

ProcessedImage process_video_frame(const RgbImage& frame, const ImageProcessorConfig& config) {
  if (!config.video_sampling) throw Error("image processor config has no video_sampling section");
  ImageProcessorConfig frame_config = config;
  frame_config.longest_edge = config.video_sampling->video_longest_edge;
  return process_image(frame, frame_config, false);
}

}  // namespace prism::vision
