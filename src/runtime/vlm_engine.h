// The local SmolVLM engine: a checkpoint folder in, chat messages with images
// and videos in, streamed text out. One request at a time per engine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/hf_config.h"
#include "models/smolvlm.h"
#include "runtime/generation.h"
#include "runtime/media_source.h"
#include "runtime/prompt_builder.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "vision/image_processor_config.h"

namespace prism::runtime {

struct GenerationParams {
  int max_tokens = 256;
  float temperature = 0;  // 0 = greedy
  int top_k = 0;
  float top_p = 1;
  float min_p = 0;
  float repetition_penalty = 1;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> stop;
  bool do_image_splitting = true;
  // Chat answers leave out special tokens; conformance runs keep them.
  bool skip_special_tokens = false;
};

struct GenerationResult {
  std::string prompt;  // after the chat template and <image> expansion
  std::vector<std::int32_t> input_ids, output_ids;
  std::string text;           // the final EOS left out, cut before a stop string
  std::size_t reused_prompt_tokens = 0;  // taken from the previous request's KV cache
  std::string finish_reason;  // "stop" | "length" | "cancelled"
  std::vector<float> prompt_last_logits;  // logits at the last prompt position (conformance)
};

class VlmEngine {
 public:
  // Throws prism::Error naming the file and problem for a broken checkpoint.
  // text_weights: the text decoder re-stored in that format at load
  // (models/weight_quantization.h); nullopt keeps the checkpoint's dtype.
  // checkpoint_dir may also name GGUF files (runtime/model_files.h): the
  // text model .gguf (mmproj: its vision file, found beside it when not
  // given); the tokenizer, chat template, processor and generation settings
  // come from the checkpoint's files in the folder beside it where present,
  // else from the GGUF metadata (runtime/gguf_side_files.h).
  static std::unique_ptr<VlmEngine> load(const std::filesystem::path& checkpoint_dir, int threads,
                                         std::optional<formats::DType> text_weights = std::nullopt,
                                         const std::optional<std::filesystem::path>& mmproj = std::nullopt);

  // messages: OpenAI chat messages (content a string or parts: text,
  // image_url {url: data URL | file:// | path}, video_url). on_delta
  // receives text as it is produced; returning false cancels.
  // Bad input (undecodable media, disallowed path, prompt longer than the
  // context) throws prism::InvalidInput.
  GenerationResult generate(const nlohmann::json& messages, const GenerationParams& params, const MediaPolicy& policy,
                            const std::function<bool(std::string_view)>& on_delta);

  int context_window() const;
  std::string name() const;  // checkpoint folder name (GGUF: the text file's stem)
  std::size_t estimate_prompt_tokens(const nlohmann::json& messages) const;

  const models::SmolVlmModel& model() const { return *model_; }
  const tokenizer::Tokenizer& tokenizer() const { return tokenizer_; }
  const vision::ImageProcessorConfig& processor() const { return processor_; }
  const formats::GenerationConfig& generation_config() const { return generation_config_; }
  const std::vector<std::int32_t>& eos_token_ids() const { return eos_ids_; }

 private:
  VlmEngine(std::filesystem::path dir, std::unique_ptr<models::SmolVlmModel> model, tokenizer::Tokenizer tokenizer,
            tokenizer::ChatTemplate chat_template, vision::ImageProcessorConfig processor,
            vision::ImagePromptTokens image_tokens, formats::GenerationConfig generation_config);

  std::filesystem::path dir_;
  std::unique_ptr<models::SmolVlmModel> model_;
  tokenizer::Tokenizer tokenizer_;
  tokenizer::ChatTemplate chat_template_;
  vision::ImageProcessorConfig processor_;
  formats::GenerationConfig generation_config_;
  std::vector<std::int32_t> eos_ids_;
  PromptBuilder prompt_builder_;
  std::mutex busy_;
  PrefixCache prefix_cache_;  // guarded by busy_
};

}  // namespace prism::runtime
