// Turns OpenAI-shaped chat messages into what the model eats, as
// SmolVLMProcessor.apply_chat_template does (transformers v4.51.3):
//   1. content parts become the template's parts ({"type": "text"} /
//      {"type": "image"}); a video becomes intro text, one label + image per
//      sampled frame, and outro text;
//   2. the checkpoint's chat template renders the prompt;
//   3. each <image> is expanded into the tile/row/column token sequence;
//   4. the tokenizer encodes it, and the images' tiles are stacked.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/media_source.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "vision/image_processor_config.h"
#include "vision/image_prompt.h"

namespace prism::runtime {

struct PreparedPrompt {
  std::string prompt_after_template;
  std::string prompt;  // after <image> expansion: the text handed to the tokenizer
  std::vector<std::int32_t> input_ids;
  std::vector<float> pixel_values;  // [tiles, 3, tile_size, tile_size], images in prompt order
  int num_tiles = 0;
  int tile_size = 0;
  int num_images = 0;  // images, video frames counted one each
};

class PromptBuilder {
 public:
  PromptBuilder(const tokenizer::Tokenizer& tokenizer, const tokenizer::ChatTemplate& chat_template,
                const vision::ImageProcessorConfig& processor, vision::ImagePromptTokens image_tokens);

  // Throws prism::InvalidInput on malformed messages or media (naming the
  // message and part), prism::Error when the checkpoint cannot serve them.
  PreparedPrompt build(const nlohmann::json& messages, const MediaPolicy& policy, bool do_image_splitting) const;

  // Token count without decoding any media: text tokens plus an upper bound
  // for each image (full split) or video (max frames).
  std::size_t estimate_tokens(const nlohmann::json& messages) const;

 private:
  const tokenizer::Tokenizer& tokenizer_;
  const tokenizer::ChatTemplate& template_;
  const vision::ImageProcessorConfig& processor_;
  vision::ImagePromptTokens image_tokens_;
};

}  // namespace prism::runtime
