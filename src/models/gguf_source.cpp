#include "models/gguf_source.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "core/error.h"
#include "core/log.h"
#include "formats/gguf.h"
#include "formats/gguf_smolvlm_names.h"

namespace prism::models {

namespace {

using formats::GgmlType;
using formats::GgufFile;

// Metadata integers are checked to fit an int (a hostile file may say 2^40 layers).
int get_int(const GgufFile& f, const std::string& key) {
  const auto v = f.get_u32(key);
  if (v > 1u << 24) throw Error(f.path().string() + ": metadata key '" + key + "' is " + std::to_string(v) + ", too large");
  return static_cast<int>(v);
}

int get_int(const GgufFile& f, const std::string& key, int fallback) {
  return f.has(key) ? get_int(f, key) : fallback;
}

void require_positive(const GgufFile& f, const std::string& key, int v) {
  if (v <= 0) throw Error(f.path().string() + ": metadata key '" + key + "' must be positive, not " + std::to_string(v));
}

formats::TextConfig text_config(const GgufFile& f) {
  const auto arch = f.get_string("general.architecture");
  if (arch != "llama")
    throw Error(f.path().string() + ": general.architecture is '" + arch + "'; SmolVLM2's text model is 'llama'");
  formats::TextConfig c;
  c.hidden_size = get_int(f, "llama.embedding_length");
  c.intermediate_size = get_int(f, "llama.feed_forward_length");
  c.num_hidden_layers = get_int(f, "llama.block_count");
  c.num_attention_heads = get_int(f, "llama.attention.head_count");
  c.num_key_value_heads = get_int(f, "llama.attention.head_count_kv", c.num_attention_heads);
  c.max_position_embeddings = get_int(f, "llama.context_length");
  for (const auto& [key, v] : {std::pair<const char*, int>{"llama.embedding_length", c.hidden_size},
                               {"llama.feed_forward_length", c.intermediate_size},
                               {"llama.block_count", c.num_hidden_layers},
                               {"llama.attention.head_count", c.num_attention_heads},
                               {"llama.attention.head_count_kv", c.num_key_value_heads},
                               {"llama.context_length", c.max_position_embeddings}})
    require_positive(f, key, v);
  if (c.hidden_size % c.num_attention_heads != 0 || c.num_attention_heads % c.num_key_value_heads != 0)
    throw Error(f.path().string() + ": " + std::to_string(c.num_attention_heads) + " heads and " +
                std::to_string(c.num_key_value_heads) + " kv heads do not divide embedding_length " +
                std::to_string(c.hidden_size));
  c.head_dim = get_int(f, "llama.attention.key_length", c.hidden_size / c.num_attention_heads);
  require_positive(f, "llama.attention.key_length", c.head_dim);
  if (c.head_dim % 2 != 0) throw Error(f.path().string() + ": head dimension " + std::to_string(c.head_dim) + " is odd");
  // The decoder ropes whole heads without scaling, as SmolLM2 does.
  if (const int rope_dims = get_int(f, "llama.rope.dimension_count", c.head_dim); rope_dims != c.head_dim)
    throw Error(f.path().string() + ": llama.rope.dimension_count " + std::to_string(rope_dims) +
                " is not the head dimension " + std::to_string(c.head_dim) + " (partial rope is not supported)");
  if (const auto scaling = f.get_string("llama.rope.scaling.type", "none"); scaling != "none")
    throw Error(f.path().string() + ": llama.rope.scaling.type '" + scaling + "' is not supported");
  const auto* embd = f.find_tensor("token_embd.weight");
  if (!embd) throw Error(f.path().string() + ": missing tensor 'token_embd.weight'");
  if (embd->shape.size() != 2) throw Error(f.path().string() + ": tensor 'token_embd.weight' is not a matrix");
  c.vocab_size = get_int(f, "llama.vocab_size", static_cast<int>(std::min<std::int64_t>(embd->shape[0], 1 << 25)));
  require_positive(f, "llama.vocab_size", c.vocab_size);
  c.rms_norm_eps = f.get_f32("llama.attention.layer_norm_rms_epsilon");
  c.rope_theta = f.get_f32("llama.rope.freq_base", 10000.0f);
  if (!(c.rms_norm_eps > 0) || !(c.rope_theta > 0))
    throw Error(f.path().string() + ": layer_norm_rms_epsilon and rope.freq_base must be positive");
  // llama.cpp ties the output head to the embedding when output.weight is absent.
  c.tie_word_embeddings = f.find_tensor("output.weight") == nullptr;
  c.hidden_act = "silu";
  return c;
}

formats::VisionConfig vision_config(const GgufFile& f, int& scale_factor) {
  const auto type = f.get_string("clip.projector_type", "");
  if (type != "idefics3")
    throw Error(f.path().string() + ": clip.projector_type is '" + type + "'; SmolVLM2's mmproj is 'idefics3'");
  if (!f.get_bool("clip.has_vision_encoder", true))
    throw Error(f.path().string() + ": clip.has_vision_encoder is false");
  formats::VisionConfig c;
  c.hidden_size = get_int(f, "clip.vision.embedding_length");
  c.intermediate_size = get_int(f, "clip.vision.feed_forward_length");
  c.num_hidden_layers = get_int(f, "clip.vision.block_count");
  c.num_attention_heads = get_int(f, "clip.vision.attention.head_count");
  c.image_size = get_int(f, "clip.vision.image_size");
  c.patch_size = get_int(f, "clip.vision.patch_size");
  scale_factor = get_int(f, "clip.vision.projector.scale_factor", 2);
  for (const auto& [key, v] : {std::pair<const char*, int>{"clip.vision.embedding_length", c.hidden_size},
                               {"clip.vision.feed_forward_length", c.intermediate_size},
                               {"clip.vision.block_count", c.num_hidden_layers},
                               {"clip.vision.attention.head_count", c.num_attention_heads},
                               {"clip.vision.image_size", c.image_size},
                               {"clip.vision.patch_size", c.patch_size},
                               {"clip.vision.projector.scale_factor", scale_factor}})
    require_positive(f, key, v);
  if (c.hidden_size % c.num_attention_heads != 0)
    throw Error(f.path().string() + ": clip.vision.attention.head_count does not divide the embedding length");
  if (c.patches_per_side() % scale_factor != 0)
    throw Error(f.path().string() + ": " + std::to_string(c.patches_per_side()) +
                " patches per side are not a multiple of the scale factor " + std::to_string(scale_factor));
  c.layer_norm_eps = f.get_f32("clip.vision.attention.layer_norm_epsilon", 1e-6f);
  // SigLIP's gelu is the tanh approximation, which is what clip.use_gelu selects.
  if (!f.get_bool("clip.use_gelu", true)) throw Error(f.path().string() + ": clip.use_gelu false (silu) is not SigLIP");
  c.hidden_act = "gelu_pytorch_tanh";
  return c;
}

std::optional<formats::DType> ggml_to_engine(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return formats::DType::F32;
    case GgmlType::F16: return formats::DType::F16;
    case GgmlType::BF16: return formats::DType::BF16;
    case GgmlType::Q8_0: return formats::DType::Q8_0;  // same 34-byte block (formats/dtype.h)
    case GgmlType::Q4_0: return formats::DType::Q4_0;  // same 18-byte block
    case GgmlType::Q5_0: return formats::DType::Q5_0;  // same 22-byte block
    case GgmlType::Q4_K: return formats::DType::Q4_K;  // same 144-byte super-block
    case GgmlType::Q6_K: return formats::DType::Q6_K;  // same 210-byte super-block
    default: return std::nullopt;
  }
}

// The dtype a tensor keeps in place (mapped, its bytes as they are), or
// nullopt where it is dequantized at load: types without a kernel (Q4_1,
// Q5_1) and rows that are not whole blocks (a valid file has none).
std::optional<formats::DType> engine_dtype(const formats::GgufTensorInfo& t) {
  const auto dt = ggml_to_engine(t.type);
  if (!dt || t.row_length() % formats::dtype_block_size(*dt) != 0) return std::nullopt;
  return dt;
}

// Drops the whole pages of a mapped tensor that was copied (unpermuted) from
// this process's resident set: read once for the copy, they would otherwise
// count twice (the file mapping is read-only, so they are simply read again
// from the file should anything touch them).
void release_mapped_pages(const std::byte* data, std::size_t bytes) {
  static const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

bool is_permuted(const std::string& gguf_name) {
  return gguf_name.starts_with("blk.") && (gguf_name.ends_with(".attn_q.weight") || gguf_name.ends_with(".attn_k.weight"));
}

// Looks tensors up by Hugging Face name across the text and mmproj files and
// hands them over in an engine dtype, unpermuted.
class GgufTensorSource {
 public:
  GgufTensorSource(SmolVlmWeights& w, const GgufFile& text, const GgufFile* mmproj, const formats::TextConfig& tc)
      : w_(w), text_(text), mmproj_(mmproj), tc_(tc) {}

  SourceTensor operator()(const std::string& hf_name) {
    const auto name = formats::smolvlm_hf_to_gguf(hf_name);
    if (!name) throw Error("no GGUF name for tensor '" + hf_name + "'");
    const bool vision = !hf_name.starts_with("model.text_model.") && hf_name != "lm_head.weight";
    const GgufFile& file = vision ? *mmproj_ : text_;
    const auto& t = file.tensor(*name);  // throws "FILE: missing tensor 'NAME'"
    SourceTensor out;
    out.shape = t.shape;
    out.where = file.path().string() + ": tensor '" + *name + "'";
    out.shape_source = "the GGUF metadata";
    std::int64_t n_head = 0;
    if (is_permuted(*name)) n_head = name->ends_with(".attn_q.weight") ? tc_.num_attention_heads : tc_.num_key_value_heads;
    if (n_head && (t.shape.size() != 2 || t.shape[0] % (2 * n_head) != 0))
      throw Error(out.where + " has shape " + t.shape_string() + ", not rows of " + std::to_string(n_head) + " heads");

    if (const auto dt = engine_dtype(t)) {
      out.dtype = *dt;
      out.nbytes = t.nbytes;
      out.data = t.data;
      if (n_head) {
        out.data = unpermuted(t.data, t.rows(), t.nbytes / static_cast<std::size_t>(t.rows()), n_head);
        release_mapped_pages(t.data, t.nbytes);
      }
      return out;
    }
    if (!formats::can_dequantize(t.type))
      throw Error(out.where + " is of type " + std::string(formats::ggml_type_name(t.type)) +
                  ", which prism cannot read (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q6_K)");
    // Other block types have no kernel: dequantize once, at load.
    ++dequantized_[std::string(formats::ggml_type_name(t.type))];
    const std::size_t row_bytes = formats::ggml_row_bytes(t.type, t.row_length());
    auto f32 = std::make_unique<std::byte[]>(static_cast<std::size_t>(t.numel()) * sizeof(float));
    for (std::int64_t r = 0; r < t.rows(); ++r)
      formats::dequantize_row(t.type, t.data + r * row_bytes, t.row_length(),
                              reinterpret_cast<float*>(f32.get()) + r * t.row_length());
    out.dtype = formats::DType::F32;
    out.nbytes = static_cast<std::size_t>(t.numel()) * sizeof(float);
    out.data = n_head ? unpermuted(f32.get(), t.rows(), static_cast<std::size_t>(t.row_length()) * sizeof(float), n_head)
                      : f32.get();
    w_.owned.push_back(std::move(f32));
    return out;
  }

  const std::map<std::string, int>& dequantized() const { return dequantized_; }

 private:
  // Whole rows move (a quantized row is whole blocks), so bytes are copied as they are.
  const std::byte* unpermuted(const std::byte* src, std::int64_t rows, std::size_t row_bytes, std::int64_t n_head) {
    auto dst = std::make_unique<std::byte[]>(static_cast<std::size_t>(rows) * row_bytes);
    for (std::int64_t g = 0; g < rows; ++g)
      std::memcpy(dst.get() + formats::llama_unpermuted_row(g, rows, n_head) * row_bytes, src + g * row_bytes, row_bytes);
    w_.owned.push_back(std::move(dst));
    return w_.owned.back().get();
  }

  SmolVlmWeights& w_;
  const GgufFile& text_;
  const GgufFile* mmproj_;
  const formats::TextConfig& tc_;
  std::map<std::string, int> dequantized_;
};

// The <image> placeholder's id, from the vocabulary the converter stores.
std::int32_t image_token_id(const GgufFile& f) {
  if (!f.has("tokenizer.ggml.tokens"))
    throw Error(f.path().string() + ": metadata key 'tokenizer.ggml.tokens' is missing (needed to find <image>)");
  const auto tokens = f.get_array<std::string>("tokenizer.ggml.tokens");
  const auto it = std::find(tokens.begin(), tokens.end(), "<image>");
  if (it == tokens.end()) throw Error(f.path().string() + ": tokenizer.ggml.tokens has no <image> token");
  return static_cast<std::int32_t>(it - tokens.begin());
}

}  // namespace

GgufModel load_gguf_model(const GgufModelFiles& files) {
  auto text = std::make_shared<const GgufFile>(files.text);
  std::shared_ptr<const GgufFile> mmproj;
  if (files.mmproj) {
    mmproj = std::make_shared<const GgufFile>(*files.mmproj);
    if (mmproj->get_string("general.architecture", "") != "clip")
      throw Error(mmproj->path().string() + ": general.architecture is not 'clip'; is this an mmproj file?");
  }
  GgufModel m;
  auto& c = m.config;
  c.model_type = "smolvlm";
  c.text = text_config(*text);
  if (mmproj) {
    c.vision = vision_config(*mmproj, c.scale_factor);
    const int projection = get_int(*mmproj, "clip.vision.projection_dim", c.text.hidden_size);
    if (projection != c.text.hidden_size)
      throw Error(mmproj->path().string() + ": clip.vision.projection_dim " + std::to_string(projection) +
                  " is not the text model's embedding_length " + std::to_string(c.text.hidden_size));
    c.image_token_id = image_token_id(*text);
  } else {
    // No vision tower: zero patches, so no image can be encoded (SmolVlmModel refuses it).
    c.vision.image_size = 0;
    c.vision.patch_size = 1;
    c.scale_factor = 1;
    c.image_token_id = -1;
  }
  m.weights.files.push_back(text);
  if (mmproj) m.weights.files.push_back(mmproj);
  GgufTensorSource source(m.weights, *text, mmproj.get(), c.text);
  bind_weights(m.weights, std::ref(source), c, mmproj != nullptr);
  for (const auto& [type, count] : source.dequantized())
    log::info("GGUF tensors dequantized to f32 at load (no kernel for their type yet)",
              {{"type", type}, {"tensors", count}});
  return m;
}

}  // namespace prism::models
