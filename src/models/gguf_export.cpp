#include "models/gguf_export.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "formats/gguf_smolvlm_names.h"
#include "formats/gguf_writer.h"
#include "formats/hf_config.h"
#include "formats/safetensors.h"
#include "models/weights.h"
#include "tensor/tensor.h"

namespace prism::models {

namespace {

namespace fs = std::filesystem;
using formats::GgmlType;
using formats::GgufValue;
using formats::GgufWriter;
using nlohmann::json;

json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw Error(path.string() + ": " + e.what());
  }
}

// The converter's choice of type for one tensor.
GgmlType tensor_type(const std::string& hf_name, const std::vector<std::int64_t>& shape, GgmlType wanted) {
  if (shape.size() < 2 || hf_name.find(".embeddings.") != std::string::npos) return GgmlType::F32;
  if (shape.back() % formats::ggml_traits(wanted).block_size != 0) return GgmlType::F16;
  return wanted;
}

// Adds one tensor, converted when write() reaches it: to f32, q/k rows
// permuted (GGUF row g holds HF row llama_unpermuted_row(g)), then to `type`.
void add(GgufWriter& w, const formats::TensorInfo& t, const std::string& gguf_name, GgmlType wanted, int n_head) {
  const GgmlType type = tensor_type(t.name, t.shape, wanted);
  const std::int64_t cols = t.shape.back(), rows = t.numel() / cols;
  w.add_tensor(gguf_name, type, t.shape, [&t, type, cols, rows, n_head](std::span<std::byte> out) {
    std::vector<std::byte> raw(t.nbytes);  // aligned copy for convert_to_f32
    std::memcpy(raw.data(), t.data, t.nbytes);
    std::vector<float> f32(static_cast<std::size_t>(t.numel()));
    tensor::convert_to_f32(t.dtype, raw.data(), f32.size(), f32.data());
    const std::size_t row_bytes = formats::ggml_row_bytes(type, cols);
    for (std::int64_t g = 0; g < rows; ++g) {
      const std::int64_t src = n_head ? formats::llama_unpermuted_row(g, rows, n_head) : g;
      formats::quantize_row(type, f32.data() + src * cols, cols, out.data() + g * row_bytes);
    }
  });
}

// tokenizer.ggml.{bos,eos,unknown,padding}_token_id for the tokens
// tokenizer_config.json names, as the converter's SpecialVocab writes them.
void add_special_token_ids(GgufWriter& w, const fs::path& dir, const std::vector<std::string>& tokens) {
  const auto path = dir / "tokenizer_config.json";
  if (!fs::exists(path)) return;
  const json config = read_json(path);
  for (const auto& [key, gguf_name] : {std::pair{"bos_token", "bos"}, std::pair{"eos_token", "eos"},
                                       std::pair{"unk_token", "unknown"}, std::pair{"pad_token", "padding"}}) {
    const auto it = config.find(key);
    if (it == config.end()) continue;
    const std::string content = it->is_string() ? it->get<std::string>() : it->is_object() ? it->value("content", "") : "";
    const auto id = std::find(tokens.begin(), tokens.end(), content);
    if (content.empty() || id == tokens.end()) continue;
    w.set_u32(std::string("tokenizer.ggml.") + gguf_name + "_token_id", static_cast<std::uint32_t>(id - tokens.begin()));
  }
}

// tokenizer.ggml.* from tokenizer.json, padded to the model's vocab_size with
// "[PADn]" as the converter does.
void add_tokenizer(GgufWriter& w, const fs::path& dir, int vocab_size) {
  const auto path = dir / "tokenizer.json";
  if (!fs::exists(path)) return;
  const json tok = read_json(path);
  std::vector<std::string> tokens(static_cast<std::size_t>(vocab_size));
  std::vector<std::int32_t> types(tokens.size(), 1);  // 1 normal, 3 control, 4 user-defined, 5 unused
  for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = "[PAD" + std::to_string(i) + "]", types[i] = 5;
  auto put = [&](std::int64_t id, const std::string& s, int type) {
    if (id < 0 || id >= vocab_size) throw Error(path.string() + ": token id " + std::to_string(id) + " is past vocab_size");
    tokens[static_cast<std::size_t>(id)] = s;
    types[static_cast<std::size_t>(id)] = type;
  };
  for (const auto& [s, id] : tok.at("model").at("vocab").items()) put(id.get<std::int64_t>(), s, 1);
  for (const auto& a : tok.value("added_tokens", json::array()))
    put(a.at("id").get<std::int64_t>(), a.at("content").get<std::string>(), a.value("special", false) ? 3 : 4);
  std::vector<std::string> merges;
  for (const auto& m : tok.at("model").value("merges", json::array()))
    merges.push_back(m.is_string() ? m.get<std::string>() : m.at(0).get<std::string>() + " " + m.at(1).get<std::string>());
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "smollm");
  w.set("tokenizer.ggml.tokens", GgufValue::strings(tokens));
  w.set("tokenizer.ggml.token_type", GgufValue::i32s(types));
  w.set("tokenizer.ggml.merges", GgufValue::strings(merges));
  if (fs::exists(dir / "chat_template.json"))
    w.set_string("tokenizer.chat_template", read_json(dir / "chat_template.json").value("chat_template", ""));
  add_special_token_ids(w, dir, tokens);
}

std::string general_name(const fs::path& dir) {
  auto p = fs::absolute(dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace

void export_smolvlm_gguf(const fs::path& hf_dir, const fs::path& text_out, const fs::path& mmproj_out,
                         const GgufExportOptions& options) {
  if (!formats::can_quantize(options.type))
    throw InvalidInput("cannot write GGUF tensors of type " + std::string(formats::ggml_type_name(options.type)));
  const auto config = formats::load_smolvlm_config(hf_dir / "config.json");
  const auto ckpt = formats::SafetensorsCheckpoint::open(hf_dir);
  const auto& tc = config.text;
  const auto& vc = config.vision;
  const auto progress = [&](const fs::path& file) -> GgufWriter::Progress {
    if (!options.progress) return {};
    return [&options, file](std::uint64_t done, std::uint64_t total) { options.progress(file, done, total); };
  };

  GgufWriter text;
  text.set_string("general.architecture", "llama");
  text.set_string("general.name", general_name(hf_dir));
  text.set_u32("llama.context_length", static_cast<std::uint32_t>(tc.max_position_embeddings));
  text.set_u32("llama.embedding_length", static_cast<std::uint32_t>(tc.hidden_size));
  text.set_u32("llama.block_count", static_cast<std::uint32_t>(tc.num_hidden_layers));
  text.set_u32("llama.feed_forward_length", static_cast<std::uint32_t>(tc.intermediate_size));
  text.set_u32("llama.attention.head_count", static_cast<std::uint32_t>(tc.num_attention_heads));
  text.set_u32("llama.attention.head_count_kv", static_cast<std::uint32_t>(tc.num_key_value_heads));
  text.set_u32("llama.attention.key_length", static_cast<std::uint32_t>(tc.head_dim));
  text.set_u32("llama.attention.value_length", static_cast<std::uint32_t>(tc.head_dim));
  text.set_u32("llama.rope.dimension_count", static_cast<std::uint32_t>(tc.head_dim));
  text.set_f32("llama.rope.freq_base", static_cast<float>(tc.rope_theta));
  text.set_f32("llama.attention.layer_norm_rms_epsilon", tc.rms_norm_eps);
  text.set_u32("llama.vocab_size", static_cast<std::uint32_t>(tc.vocab_size));
  add_tokenizer(text, hf_dir, tc.vocab_size);

  GgufWriter mmproj;
  mmproj.set_string("general.architecture", "clip");
  mmproj.set_string("general.type", "mmproj");
  mmproj.set_string("general.name", general_name(hf_dir));
  mmproj.set_bool("clip.has_vision_encoder", true);
  mmproj.set_string("clip.projector_type", "idefics3");
  mmproj.set_bool("clip.use_gelu", true);
  mmproj.set_u32("clip.vision.image_size", static_cast<std::uint32_t>(vc.image_size));
  mmproj.set_u32("clip.vision.patch_size", static_cast<std::uint32_t>(vc.patch_size));
  mmproj.set_u32("clip.vision.embedding_length", static_cast<std::uint32_t>(vc.hidden_size));
  mmproj.set_u32("clip.vision.feed_forward_length", static_cast<std::uint32_t>(vc.intermediate_size));
  mmproj.set_u32("clip.vision.block_count", static_cast<std::uint32_t>(vc.num_hidden_layers));
  mmproj.set_u32("clip.vision.attention.head_count", static_cast<std::uint32_t>(vc.num_attention_heads));
  mmproj.set_f32("clip.vision.attention.layer_norm_epsilon", vc.layer_norm_eps);
  mmproj.set_u32("clip.vision.projection_dim", static_cast<std::uint32_t>(tc.hidden_size));
  mmproj.set_u32("clip.vision.projector.scale_factor", static_cast<std::uint32_t>(config.scale_factor));
  if (fs::exists(hf_dir / "preprocessor_config.json")) {
    const json pre = read_json(hf_dir / "preprocessor_config.json");
    mmproj.set("clip.vision.image_mean", GgufValue::f32s(pre.value("image_mean", std::vector<float>{0.5f, 0.5f, 0.5f})));
    mmproj.set("clip.vision.image_std", GgufValue::f32s(pre.value("image_std", std::vector<float>{0.5f, 0.5f, 0.5f})));
    if (pre.contains("size") && pre["size"].contains("longest_edge"))
      mmproj.set_u32("clip.vision.preproc_image_size", pre["size"]["longest_edge"].get<std::uint32_t>());
    // GGUF has no keys for SmolVLM2's video sampling; prism's own keep it
    // (llama.cpp ignores keys it does not know).
    if (const auto vs = pre.find("video_sampling"); vs != pre.end() && vs->is_object()) {
      mmproj.set_f32("prism.video.fps", vs->value("fps", 1.0f));
      mmproj.set_u32("prism.video.max_frames", vs->value("max_frames", 64u));
      if (vs->contains("video_size") && (*vs)["video_size"].contains("longest_edge"))
        mmproj.set_u32("prism.video.longest_edge", (*vs)["video_size"]["longest_edge"].get<std::uint32_t>());
    }
  }

  // The tensors in the order the binding table lists them.
  for (const auto& e : expected_tensors(config)) {
    const auto& t = ckpt->get(e.name);
    const auto gguf_name = formats::smolvlm_hf_to_gguf(e.name);
    if (!gguf_name) throw Error("no GGUF name for tensor '" + e.name + "'");
    const bool is_text = e.name.starts_with("model.text_model.") || e.name == "lm_head.weight";
    int n_head = 0;
    if (e.name.ends_with("self_attn.q_proj.weight") && is_text) n_head = tc.num_attention_heads;
    if (e.name.ends_with("self_attn.k_proj.weight") && is_text) n_head = tc.num_key_value_heads;
    add(is_text ? text : mmproj, t, *gguf_name, options.type, n_head);
  }
  text.write(text_out, progress(text_out));
  if (options.write_mmproj) mmproj.write(mmproj_out, progress(mmproj_out));
}

}  // namespace prism::models
