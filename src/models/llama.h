// The Llama-style text decoder of SmolVLM (SmolLM2): RMSNorm, RoPE with the
// checkpoint's theta, grouped-query attention over a KV cache, SiLU MLP,
// final norm and a tied or untied output head.
#pragma once

#include <vector>

#include "formats/hf_config.h"
#include "kernels/thread_pool.h"
#include "models/kv_cache.h"
#include "models/weights.h"
#include "tensor/tensor.h"

namespace prism::models {

class LlamaDecoder {
 public:
  LlamaDecoder(const formats::TextConfig& config, const TextWeights& weights);

  KvCache make_cache() const;

  // Embedding rows of `ids`: [n, hidden]. Throws prism::InvalidInput on an
  // id outside the vocabulary.
  tensor::Tensor embed(const std::int32_t* ids, std::int64_t n) const;

  // Runs `embeds` [T, hidden] at positions cache.length() .. +T-1, appends
  // their keys/values to the cache and returns the final-normed hidden
  // states [T, hidden]. One row after the first call is a decode token,
  // anything else prompt positions.
  tensor::Tensor forward(kernels::ThreadPool& pool, const tensor::Tensor& embeds, KvCache& cache) const;

  // The same for several sequences at once: `embeds` rows are split among
  // `slices` (each row in exactly one), every matrix is applied to all rows
  // together (its weights read once for the batch), and each slice's
  // attention runs over its own blocks of `storage`, where its new keys and
  // values are written. The first `decode_rows` rows are decode tokens (one
  // per slice), the rest prompt positions: each kind keeps its own kernels
  // (kernels::MatmulRows), so a row's result is the one it gets alone.
  tensor::Tensor forward_batch(kernels::ThreadPool& pool, const tensor::Tensor& embeds,
                               const std::vector<SequenceSlice>& slices, KvBlockStorage& storage,
                               std::int64_t decode_rows) const;

  // logits [m, vocab] of m hidden rows (with the decode kernels, as for one row).
  void logits(kernels::ThreadPool& pool, const float* hidden, std::int64_t m, float* out) const;

 private:
  const formats::TextConfig& config_;
  const TextWeights& w_;
  std::vector<float> inv_freq_;  // RoPE frequencies, float32 as transformers computes them
};

}  // namespace prism::models
