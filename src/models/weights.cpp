#include "models/weights.h"

#include <cstring>
#include <functional>
#include <variant>

#include "core/error.h"

namespace prism::models {

namespace {

using formats::SmolVlmConfig;
using Shape = std::vector<std::int64_t>;
using Target = std::variant<Matrix*, Vector*>;

enum class Scope { Global, VisionLayer, TextLayer };

struct Slot {
  const char* name;  // "{}" stands for the layer index
  Scope scope;
  std::function<Shape(const SmolVlmConfig&)> shape;
  std::function<Target(SmolVlmWeights&, int layer)> target;
};

// Shorthands for the shapes the config implies.
Shape vh(const SmolVlmConfig& c) { return {c.vision.hidden_size}; }
Shape vhh(const SmolVlmConfig& c) { return {c.vision.hidden_size, c.vision.hidden_size}; }
Shape th(const SmolVlmConfig& c) { return {c.text.hidden_size}; }

#define VL(member) [](SmolVlmWeights& w, int l) -> Target { return &w.vision.layers[l].member; }
#define TL(member) [](SmolVlmWeights& w, int l) -> Target { return &w.text.layers[l].member; }
#define G(member) [](SmolVlmWeights& w, int) -> Target { return &w.member; }

// The one table of tensor names (transformers v4.51 save_pretrained names).
const std::vector<Slot>& table() {
  static const std::vector<Slot> slots = {
      {"model.vision_model.embeddings.patch_embedding.weight", Scope::Global,
       [](const SmolVlmConfig& c) -> Shape {
         return {c.vision.hidden_size, c.vision.num_channels, c.vision.patch_size, c.vision.patch_size};
       },
       G(vision.patch_embedding_w)},
      {"model.vision_model.embeddings.patch_embedding.bias", Scope::Global, vh, G(vision.patch_embedding_b)},
      {"model.vision_model.embeddings.position_embedding.weight", Scope::Global,
       [](const SmolVlmConfig& c) -> Shape { return {c.vision.num_patches(), c.vision.hidden_size}; },
       G(vision.position_embedding)},
      {"model.vision_model.encoder.layers.{}.layer_norm1.weight", Scope::VisionLayer, vh, VL(layer_norm1_w)},
      {"model.vision_model.encoder.layers.{}.layer_norm1.bias", Scope::VisionLayer, vh, VL(layer_norm1_b)},
      {"model.vision_model.encoder.layers.{}.layer_norm2.weight", Scope::VisionLayer, vh, VL(layer_norm2_w)},
      {"model.vision_model.encoder.layers.{}.layer_norm2.bias", Scope::VisionLayer, vh, VL(layer_norm2_b)},
      {"model.vision_model.encoder.layers.{}.self_attn.q_proj.weight", Scope::VisionLayer, vhh, VL(q_w)},
      {"model.vision_model.encoder.layers.{}.self_attn.q_proj.bias", Scope::VisionLayer, vh, VL(q_b)},
      {"model.vision_model.encoder.layers.{}.self_attn.k_proj.weight", Scope::VisionLayer, vhh, VL(k_w)},
      {"model.vision_model.encoder.layers.{}.self_attn.k_proj.bias", Scope::VisionLayer, vh, VL(k_b)},
      {"model.vision_model.encoder.layers.{}.self_attn.v_proj.weight", Scope::VisionLayer, vhh, VL(v_w)},
      {"model.vision_model.encoder.layers.{}.self_attn.v_proj.bias", Scope::VisionLayer, vh, VL(v_b)},
      {"model.vision_model.encoder.layers.{}.self_attn.out_proj.weight", Scope::VisionLayer, vhh, VL(out_w)},
      {"model.vision_model.encoder.layers.{}.self_attn.out_proj.bias", Scope::VisionLayer, vh, VL(out_b)},
      {"model.vision_model.encoder.layers.{}.mlp.fc1.weight", Scope::VisionLayer,
       [](const SmolVlmConfig& c) -> Shape { return {c.vision.intermediate_size, c.vision.hidden_size}; }, VL(fc1_w)},
      {"model.vision_model.encoder.layers.{}.mlp.fc1.bias", Scope::VisionLayer,
       [](const SmolVlmConfig& c) -> Shape { return {c.vision.intermediate_size}; }, VL(fc1_b)},
      {"model.vision_model.encoder.layers.{}.mlp.fc2.weight", Scope::VisionLayer,
       [](const SmolVlmConfig& c) -> Shape { return {c.vision.hidden_size, c.vision.intermediate_size}; }, VL(fc2_w)},
      {"model.vision_model.encoder.layers.{}.mlp.fc2.bias", Scope::VisionLayer, vh, VL(fc2_b)},
      {"model.vision_model.post_layernorm.weight", Scope::Global, vh, G(vision.post_layernorm_w)},
      {"model.vision_model.post_layernorm.bias", Scope::Global, vh, G(vision.post_layernorm_b)},
      {"model.connector.modality_projection.proj.weight", Scope::Global,
       [](const SmolVlmConfig& c) -> Shape {
         return {c.text.hidden_size, std::int64_t{c.vision.hidden_size} * c.scale_factor * c.scale_factor};
       },
       G(connector_proj)},
      {"model.text_model.embed_tokens.weight", Scope::Global,
       [](const SmolVlmConfig& c) -> Shape { return {c.text.vocab_size, c.text.hidden_size}; }, G(text.embed_tokens)},
      {"model.text_model.layers.{}.input_layernorm.weight", Scope::TextLayer, th, TL(input_layernorm)},
      {"model.text_model.layers.{}.post_attention_layernorm.weight", Scope::TextLayer, th,
       TL(post_attention_layernorm)},
      {"model.text_model.layers.{}.self_attn.q_proj.weight", Scope::TextLayer,
       [](const SmolVlmConfig& c) -> Shape {
         return {std::int64_t{c.text.num_attention_heads} * c.text.head_dim, c.text.hidden_size};
       },
       TL(q_w)},
      {"model.text_model.layers.{}.self_attn.k_proj.weight", Scope::TextLayer,
       [](const SmolVlmConfig& c) -> Shape {
         return {std::int64_t{c.text.num_key_value_heads} * c.text.head_dim, c.text.hidden_size};
       },
       TL(k_w)},
      {"model.text_model.layers.{}.self_attn.v_proj.weight", Scope::TextLayer,
       [](const SmolVlmConfig& c) -> Shape {
         return {std::int64_t{c.text.num_key_value_heads} * c.text.head_dim, c.text.hidden_size};
       },
       TL(v_w)},
      {"model.text_model.layers.{}.self_attn.o_proj.weight", Scope::TextLayer,
       [](const SmolVlmConfig& c) -> Shape {
         return {c.text.hidden_size, std::int64_t{c.text.num_attention_heads} * c.text.head_dim};
       },
       TL(o_w)},
      {"model.text_model.layers.{}.mlp.gate_proj.weight", Scope::TextLayer,
       [](const SmolVlmConfig& c) -> Shape { return {c.text.intermediate_size, c.text.hidden_size}; }, TL(gate_w)},
      {"model.text_model.layers.{}.mlp.up_proj.weight", Scope::TextLayer,
       [](const SmolVlmConfig& c) -> Shape { return {c.text.intermediate_size, c.text.hidden_size}; }, TL(up_w)},
      {"model.text_model.layers.{}.mlp.down_proj.weight", Scope::TextLayer,
       [](const SmolVlmConfig& c) -> Shape { return {c.text.hidden_size, c.text.intermediate_size}; }, TL(down_w)},
      {"model.text_model.norm.weight", Scope::Global, th, G(text.norm)},
  };
  return slots;
}

#undef VL
#undef TL
#undef G

std::string shape_string(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string expand(const char* name, int layer) {
  std::string s = name;
  auto at = s.find("{}");
  if (at != std::string::npos) s.replace(at, 2, std::to_string(layer));
  return s;
}

// How a matrix's data must be aligned for the kernels' loads.
std::size_t dtype_alignment(formats::DType t) {
  // Block types: their f16 fields (every block size is even).
  return formats::dtype_block_size(t) > 1 ? alignof(std::uint16_t) : formats::dtype_size(t);
}

class Binder {
 public:
  Binder(SmolVlmWeights& w, const TensorSource& source) : w_(w), source_(source) {}

  SourceTensor checked(const std::string& name, const Shape& expected) {
    auto t = source_(name);
    if (t.shape != expected)
      throw Error(t.where + " has shape " + shape_string(t.shape) + " but " + t.shape_source + " implies " +
                  shape_string(expected));
    return t;
  }

  void bind(const SourceTensor& t, Matrix* m) {
    m->dtype = t.dtype;
    m->rows = t.shape.front();
    std::int64_t numel = 1;
    for (auto d : t.shape) numel *= d;
    m->cols = numel / std::max<std::int64_t>(1, m->rows);
    if (reinterpret_cast<std::uintptr_t>(t.data) % dtype_alignment(t.dtype) == 0) {
      m->data = t.data;
    } else {  // rare: keep the kernels' loads aligned
      auto copy = std::make_unique<std::byte[]>(t.nbytes);
      std::memcpy(copy.get(), t.data, t.nbytes);
      m->data = copy.get();
      w_.owned.push_back(std::move(copy));
    }
  }

  void bind(const SourceTensor& t, Vector* v) {
    std::int64_t numel = 1;
    for (auto d : t.shape) numel *= d;
    v->resize(static_cast<std::size_t>(numel));
    // convert_to_f32 reads 16-bit values through aligned pointers: copy first.
    std::vector<std::byte> raw(t.nbytes);
    std::memcpy(raw.data(), t.data, t.nbytes);
    tensor::convert_to_f32(t.dtype, raw.data(), v->size(), v->data());
  }

 private:
  SmolVlmWeights& w_;
  const TensorSource& source_;
};

bool is_text_tensor(const std::string& name) { return name.starts_with("model.text_model.") || name == "lm_head.weight"; }

}  // namespace

std::vector<ExpectedTensor> expected_tensors(const formats::SmolVlmConfig& config) {
  std::vector<ExpectedTensor> out;
  for (const auto& slot : table()) {
    const int layers = slot.scope == Scope::VisionLayer ? config.vision.num_hidden_layers
                       : slot.scope == Scope::TextLayer ? config.text.num_hidden_layers
                                                        : 1;
    for (int l = 0; l < layers; ++l) out.push_back({expand(slot.name, l), slot.shape(config)});
  }
  if (!config.text.tie_word_embeddings) out.push_back({"lm_head.weight", {config.text.vocab_size, config.text.hidden_size}});
  return out;
}

void bind_weights(SmolVlmWeights& w, const TensorSource& source, const formats::SmolVlmConfig& config,
                  bool include_vision) {
  w.vision.layers.resize(include_vision ? static_cast<std::size_t>(config.vision.num_hidden_layers) : 0);
  w.text.layers.resize(static_cast<std::size_t>(config.text.num_hidden_layers));
  Binder binder(w, source);
  for (const auto& slot : table()) {
    if (!include_vision && !is_text_tensor(slot.name)) continue;
    const int layers = slot.scope == Scope::VisionLayer ? config.vision.num_hidden_layers
                       : slot.scope == Scope::TextLayer ? config.text.num_hidden_layers
                                                        : 1;
    for (int l = 0; l < layers; ++l) {
      const auto t = binder.checked(expand(slot.name, l), slot.shape(config));
      std::visit([&](auto* target) { binder.bind(t, target); }, slot.target(w, l));
    }
  }
  // Tied embeddings (decided by text_config, as transformers v4.51 does):
  // the output head is the embedding matrix and lm_head.weight is not read.
  if (config.text.tie_word_embeddings) {
    w.text.lm_head = w.text.embed_tokens;
  } else {
    const auto t = binder.checked("lm_head.weight", {config.text.vocab_size, config.text.hidden_size});
    binder.bind(t, &w.text.lm_head);
  }
}

SmolVlmWeights bind_weights(std::unique_ptr<formats::SafetensorsCheckpoint> checkpoint,
                            const formats::SmolVlmConfig& config) {
  SmolVlmWeights w;
  w.checkpoint = std::move(checkpoint);
  const auto* ckpt = w.checkpoint.get();
  const TensorSource source = [ckpt](const std::string& name) {
    const auto& t = ckpt->get(name);
    return SourceTensor{t.dtype, t.shape, t.data, t.nbytes, t.file.string() + ": tensor '" + name + "'",
                        "config.json"};
  };
  bind_weights(w, source, config, true);
  return w;
}

}  // namespace prism::models
