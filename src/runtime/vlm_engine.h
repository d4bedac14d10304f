// The local SmolVLM engine: a checkpoint folder in, chat messages with images
// and videos in, streamed text out. Requests are batched: each becomes a
// sequence of the model's batching engine (batch_engine.h), and the image
// tiles it has seen before come from the image-encoding cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/hf_config.h"
#include "models/smolvlm.h"
#include "runtime/batch_engine.h"
#include "runtime/generation.h"
#include "runtime/image_feature_cache.h"
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
  std::size_t reused_prompt_tokens = 0;  // taken from the prefix cache
  std::string finish_reason;  // "stop" | "length" | "cancelled"
  std::vector<float> prompt_last_logits;  // logits at the last prompt position (conformance)
  // A sequence the engine could not finish (submit's callback only; generate throws instead).
  std::optional<std::string> error;
  bool invalid_input = false, overloaded = false;
  std::chrono::milliseconds retry_after{0};
  double queue_ms = 0;
};

// How a loaded engine serves many requests.
struct ServingSettings {
  BatchEngineSettings batch;
  std::size_t image_cache_bytes = std::size_t{256} << 20;
};

struct SubmitOptions {
  Priority priority = Priority::interactive;
  std::chrono::milliseconds queue_timeout{30000};
  bool keep_prompt_logits = true;  // GenerationResult::prompt_last_logits (conformance)
};

struct ServingStats {
  BatchEngineStats batch;
  ImageFeatureCacheStats images;
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
                                         const std::optional<std::filesystem::path>& mmproj = std::nullopt,
                                         const ServingSettings& serving = {});
  ~VlmEngine();

  // messages: OpenAI chat messages (content a string or parts: text,
  // image_url {url: data URL | file:// | path}, video_url). on_delta
  // receives text as it is produced; returning false cancels.
  // Bad input (undecodable media, disallowed path, prompt longer than the
  // context) throws prism::InvalidInput; no capacity throws prism::Overloaded.
  GenerationResult generate(const nlohmann::json& messages, const GenerationParams& params, const MediaPolicy& policy,
                            const std::function<bool(std::string_view)>& on_delta,
                            const SubmitOptions& options = {});

  // The same without waiting: the prompt is built (media decoded, tiles
  // hashed) on this thread, then the sequence joins the batch; on_delta and
  // on_done run on the engine's thread, on_done exactly once. Throws
  // prism::InvalidInput before queueing anything.
  std::shared_ptr<SequenceHandle> submit(const nlohmann::json& messages, const GenerationParams& params,
                                         const MediaPolicy& policy, const SubmitOptions& options,
                                         std::function<bool(std::string_view)> on_delta,
                                         std::function<void(GenerationResult)> on_done);

  ServingStats serving_stats() const;

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
  std::unique_ptr<ImageFeatureCache> image_cache_;
  std::unique_ptr<BatchEngine> batch_;  // last: its thread stops before the rest goes
};

}  // namespace prism::runtime
