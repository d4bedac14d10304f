#include "formats/hf_config.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace prism::formats {

namespace {

using nlohmann::json;

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open");
  try {
    json j = json::parse(in);
    if (!j.is_object()) throw Error(path.string() + ": must hold a JSON object");
    return j;
  } catch (const json::exception& e) {
    throw Error(path.string() + ": not valid JSON: " + e.what());
  }
}

// Reads keys of one JSON object and names the file and key path in errors.
class Reader {
 public:
  Reader(const std::filesystem::path& file, const json& obj, std::string prefix)
      : file_(file), obj_(obj), prefix_(std::move(prefix)) {}

  bool has(const char* key) const { return obj_.contains(key) && !obj_[key].is_null(); }

  [[noreturn]] void fail(const char* key, const std::string& what) const {
    throw Error(file_.string() + ": key '" + prefix_ + key + "' " + what);
  }

  int required_int(const char* key) const {
    if (!has(key)) fail(key, "is missing");
    return positive_int(key);
  }
  int int_or(const char* key, int fallback) const { return has(key) ? positive_int(key) : fallback; }

  double number_or(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    if (!obj_[key].is_number()) fail(key, "must be a number, got " + obj_[key].dump());
    return obj_[key].get<double>();
  }
  bool bool_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!obj_[key].is_boolean()) fail(key, "must be true or false, got " + obj_[key].dump());
    return obj_[key].get<bool>();
  }
  std::string string_or(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!obj_[key].is_string()) fail(key, "must be a string, got " + obj_[key].dump());
    return obj_[key].get<std::string>();
  }
  Reader object(const char* key) const {
    if (!has(key)) fail(key, "is missing");
    if (!obj_[key].is_object()) fail(key, "must be an object");
    return Reader(file_, obj_[key], prefix_ + key + ".");
  }
  const json& raw(const char* key) const { return obj_[key]; }

 private:
  int positive_int(const char* key) const {
    const json& v = obj_[key];
    if (!v.is_number_integer() || v.get<std::int64_t>() <= 0 || v.get<std::int64_t>() > (1ll << 30))
      fail(key, "must be a positive integer, got " + v.dump());
    return v.get<int>();
  }

  const std::filesystem::path& file_;
  const json& obj_;
  std::string prefix_;
};

VisionConfig parse_vision(const Reader& r) {
  VisionConfig v;
  v.hidden_size = r.required_int("hidden_size");
  v.intermediate_size = r.required_int("intermediate_size");
  v.num_hidden_layers = r.required_int("num_hidden_layers");
  v.num_attention_heads = r.required_int("num_attention_heads");
  v.image_size = r.required_int("image_size");
  v.patch_size = r.required_int("patch_size");
  v.num_channels = r.int_or("num_channels", 3);                            // SmolVLMVisionConfig default
  v.layer_norm_eps = static_cast<float>(r.number_or("layer_norm_eps", 1e-6));  // default 1e-6
  v.hidden_act = r.string_or("hidden_act", "gelu_pytorch_tanh");              // default
  if (v.hidden_act != "gelu_pytorch_tanh" && v.hidden_act != "gelu_tanh")
    r.fail("hidden_act", "'" + v.hidden_act + "' is not supported (only gelu_pytorch_tanh)");
  if (v.hidden_size % v.num_attention_heads != 0)
    r.fail("hidden_size", "must be a multiple of num_attention_heads");
  if (v.patch_size > v.image_size) r.fail("patch_size", "is larger than image_size");
  if (v.num_channels != 3) r.fail("num_channels", "must be 3 (RGB)");
  return v;
}

TextConfig parse_text(const Reader& r, bool top_level_tie) {
  TextConfig t;
  if (r.has("model_type") && r.string_or("model_type", "") != "llama")
    r.fail("model_type", "'" + r.string_or("model_type", "") + "' is not supported (only llama text models)");
  t.hidden_size = r.required_int("hidden_size");
  t.intermediate_size = r.required_int("intermediate_size");
  t.num_hidden_layers = r.required_int("num_hidden_layers");
  t.num_attention_heads = r.required_int("num_attention_heads");
  t.vocab_size = r.required_int("vocab_size");
  // LlamaConfig: num_key_value_heads defaults to num_attention_heads,
  // head_dim to hidden_size / num_attention_heads.
  t.num_key_value_heads = r.int_or("num_key_value_heads", t.num_attention_heads);
  t.head_dim = r.int_or("head_dim", t.hidden_size / t.num_attention_heads);
  t.max_position_embeddings = r.int_or("max_position_embeddings", 2048);  // LlamaConfig default
  t.rms_norm_eps = static_cast<float>(r.number_or("rms_norm_eps", 1e-6));  // LlamaConfig default
  t.hidden_act = r.string_or("hidden_act", "silu");                        // LlamaConfig default
  if (t.hidden_act != "silu") r.fail("hidden_act", "'" + t.hidden_act + "' is not supported (only silu)");
  if (t.num_attention_heads % t.num_key_value_heads != 0)
    r.fail("num_key_value_heads", "must divide num_attention_heads");
  if (r.bool_or("attention_bias", false)) r.fail("attention_bias", "true is not supported");
  if (r.bool_or("mlp_bias", false)) r.fail("mlp_bias", "true is not supported");

  // RoPE: v4 writes rope_theta (+ rope_scaling), v5 writes rope_parameters.
  t.rope_theta = r.number_or("rope_theta", 10000.0);  // LlamaConfig default
  if (r.has("rope_parameters")) {
    Reader rp = r.object("rope_parameters");
    t.rope_theta = rp.number_or("rope_theta", t.rope_theta);
    const auto type = rp.string_or("rope_type", "default");
    if (type != "default") rp.fail("rope_type", "'" + type + "' is not supported (only default RoPE)");
  }
  if (r.has("rope_scaling")) {
    Reader rs = r.object("rope_scaling");
    const auto type = rs.string_or("rope_type", rs.string_or("type", "default"));
    if (type != "default") rs.fail("rope_type", "'" + type + "' is not supported (only default RoPE)");
  }
  if (t.rope_theta <= 0) r.fail("rope_theta", "must be positive");
  // v4.51 decides tying from the text config (get_text_config(decoder=True));
  // save_pretrained omits it there when false, the PretrainedConfig default.
  (void)top_level_tie;
  t.tie_word_embeddings = r.bool_or("tie_word_embeddings", false);
  return t;
}

}  // namespace

SmolVlmConfig load_smolvlm_config(const std::filesystem::path& config_json) {
  const json j = read_json(config_json);
  Reader r(config_json, j, "");
  SmolVlmConfig c;
  if (!r.has("model_type")) r.fail("model_type", "is missing");
  c.model_type = r.string_or("model_type", "");
  if (c.model_type != "smolvlm")
    r.fail("model_type", "'" + c.model_type + "' is an unsupported architecture (supported: smolvlm)");
  c.vision = parse_vision(r.object("vision_config"));
  c.text = parse_text(r.object("text_config"), r.bool_or("tie_word_embeddings", false));
  c.scale_factor = r.int_or("scale_factor", 2);  // SmolVLMConfig default
  if (!r.has("image_token_id")) r.fail("image_token_id", "is missing");
  const auto& id = r.raw("image_token_id");
  if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() >= c.text.vocab_size)
    r.fail("image_token_id", "must be a token id below vocab_size " + std::to_string(c.text.vocab_size) +
                                 ", got " + id.dump());
  c.image_token_id = id.get<std::int32_t>();
  if (c.vision.patches_per_side() % c.scale_factor != 0)
    r.fail("scale_factor", std::to_string(c.scale_factor) + " does not divide the " +
                               std::to_string(c.vision.patches_per_side()) + " patches per side");
  return c;
}

GenerationConfig load_generation_config(const std::filesystem::path& path) {
  GenerationConfig g;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return g;
  const json j = read_json(path);
  auto token = [&](const char* key) -> std::optional<std::int32_t> {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    if (!j[key].is_number_integer()) throw Error(path.string() + ": key '" + key + "' must be a token id");
    return j[key].get<std::int32_t>();
  };
  if (j.contains("eos_token_id") && !j["eos_token_id"].is_null()) {
    const auto& e = j["eos_token_id"];
    if (e.is_number_integer()) {
      g.eos_token_ids.push_back(e.get<std::int32_t>());
    } else if (e.is_array()) {
      for (const auto& v : e) {
        if (!v.is_number_integer()) throw Error(path.string() + ": key 'eos_token_id' must hold token ids");
        g.eos_token_ids.push_back(v.get<std::int32_t>());
      }
    } else {
      throw Error(path.string() + ": key 'eos_token_id' must be a token id or a list of them");
    }
  }
  g.bos_token_id = token("bos_token_id");
  g.pad_token_id = token("pad_token_id");
  auto number = [&](const char* key) -> std::optional<float> {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    if (!j[key].is_number()) throw Error(path.string() + ": key '" + key + "' must be a number");
    return j[key].get<float>();
  };
  if (j.contains("do_sample") && j["do_sample"].is_boolean()) g.do_sample = j["do_sample"].get<bool>();
  g.temperature = number("temperature");
  g.top_p = number("top_p");
  g.repetition_penalty = number("repetition_penalty");
  if (auto k = number("top_k")) g.top_k = static_cast<int>(*k);
  return g;
}

}  // namespace prism::formats
