#include "models/siglip.h"

#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "models/attention.h"

namespace prism::models {

using tensor::Tensor;

Tensor SiglipEncoder::embed(kernels::ThreadPool& pool, const float* tile, std::int64_t height,
                            std::int64_t width) const {
  const std::int64_t p = config_.patch_size, side = config_.patches_per_side(), c = config_.num_channels;
  const std::int64_t hidden = config_.hidden_size, patch_len = c * p * p;
  // im2col in the conv weight's order (channel, ky, kx); the "valid" conv
  // ignores pixels past side·p.
  Tensor cols({side * side, patch_len});
  for (std::int64_t py = 0; py < side; ++py)
    for (std::int64_t px = 0; px < side; ++px) {
      float* dst = cols.row(py * side + px);
      for (std::int64_t ch = 0; ch < c; ++ch)
        for (std::int64_t ky = 0; ky < p; ++ky) {
          const float* src = tile + (ch * height + py * p + ky) * width + px * p;
          for (std::int64_t kx = 0; kx < p; ++kx) *dst++ = src[kx];
        }
    }
  Tensor out({side * side, hidden});
  kernels::matmul(pool, cols.data(), side * side, w_.patch_embedding_w, w_.patch_embedding_b.data(), out.data());
  // Full tiles: position ids 0..P-1 (the patch attention mask is all ones).
  std::vector<float> pos(static_cast<std::size_t>(hidden));
  for (std::int64_t i = 0; i < side * side; ++i) {
    w_.position_embedding.row_to_f32(i, pos.data());
    kernels::add(out.row(i), pos.data(), hidden);
  }
  return out;
}

void SiglipEncoder::encode(kernels::ThreadPool& pool, Tensor& x) const {
  const std::int64_t n = x.dim(0), hidden = config_.hidden_size, inter = config_.intermediate_size;
  const float eps = config_.layer_norm_eps;
  Tensor normed({n, hidden}), q({n, hidden}), k({n, hidden}), v({n, hidden}), attn({n, hidden}), proj({n, hidden});
  Tensor mlp({n, inter});
  AttentionShape shape;
  shape.queries = shape.keys = n;
  shape.heads = shape.kv_heads = config_.num_attention_heads;
  shape.head_dim = config_.head_dim();
  shape.q_stride = shape.kv_stride = shape.out_stride = hidden;

  for (const auto& l : w_.layers) {
    for (std::int64_t i = 0; i < n; ++i)
      kernels::layer_norm(x.row(i), l.layer_norm1_w.data(), l.layer_norm1_b.data(), hidden, eps, normed.row(i));
    kernels::matmul(pool, normed.data(), n, l.q_w, l.q_b.data(), q.data());
    kernels::matmul(pool, normed.data(), n, l.k_w, l.k_b.data(), k.data());
    kernels::matmul(pool, normed.data(), n, l.v_w, l.v_b.data(), v.data());
    attention(pool, shape, q.data(), k.data(), v.data(), attn.data());
    kernels::matmul(pool, attn.data(), n, l.out_w, l.out_b.data(), proj.data());
    kernels::add(x.data(), proj.data(), n * hidden);

    for (std::int64_t i = 0; i < n; ++i)
      kernels::layer_norm(x.row(i), l.layer_norm2_w.data(), l.layer_norm2_b.data(), hidden, eps, normed.row(i));
    kernels::matmul(pool, normed.data(), n, l.fc1_w, l.fc1_b.data(), mlp.data());
    kernels::gelu_tanh(mlp.data(), n * inter);
    kernels::matmul(pool, mlp.data(), n, l.fc2_w, l.fc2_b.data(), proj.data());
    kernels::add(x.data(), proj.data(), n * hidden);
  }
  for (std::int64_t i = 0; i < n; ++i)
    kernels::layer_norm(x.row(i), w_.post_layernorm_w.data(), w_.post_layernorm_b.data(), hidden, eps, x.row(i));
}

}  // namespace prism::models
