// Random-weight checkpoints with the real SmolVLM2 shapes (256M, 500M, 2.2B),
// written in the Hugging Face layout (config.json, safetensors with the real
// tensor names, tokenizer and processor files, chat template), for benchmarks.
// The tokenizer is real-shaped (49280 ids, the real special-token block) but
// its merges are arbitrary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "formats/dtype.h"
#include "formats/hf_config.h"

namespace prism::models {

struct CheckpointShape {
  std::string name;  // "256M", "500M", "2.2B"
  formats::SmolVlmConfig config;
  int longest_edge = 0;    // preprocessor size.longest_edge
  int max_image_size = 0;  // preprocessor max_image_size.longest_edge (= vision image_size)
};

// The known shapes; throws prism::Error listing them for an unknown name.
CheckpointShape checkpoint_shape(const std::string& name);
std::vector<std::string> checkpoint_shape_names();

struct RandomCheckpointOptions {
  formats::DType dtype = formats::DType::F32;
  std::uint64_t seed = 0;
  std::uint64_t max_shard_bytes = 4ull << 30;  // larger checkpoints get shards + index, like save_pretrained
  std::function<void(double fraction)> progress;  // optional
};

// Writes every file into `dir` (created if needed).
void write_random_checkpoint(const CheckpointShape& shape, const std::filesystem::path& dir,
                             const RandomCheckpointOptions& options);

}  // namespace prism::models
