// SmolVLMImageProcessor (transformers v4.51.3) for one image: resize the
// longest edge, optionally split into square tiles plus a global view, then
// rescale and normalise into float32 CHW tiles.
#pragma once

#include <utility>
#include <vector>

#include "vision/image_processor_config.h"
#include "vision/rgb_image.h"

namespace prism::vision {

// The uint8 tiles before rescaling: the rows x cols crops in row-major order,
// then the global view; a single tile (rows = cols = 0) when not split.
struct TiledImage {
  int rows = 0;
  int cols = 0;
  std::vector<RgbImage> tiles;
};

struct ProcessedImage {
  int rows = 0;
  int cols = 0;
  int tile_size = 0;
  int num_tiles = 0;
  std::vector<float> pixel_values;  // [num_tiles, 3, tile_size, tile_size]
};

// Output (height, width) of the first resize: longest side -> longest_edge,
// the other int(long / aspect) rounded up to even, both at least 1, then
// scaled under transformers' 4096 cap.
std::pair<int, int> resize_output_size(int height, int width, int longest_edge);

// Output (height, width) of resize_for_vision_encoder: both sides rounded up
// to multiples of `tile` keeping the aspect ratio (Python arithmetic).
std::pair<int, int> vision_encoder_size(int height, int width, int tile);

// Resizes and tiles as the processor does, stopping before rescale/normalise.
TiledImage tile_image(const RgbImage& image, const ImageProcessorConfig& config, bool do_image_splitting);

// Rescale (float32(double(u8) * rescale_factor)) and normalise
// ((x - mean) / std in float32), appending CHW planes to `out`.
void append_normalized_tile(const RgbImage& tile, const ImageProcessorConfig& config, std::vector<float>& out);

ProcessedImage process_image(const RgbImage& image, const ImageProcessorConfig& config, bool do_image_splitting);

// A video frame is processed as an unsplit image with size.longest_edge =
// video_sampling.video_size (one square tile per frame, v4.51.3 semantics).
ProcessedImage process_video_frame(const RgbImage& frame, const ImageProcessorConfig& config);

}  // namespace prism::vision
