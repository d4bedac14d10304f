// Video decoding with FFmpeg's libraries and SmolVLM's frame sampling, as
// transformers v4.51.3 reads videos through PyAV:
//   total_frames = the first video stream's frame count from the container
//                  header (AVStream.nb_frames),
//   fps          = its average frame rate (AVStream.avg_frame_rate),
//   duration     = total_frames / fps,
// indices from sample_frame_indices, frames counted in decoding order from
// the start, each converted to rgb24 with swscale's defaults (bilinear, BT.601,
// range from the pixel format), like PyAV's frame.to_ndarray(format="rgb24").
//
// Where PyAV would fail we go on sensibly: containers without a frame count
// in their header get it by counting the stream's packets, and a missing
// average rate falls back to FFmpeg's guessed frame rate. Indices past the
// frames actually decodable are dropped (PyAV returns fewer frames too).
// Unreadable files, no video stream, no decodable frame, zero duration and
// sizes over the limits throw prism::InvalidInput naming the source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "vision/image_processor_config.h"
#include "vision/rgb_image.h"

namespace prism::vision {

struct VideoLimits {
  std::size_t max_bytes = std::size_t{1} << 30;      // encoded input (in-memory input and files)
  std::int64_t max_frame_pixels = 16LL * 1024 * 1024;  // width * height of one frame
  int max_sampled_frames = 1024;                     // frames kept after sampling
  std::int64_t max_sampled_pixels = 512LL * 1024 * 1024;  // kept frames x frame pixels (3 bytes each)
  std::int64_t max_total_frames = 10'000'000;        // declared or counted frame count
};

struct VideoInfo {
  int total_frames = 0;
  double fps = 0;
  double duration_s = 0;
  int width = 0, height = 0;
  bool frame_count_from_header = true;  // false: counted by demuxing
};

struct VideoSample {
  std::vector<RgbImage> frames;
  std::vector<int> frame_indices;
  std::vector<double> timestamps_s;  // index / fps
  int total_frames = 0;
  double fps = 0;
  double duration_s = 0;
};

VideoInfo probe_video(const std::filesystem::path& path, const VideoLimits& limits = {});

VideoSample sample_video(const std::filesystem::path& path, const VideoSamplingConfig& sampling,
                         const VideoLimits& limits = {});

// From bytes in memory (e.g. a data URL); `source_name` names it in errors.
VideoSample sample_video(std::span<const std::uint8_t> bytes, std::string_view source_name,
                         const VideoSamplingConfig& sampling, const VideoLimits& limits = {});

}  // namespace prism::vision
