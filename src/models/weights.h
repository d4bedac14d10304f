// The weights of a SmolVLM checkpoint, bound to the layers that use them.
// Every tensor name appears once, in the table in weights.cpp; binding checks
// each tensor's shape against config.json and reports the file and tensor.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "formats/hf_config.h"
#include "formats/safetensors.h"
#include "tensor/tensor.h"

namespace prism::models {

// A matrix left in the checkpoint's mapping (or a copy when misaligned).
using Matrix = tensor::MatrixView;
// A vector (norm weights, biases), always converted to float32 at load.
using Vector = std::vector<float>;

struct VisionLayerWeights {
  Vector layer_norm1_w, layer_norm1_b, layer_norm2_w, layer_norm2_b;
  Matrix q_w, k_w, v_w, out_w, fc1_w, fc2_w;
  Vector q_b, k_b, v_b, out_b, fc1_b, fc2_b;
};

struct VisionWeights {
  Matrix patch_embedding_w;  // conv [hidden, 3, p, p] viewed as [hidden, 3·p·p]
  Vector patch_embedding_b;
  Matrix position_embedding;  // [num_patches, hidden]
  std::vector<VisionLayerWeights> layers;
  Vector post_layernorm_w, post_layernorm_b;
};

struct TextLayerWeights {
  Vector input_layernorm, post_attention_layernorm;
  Matrix q_w, k_w, v_w, o_w, gate_w, up_w, down_w;

  // The seven matrices, for code that treats them alike (re-storing,
  // counting bytes read per token).
  std::array<Matrix*, 7> matrices() { return {&q_w, &k_w, &v_w, &o_w, &gate_w, &up_w, &down_w}; }
  std::array<const Matrix*, 7> matrices() const { return {&q_w, &k_w, &v_w, &o_w, &gate_w, &up_w, &down_w}; }
};

struct TextWeights {
  Matrix embed_tokens;  // [vocab, hidden]
  std::vector<TextLayerWeights> layers;
  Vector norm;
  Matrix lm_head;  // [vocab, hidden]; the embedding matrix when tied
};

struct SmolVlmWeights {
  VisionWeights vision;
  Matrix connector_proj;  // [text_hidden, vision_hidden · scale²], no bias
  TextWeights text;

  // Keeps the mapped files (and copies of misaligned or converted tensors) alive.
  std::unique_ptr<formats::SafetensorsCheckpoint> checkpoint;
  std::vector<std::shared_ptr<const void>> files;  // other sources' mappings (GGUF)
  std::vector<std::unique_ptr<std::byte[]>> owned;
};

// Every tensor a checkpoint with this config must hold, with its shape, in
// table order (lm_head.weight only when the embeddings are not tied).
struct ExpectedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
};
std::vector<ExpectedTensor> expected_tensors(const formats::SmolVlmConfig& config);

// Binds every tensor of the table; throws prism::Error naming the tensor and
// file on a missing tensor or a shape that disagrees with the config.
SmolVlmWeights bind_weights(std::unique_ptr<formats::SafetensorsCheckpoint> checkpoint,
                            const formats::SmolVlmConfig& config);

// A tensor in one of the engine's dtypes, found by its Hugging Face name, for
// sources other than safetensors (GGUF). `data` must outlive the weights
// (keep its owner in SmolVlmWeights::files or ::owned).
struct SourceTensor {
  formats::DType dtype = formats::DType::F32;
  std::vector<std::int64_t> shape;
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;
  std::string where;  // "FILE: tensor 'NAME'" for errors
  std::string shape_source;  // what implied the expected shape ("the GGUF metadata")
};
// Throws prism::Error naming the file and tensor when it is missing.
using TensorSource = std::function<SourceTensor(const std::string& hf_name)>;

// Binds the table through `source` into `w` (which already keeps the source
// alive). include_vision false binds the text decoder only (a text GGUF
// without its mmproj).
void bind_weights(SmolVlmWeights& w, const TensorSource& source, const formats::SmolVlmConfig& config,
                  bool include_vision);

}  // namespace prism::models
