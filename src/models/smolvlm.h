// SmolVLM assembled: vision encoder -> connector -> image features merged at
// the <image> token positions -> Llama decoder. Loads a Hugging Face
// checkpoint folder (config.json + safetensors) and owns the thread pool its
// kernels run on.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "formats/hf_config.h"
#include "kernels/thread_pool.h"
#include "models/kv_cache.h"
#include "models/llama.h"
#include "models/siglip.h"
#include "models/weights.h"
#include "tensor/tensor.h"

namespace prism::models {

class SmolVlmModel {
 public:
  // Throws prism::Error naming the file and problem on a broken checkpoint.
  // text_weights: re-store the text decoder's matrices in that format
  // (weight_quantization.h); nullopt keeps the checkpoint's dtype.
  static std::unique_ptr<SmolVlmModel> load(const std::filesystem::path& dir, int threads,
                                            std::optional<formats::DType> text_weights = std::nullopt);
  // The same model from a text GGUF and an optional mmproj GGUF (gguf_source.h);
  // without the mmproj, encode_images refuses images.
  static std::unique_ptr<SmolVlmModel> load_gguf(const std::filesystem::path& text_gguf,
                                                 const std::optional<std::filesystem::path>& mmproj_gguf, int threads,
                                                 std::optional<formats::DType> text_weights = std::nullopt);
  bool has_vision() const { return !weights_.vision.layers.empty(); }

  const formats::SmolVlmConfig& config() const { return config_; }
  const SmolVlmWeights& weights() const { return weights_; }
  kernels::ThreadPool& pool() const { return *pool_; }
  const SiglipEncoder& vision() const { return vision_; }
  const LlamaDecoder& text() const { return text_; }

  // pixel_values [tiles, 3, H, W] -> vision last hidden [tiles, P, vision_hidden].
  tensor::Tensor encode_images(const float* pixel_values, std::int64_t tiles, std::int64_t height,
                               std::int64_t width) const;
  // vision last hidden [tiles, P, vh] -> connector output [tiles, image_seq_len, text_hidden].
  tensor::Tensor connect(const tensor::Tensor& vision_hidden) const;

  // Token embeddings with every <image> token replaced, in order, by the rows
  // of `image_features` [tiles, seq, hidden] (may be empty when no images).
  // Throws prism::InvalidInput when the counts disagree.
  tensor::Tensor embed_prompt(const std::vector<std::int32_t>& ids, const tensor::Tensor* image_features) const;

  KvCache make_cache() const { return text_.make_cache(); }

 private:
  SmolVlmModel(formats::SmolVlmConfig config, SmolVlmWeights weights, int threads);
  static std::unique_ptr<SmolVlmModel> finish(formats::SmolVlmConfig config, SmolVlmWeights weights, int threads,
                                              std::optional<formats::DType> text_weights);

  formats::SmolVlmConfig config_;
  SmolVlmWeights weights_;
  std::unique_ptr<kernels::ThreadPool> pool_;
  SiglipEncoder vision_;
  LlamaDecoder text_;
};

// Parameter counts per part (for `prism inspect`).
struct ParameterCounts {
  std::int64_t vision = 0, connector = 0, text = 0, lm_head = 0;  // lm_head 0 when tied
};
ParameterCounts count_parameters(const formats::SmolVlmConfig& c);

}  // namespace prism::models
