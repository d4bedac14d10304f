#include "models/llama.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "models/attention.h"

namespace prism::models {

using tensor::Tensor;

LlamaDecoder::LlamaDecoder(const formats::TextConfig& config, const TextWeights& weights)
    : config_(config), w_(weights) {
  // transformers: inv_freq = 1 / (theta ** (arange(0, dim, 2).float() / dim)), in float32.
  const int dim = config.head_dim;
  for (int i = 0; i < dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(dim);
    inv_freq_.push_back(1.0f / std::pow(static_cast<float>(config.rope_theta), exponent));
  }
}

KvCache LlamaDecoder::make_cache() const {
  return KvCache(config_.num_hidden_layers, std::int64_t{config_.num_key_value_heads} * config_.head_dim);
}

Tensor LlamaDecoder::embed(const std::int32_t* ids, std::int64_t n) const {
  Tensor out({n, config_.hidden_size});
  for (std::int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= config_.vocab_size)
      throw InvalidInput("token id " + std::to_string(ids[i]) + " is outside the vocabulary (size " +
                         std::to_string(config_.vocab_size) + ")");
    w_.embed_tokens.row_to_f32(ids[i], out.row(i));
  }
  return out;
}

Tensor LlamaDecoder::forward(kernels::ThreadPool& pool, const Tensor& embeds, KvCache& cache) const {
  const std::int64_t t = embeds.dim(0), start = cache.length();
  if (start + t > cache.capacity()) cache.reserve(std::max(start + t, cache.capacity() * 2));
  Tensor out = forward_batch(pool, embeds, {SequenceSlice{0, t, start, cache.block_table()}}, cache.storage(),
                             t == 1 && start > 0 ? 1 : 0);
  cache.set_length(start + t);
  return out;
}

Tensor LlamaDecoder::forward_batch(kernels::ThreadPool& pool, const Tensor& embeds,
                                   const std::vector<SequenceSlice>& slices, KvBlockStorage& storage,
                                   std::int64_t decode_rows) const {
  const std::int64_t t = embeds.dim(0), hidden = config_.hidden_size, hd = config_.head_dim;
  const std::int64_t heads = config_.num_attention_heads, kv_heads = config_.num_key_value_heads;
  const std::int64_t q_dim = heads * hd, kv_dim = kv_heads * hd, inter = config_.intermediate_size;

  // Each row's position, and cos/sin per row (float32 like transformers' rotary embedding).
  const std::int64_t half = hd / 2;
  std::vector<std::int64_t> position(static_cast<std::size_t>(t), -1);
  for (const auto& s : slices)
    for (std::int64_t i = 0; i < s.rows; ++i) position[static_cast<std::size_t>(s.first_row + i)] = s.start + i;
  std::vector<float> cos(static_cast<std::size_t>(t * half)), sin(cos.size());
  for (std::int64_t i = 0; i < t; ++i) {
    if (position[static_cast<std::size_t>(i)] < 0) throw Error("forward_batch: row " + std::to_string(i) + " has no sequence");
    for (std::int64_t f = 0; f < half; ++f) {
      const float angle = static_cast<float>(position[static_cast<std::size_t>(i)]) * inv_freq_[f];
      cos[i * half + f] = std::cos(angle);
      sin[i * half + f] = std::sin(angle);
    }
  }

  Tensor x = embeds;
  Tensor normed({t, hidden}), q({t, q_dim}), k({t, kv_dim}), v({t, kv_dim}), attn({t, q_dim}), proj({t, hidden});
  Tensor gate({t, inter}), up({t, inter});
  std::vector<AttentionJob> jobs;
  for (const auto& s : slices) {
    AttentionJob job;
    job.shape.queries = s.rows;
    job.shape.keys = s.start + s.rows;
    job.shape.heads = heads;
    job.shape.kv_heads = kv_heads;
    job.shape.head_dim = hd;
    job.shape.q_stride = job.shape.out_stride = q_dim;
    job.shape.kv_stride = kv_dim;
    job.shape.causal = true;
    job.shape.first_query_pos = s.start;
    job.q = q.row(s.first_row);
    job.out = attn.row(s.first_row);
    job.kv.blocks = s.blocks;
    job.kv.block_floats = storage.block_floats();
    job.prompt_rows = s.first_row >= decode_rows;
    jobs.push_back(job);
  }
  // y = x · Wᵀ for every row: decode rows and prompt rows each with their kernels.
  const std::int64_t d = std::clamp<std::int64_t>(decode_rows, 0, t);
  auto linear = [&](const Tensor& in, const tensor::MatrixView& w, Tensor& out) {
    const std::int64_t cols = in.dim(1), n = out.dim(1);
    kernels::matmul_rows(pool, in.data(), d, w, nullptr, out.data(), kernels::MatmulRows::decode);
    kernels::matmul_rows(pool, in.data() + d * cols, t - d, w, nullptr, out.data() + d * n, kernels::MatmulRows::prompt);
  };

  for (int l = 0; l < config_.num_hidden_layers; ++l) {
    const auto& lw = w_.layers[l];
    for (std::int64_t i = 0; i < t; ++i)
      kernels::rms_norm(x.row(i), lw.input_layernorm.data(), hidden, config_.rms_norm_eps, normed.row(i));
    linear(normed, lw.q_w, q);
    linear(normed, lw.k_w, k);
    linear(normed, lw.v_w, v);
    for (std::int64_t i = 0; i < t; ++i) {
      for (std::int64_t h = 0; h < heads; ++h)
        kernels::rope_rotate_half(q.row(i) + h * hd, &cos[i * half], &sin[i * half], hd);
      for (std::int64_t h = 0; h < kv_heads; ++h)
        kernels::rope_rotate_half(k.row(i) + h * hd, &cos[i * half], &sin[i * half], hd);
    }
    // The new rows' keys and values into their sequences' blocks.
    for (const auto& s : slices)
      for (std::int64_t i = 0; i < s.rows; ++i) {
        const std::int64_t pos = s.start + i;
        float* dst = storage.keys(s.blocks[pos / kKvBlockSize], l) + (pos % kKvBlockSize) * kv_dim;
        std::copy_n(k.row(s.first_row + i), kv_dim, dst);
        std::copy_n(v.row(s.first_row + i), kv_dim, dst + storage.value_offset());
      }
    for (auto& job : jobs) {
      job.kv.keys = storage.keys(0, l);
      job.kv.values = job.kv.keys + storage.value_offset();
    }
    attention(pool, jobs);
    linear(attn, lw.o_w, proj);
    kernels::add(x.data(), proj.data(), t * hidden);

    for (std::int64_t i = 0; i < t; ++i)
      kernels::rms_norm(x.row(i), lw.post_attention_layernorm.data(), hidden, config_.rms_norm_eps, normed.row(i));
    linear(normed, lw.gate_w, gate);
    linear(normed, lw.up_w, up);
    kernels::silu_mul(gate.data(), up.data(), t * inter);
    linear(gate, lw.down_w, proj);
    kernels::add(x.data(), proj.data(), t * hidden);
  }
  for (std::int64_t i = 0; i < t; ++i)
    kernels::rms_norm(x.row(i), w_.norm.data(), hidden, config_.rms_norm_eps, x.row(i));
  return x;
}

void LlamaDecoder::logits(kernels::ThreadPool& pool, const float* hidden, std::int64_t m, float* out) const {
  kernels::matmul_rows(pool, hidden, m, w_.lm_head, nullptr, out, kernels::MatmulRows::decode);
}

}  // namespace prism::models
