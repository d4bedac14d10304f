// How llama.cpp's converter (convert_hf_to_gguf.py) names SmolVLM2 weights,
// so a loader can bind a GGUF to the same layers as the Hugging Face
// checkpoint. Two files: the text model (general.architecture "llama",
// written by LlamaModel) and the mmproj (general.architecture "clip",
// general.type "mmproj", clip.projector_type "idefics3", written by
// SmolVLMModel) with the vision tower and the connector.
//
// Names below carry the ".weight" / ".bias" suffix, which the converter keeps;
// "{N}" stands for the layer index. Both tables are one-to-one (tested).
//
// Text: the converter strips "text_model." (model.text_model.layers.N... ->
// model.layers.N...) and maps with gguf-py's tensor_mapping.py. With tied
// embeddings (SmolVLM2 256M/500M) there is no lm_head and no "output.weight";
// llama.cpp then uses token_embd.weight for the output projection.
//
// Q/K permutation: LlamaModel.permute reorders the ROWS of q_proj / k_proj
// (weights and biases) from Hugging Face's rotate-half rope layout to ggml's
// interleaved-pair layout: per head of head_dim rows, GGUF row 2i+j holds HF
// row j*head_dim/2 + i (i < head_dim/2, j in {0, 1}). q uses
// llama.attention.head_count heads, k uses llama.attention.head_count_kv. A
// loader that applies HF-style (rotate-half) rope must undo it; since whole
// rows move, a quantized tensor is unpermuted by moving its rows' bytes. The
// vision tower is not permuted.
//
// Text metadata (llama.*): context_length, embedding_length, block_count,
// feed_forward_length, attention.head_count, attention.head_count_kv,
// rope.dimension_count, rope.freq_base, attention.layer_norm_rms_epsilon,
// vocab_size; tokenizer.ggml.model ("gpt2"), .pre, .tokens, .token_type,
// .merges, .bos_token_id / .eos_token_id / .padding_token_id,
// .add_bos_token; tokenizer.chat_template.
//
// Mmproj metadata (clip-impl.h): clip.projector_type = "idefics3",
// clip.has_vision_encoder, clip.use_gelu, clip.vision.image_size,
// clip.vision.patch_size, clip.vision.embedding_length,
// clip.vision.feed_forward_length, clip.vision.block_count,
// clip.vision.attention.head_count, clip.vision.attention.layer_norm_epsilon,
// clip.vision.projection_dim (the text hidden size), clip.vision.image_mean,
// clip.vision.image_std, clip.vision.projector.scale_factor (pixel-shuffle
// factor), clip.vision.preproc_image_size (processor longest_edge). The
// converter forces tensors under ".embeddings." (patch and position
// embeddings) to F32.
//
// Shapes: GgufFile reports them row-major (gguf.h), which makes every tensor
// here the same shape as in the HF checkpoint (the patch embedding's conv
// kernel included: [hidden, 3, patch, patch]).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace prism::formats {

struct GgufNamePair {
  std::string_view hf;
  std::string_view gguf;
};

inline constexpr GgufNamePair kSmolVlmTextNames[] = {
    {"model.text_model.embed_tokens.weight", "token_embd.weight"},
    {"model.text_model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},  // absent when embeddings are tied
    {"model.text_model.layers.{N}.input_layernorm.weight", "blk.{N}.attn_norm.weight"},
    {"model.text_model.layers.{N}.self_attn.q_proj.weight", "blk.{N}.attn_q.weight"},  // rows permuted
    {"model.text_model.layers.{N}.self_attn.k_proj.weight", "blk.{N}.attn_k.weight"},  // rows permuted
    {"model.text_model.layers.{N}.self_attn.v_proj.weight", "blk.{N}.attn_v.weight"},
    {"model.text_model.layers.{N}.self_attn.o_proj.weight", "blk.{N}.attn_output.weight"},
    {"model.text_model.layers.{N}.post_attention_layernorm.weight", "blk.{N}.ffn_norm.weight"},
    {"model.text_model.layers.{N}.mlp.gate_proj.weight", "blk.{N}.ffn_gate.weight"},
    {"model.text_model.layers.{N}.mlp.up_proj.weight", "blk.{N}.ffn_up.weight"},
    {"model.text_model.layers.{N}.mlp.down_proj.weight", "blk.{N}.ffn_down.weight"},
};

inline constexpr GgufNamePair kSmolVlmMmprojNames[] = {
    {"model.vision_model.embeddings.patch_embedding.weight", "v.patch_embd.weight"},
    {"model.vision_model.embeddings.patch_embedding.bias", "v.patch_embd.bias"},
    {"model.vision_model.embeddings.position_embedding.weight", "v.position_embd.weight"},
    {"model.vision_model.encoder.layers.{N}.layer_norm1.weight", "v.blk.{N}.ln1.weight"},
    {"model.vision_model.encoder.layers.{N}.layer_norm1.bias", "v.blk.{N}.ln1.bias"},
    {"model.vision_model.encoder.layers.{N}.self_attn.q_proj.weight", "v.blk.{N}.attn_q.weight"},
    {"model.vision_model.encoder.layers.{N}.self_attn.q_proj.bias", "v.blk.{N}.attn_q.bias"},
    {"model.vision_model.encoder.layers.{N}.self_attn.k_proj.weight", "v.blk.{N}.attn_k.weight"},
    {"model.vision_model.encoder.layers.{N}.self_attn.k_proj.bias", "v.blk.{N}.attn_k.bias"},
    {"model.vision_model.encoder.layers.{N}.self_attn.v_proj.weight", "v.blk.{N}.attn_v.weight"},
    {"model.vision_model.encoder.layers.{N}.self_attn.v_proj.bias", "v.blk.{N}.attn_v.bias"},
    {"model.vision_model.encoder.layers.{N}.self_attn.out_proj.weight", "v.blk.{N}.attn_out.weight"},
    {"model.vision_model.encoder.layers.{N}.self_attn.out_proj.bias", "v.blk.{N}.attn_out.bias"},
    {"model.vision_model.encoder.layers.{N}.layer_norm2.weight", "v.blk.{N}.ln2.weight"},
    {"model.vision_model.encoder.layers.{N}.layer_norm2.bias", "v.blk.{N}.ln2.bias"},
    {"model.vision_model.encoder.layers.{N}.mlp.fc1.weight", "v.blk.{N}.ffn_up.weight"},
    {"model.vision_model.encoder.layers.{N}.mlp.fc1.bias", "v.blk.{N}.ffn_up.bias"},
    {"model.vision_model.encoder.layers.{N}.mlp.fc2.weight", "v.blk.{N}.ffn_down.weight"},
    {"model.vision_model.encoder.layers.{N}.mlp.fc2.bias", "v.blk.{N}.ffn_down.bias"},
    {"model.vision_model.post_layernorm.weight", "v.post_ln.weight"},
    {"model.vision_model.post_layernorm.bias", "v.post_ln.bias"},
    {"model.connector.modality_projection.proj.weight", "mm.model.fc.weight"},  // no bias in SmolVLM2
};

// A concrete name translated through both tables ("{N}" matched against a
// decimal layer index); nullopt when no entry matches.
std::optional<std::string> smolvlm_hf_to_gguf(std::string_view hf_name);
std::optional<std::string> smolvlm_gguf_to_hf(std::string_view gguf_name);

// The Hugging Face row that GGUF row `gguf_row` of a permuted q/k tensor of
// `rows` rows and `n_head` heads holds (see the comment above). rows must be
// a multiple of 2 * n_head.
std::int64_t llama_unpermuted_row(std::int64_t gguf_row, std::int64_t rows, std::int64_t n_head);

}  // namespace prism::formats
