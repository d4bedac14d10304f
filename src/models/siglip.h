// SigLIP vision encoder as SmolVLM uses it: a "valid" patch convolution with
// stride = patch size, learned position embeddings, pre-norm transformer
// blocks with a gelu-tanh MLP, and a final post_layernorm.
#pragma once

#include "formats/hf_config.h"
#include "kernels/thread_pool.h"
#include "models/weights.h"
#include "tensor/tensor.h"

namespace prism::models {

class SiglipEncoder {
 public:
  SiglipEncoder(const formats::VisionConfig& config, const VisionWeights& weights)
      : config_(config), w_(weights) {}

  // Patch embedding + position embedding of one tile [3, H, W] with
  // H, W >= patches_per_side · patch_size. Returns [num_patches, hidden].
  tensor::Tensor embed(kernels::ThreadPool& pool, const float* tile, std::int64_t height, std::int64_t width) const;

  // Runs the encoder layers and post_layernorm over embeddings [P, hidden], in place.
  void encode(kernels::ThreadPool& pool, tensor::Tensor& hidden) const;

 private:
  const formats::VisionConfig& config_;
  const VisionWeights& w_;
};

}  // namespace prism::models
