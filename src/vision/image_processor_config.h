// The SmolVLM / Idefics3 image processor settings of a checkpoint folder.
//
// Read from `preprocessor_config.json` (SmolVLMImageProcessor) plus
// `processor_config.json`'s `image_seq_len`; newer checkpoints may instead
// embed the image processor settings as `processor_config.json`'s
// "image_processor" section, and the video settings in a "video_processor"
// section or a `video_preprocessor_config.json` (its `video_sampling`).
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace prism::vision {

// `video_sampling` of the preprocessor config (SmolVLM2).
struct VideoSamplingConfig {
  double fps = 1.0;           // target frames per second of video
  int max_frames = 64;        // at most this many frames are sampled
  int video_longest_edge = 512;  // frames are resized with this as `size.longest_edge`
  double skip_secs = 1.0;     // seconds skipped at both ends of long videos (v4.51.3: 1)
};

struct ImageProcessorConfig {
  bool do_resize = true;
  int longest_edge = 0;  // size.longest_edge: first resize target of the longest side
  bool do_image_splitting = true;
  int max_image_size = 0;  // max_image_size.longest_edge: the square tile side
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<float, 3> image_mean{};  // float32, as numpy casts them to the image dtype
  std::array<float, 3> image_std{};
  int image_seq_len = 0;  // <image> tokens per tile (processor_config.json)
  std::optional<VideoSamplingConfig> video_sampling;
};

// Loads the checkpoint folder's processor settings. Throws prism::Error naming
// the file and key when a required key is missing or has the wrong type:
// size.longest_edge, max_image_size.longest_edge, image_mean, image_std,
// rescale_factor (when do_rescale), image_seq_len, and within video_sampling
// fps, max_frames and video_size.longest_edge. Flags missing from the file take
// the SmolVLMImageProcessor defaults (all true). Only resample = 1 (LANCZOS)
// is supported.
ImageProcessorConfig load_image_processor_config(const std::filesystem::path& checkpoint_dir);

// The same from already-parsed documents; the names are only used in messages.
// `image_processor` holds the SmolVLMImageProcessor keys, `processor` the
// processor_config.json document (image_seq_len, optional video_processor).
ImageProcessorConfig parse_image_processor_config(const nlohmann::json& image_processor,
                                                  const std::string& image_processor_source,
                                                  const nlohmann::json& processor,
                                                  const std::string& processor_source);

}  // namespace prism::vision
