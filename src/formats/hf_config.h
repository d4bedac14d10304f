// The Hugging Face config.json of a SmolVLM checkpoint (model_type "smolvlm":
// SigLIP vision tower, pixel-shuffle connector, Llama text decoder) and its
// generation_config.json.
//
// Keys that fix tensor shapes are required: a missing one is an error naming
// the key. Keys that save_pretrained omits because they equal the class
// default take the transformers v4.51 default of LlamaConfig /
// SmolVLMVisionConfig / SmolVLMConfig; each default is written next to its key
// in hf_config.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace prism::formats {

struct VisionConfig {
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int num_channels = 3;
  int image_size = 0;
  int patch_size = 0;
  float layer_norm_eps = 1e-6f;
  std::string hidden_act;  // only gelu_pytorch_tanh is supported

  int patches_per_side() const { return image_size / patch_size; }  // "valid" conv drops the border
  int num_patches() const { return patches_per_side() * patches_per_side(); }
  int head_dim() const { return hidden_size / num_attention_heads; }
};

struct TextConfig {
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int num_key_value_heads = 0;
  int head_dim = 0;
  int vocab_size = 0;
  int max_position_embeddings = 0;
  float rms_norm_eps = 1e-6f;
  double rope_theta = 10000.0;
  bool tie_word_embeddings = false;
  std::string hidden_act;  // only silu is supported
};

struct SmolVlmConfig {
  std::string model_type;
  VisionConfig vision;
  TextConfig text;
  int scale_factor = 2;
  std::int32_t image_token_id = 0;

  // Tokens each image tile turns into after the pixel shuffle.
  int image_seq_len() const {
    return vision.num_patches() / (scale_factor * scale_factor);
  }
};

// Throws prism::Error naming the file and key on anything missing, mistyped
// or unsupported (architecture, activation, rope scaling).
SmolVlmConfig load_smolvlm_config(const std::filesystem::path& config_json);

struct GenerationConfig {
  std::vector<std::int32_t> eos_token_ids;
  std::optional<std::int32_t> bos_token_id;
  std::optional<std::int32_t> pad_token_id;
  // Sampling defaults the checkpoint suggests (absent when it says nothing).
  std::optional<bool> do_sample;
  std::optional<float> temperature, top_p, repetition_penalty;
  std::optional<int> top_k;
};

// A missing file yields an empty config (no EOS); a present but broken one
// throws prism::Error naming the file and key.
GenerationConfig load_generation_config(const std::filesystem::path& generation_config_json);

}  // namespace prism::formats
