#include "models/random_checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "models/weights.h"

namespace prism::models {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// SmolVLM2's chat template, character for character.
constexpr const char* kChatTemplate =
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}{% if message['content'][0]['type'] == "
    "'image' %}{{':'}}{% else %}{{': '}}{% endif %}{% for line in message['content'] %}{% if line['type'] == 'text' "
    "%}{{line['text']}}{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor "
    "%}<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

constexpr int kBaseVocab = 49152;  // vocab.json size; added tokens follow
constexpr int kVocab = 49280;

formats::SmolVlmConfig make_config(int vh, int vi, int vl, int vheads, int image, int patch, int th, int ti, int tl,
                                   int heads, int kv, double theta, int max_pos, int scale) {
  formats::SmolVlmConfig c;
  c.model_type = "smolvlm";
  c.vision = {vh, vi, vl, vheads, 3, image, patch, 1e-6f, "gelu_pytorch_tanh"};
  c.text.hidden_size = th;
  c.text.intermediate_size = ti;
  c.text.num_hidden_layers = tl;
  c.text.num_attention_heads = heads;
  c.text.num_key_value_heads = kv;
  c.text.head_dim = th / heads;
  c.text.vocab_size = kVocab;
  c.text.max_position_embeddings = max_pos;
  c.text.rms_norm_eps = 1e-5f;
  c.text.rope_theta = theta;
  c.text.tie_word_embeddings = false;
  c.text.hidden_act = "silu";
  c.scale_factor = scale;
  c.image_token_id = 49190;
  return c;
}

void write_json(const fs::path& p, const json& j) {
  std::ofstream out(p);
  if (!out) throw Error(p.string() + ": cannot write");
  out << j.dump(2) << "\n";
}

json config_json(const formats::SmolVlmConfig& c) {
  const auto& t = c.text;
  const auto& v = c.vision;
  return {{"architectures", {"SmolVLMForConditionalGeneration"}},
          {"image_token_id", c.image_token_id},
          {"model_type", "smolvlm"},
          {"pad_token_id", 128002},
          {"scale_factor", c.scale_factor},
          {"tie_word_embeddings", t.tie_word_embeddings},
          {"torch_dtype", "float32"},
          {"transformers_version", "4.51.3"},
          {"use_cache", true},
          {"vocab_size", t.vocab_size},
          {"text_config",
           {{"model_type", "llama"}, {"hidden_size", t.hidden_size}, {"intermediate_size", t.intermediate_size},
            {"num_hidden_layers", t.num_hidden_layers}, {"num_attention_heads", t.num_attention_heads},
            {"num_key_value_heads", t.num_key_value_heads}, {"head_dim", t.head_dim}, {"hidden_act", "silu"},
            {"max_position_embeddings", t.max_position_embeddings}, {"rms_norm_eps", t.rms_norm_eps},
            {"rope_theta", t.rope_theta}, {"rope_scaling", nullptr}, {"vocab_size", t.vocab_size},
            {"attention_bias", false}, {"mlp_bias", false}, {"pad_token_id", 2}}},
          {"vision_config",
           {{"model_type", "smolvlm_vision"}, {"hidden_size", v.hidden_size},
            {"intermediate_size", v.intermediate_size}, {"num_hidden_layers", v.num_hidden_layers},
            {"num_attention_heads", v.num_attention_heads}, {"num_channels", 3}, {"image_size", v.image_size},
            {"patch_size", v.patch_size}, {"hidden_act", "gelu_pytorch_tanh"}, {"layer_norm_eps", 1e-6}}}};
}

// GPT-2's byte -> printable code point table, in its own order.
std::vector<std::string> byte_symbols() {
  std::vector<int> bs;
  for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
  std::vector<int> cs = bs;
  int extra = 0;
  for (int b = 0; b < 256; ++b)
    if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
      bs.push_back(b);
      cs.push_back(256 + extra++);
    }
  std::vector<std::string> out;
  for (int cp : cs) {  // UTF-8 of code points < 0x800
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    out.push_back(s);
  }
  return out;
}

void write_tokenizer_files(const fs::path& dir) {
  const std::vector<std::string> specials = {
      "<|endoftext|>",   "<|im_start|>",    "<|im_end|>",     "<repo_name>",    "<reponame>",     "<file_sep>",
      "<filename>",      "<gh_stars>",      "<issue_start>",  "<issue_comment>", "<issue_closed>", "<jupyter_start>",
      "<jupyter_text>",  "<jupyter_code>",  "<jupyter_output>", "<jupyter_script>", "<empty_output>"};
  json vocab = json::object();
  int next = 0;
  for (const auto& s : specials) vocab[s] = next++;
  const auto symbols = byte_symbols();
  for (const auto& s : symbols) vocab[s] = next++;
  // Arbitrary but valid merges: pairs of byte symbols, until the base vocabulary is full.
  json merges = json::array();
  std::string merges_txt = "#version: 0.2\n";
  for (std::size_t a = 0; a < symbols.size() && next < kBaseVocab; ++a)
    for (std::size_t b = 0; b < symbols.size() && next < kBaseVocab; ++b) {
      vocab[symbols[a] + symbols[b]] = next++;
      merges.push_back({symbols[a], symbols[b]});
      merges_txt += symbols[a] + " " + symbols[b] + "\n";
    }
  std::vector<std::string> added = {"<global-img>"};
  for (int r = 1; r <= 6; ++r)
    for (int c = 1; c <= 6; ++c) added.push_back("<row_" + std::to_string(r) + "_col_" + std::to_string(c) + ">");
  added.push_back("<fake_token_around_image>");
  added.push_back("<image>");
  for (int i = 0; kBaseVocab + static_cast<int>(added.size()) < kVocab - 1; ++i)
    added.push_back("<|reserved_special_token_" + std::to_string(i) + "|>");
  added.push_back("<end_of_utterance>");

  auto token_entry = [](int id, const std::string& content) {
    return json{{"id", id},           {"content", content}, {"single_word", false}, {"lstrip", false},
                {"rstrip", false},    {"normalized", false}, {"special", true}};
  };
  json added_tokens = json::array(), added_map = json::object(), decoder = json::object();
  for (int i = 0; i < static_cast<int>(specials.size()); ++i) added_tokens.push_back(token_entry(i, specials[i]));
  for (int i = 0; i < static_cast<int>(added.size()); ++i) {
    added_tokens.push_back(token_entry(kBaseVocab + i, added[i]));
    added_map[added[i]] = kBaseVocab + i;
  }
  for (const auto& e : added_tokens) {
    json d = e;
    d.erase("id");
    decoder[std::to_string(e["id"].get<int>())] = d;
  }
  const json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  write_json(dir / "tokenizer.json",
             {{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", added_tokens},
              {"normalizer", nullptr},
              {"pre_tokenizer",
               {{"type", "Sequence"},
                {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}}, byte_level}}}},
              {"post_processor", byte_level},
              {"decoder", byte_level},
              {"model",
               {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false},
                {"ignore_merges", false}, {"vocab", vocab}, {"merges", merges}}}});
  write_json(dir / "vocab.json", vocab);
  std::ofstream(dir / "merges.txt") << merges_txt;
  write_json(dir / "added_tokens.json", added_map);
  const json extra = {{"end_of_utterance_token", "<end_of_utterance>"}, {"fake_image_token", "<fake_token_around_image>"},
                      {"global_image_token", "<global-img>"}, {"image_token", "<image>"}};
  write_json(dir / "special_tokens_map.json",
             {{"additional_special_tokens", {"<fake_token_around_image>", "<image>", "<end_of_utterance>"}},
              {"bos_token", "<|im_start|>"}, {"eos_token", "<end_of_utterance>"}, {"pad_token", "<|im_end|>"},
              {"unk_token", "<|endoftext|>"}});
  json tc = {{"add_prefix_space", false},
             {"added_tokens_decoder", decoder},
             {"additional_special_tokens", {"<fake_token_around_image>", "<image>", "<end_of_utterance>"}},
             {"bos_token", "<|im_start|>"},
             {"clean_up_tokenization_spaces", false},
             {"eos_token", "<end_of_utterance>"},
             {"extra_special_tokens", extra},
             {"legacy", false},
             {"model_max_length", 8192},
             {"pad_token", "<|im_end|>"},
             {"processor_class", "SmolVLMProcessor"},
             {"tokenizer_class", "GPT2Tokenizer"},
             {"truncation_side", "left"},
             {"unk_token", "<|endoftext|>"},
             {"vocab_size", kBaseVocab}};
  for (const auto& [k, v] : extra.items()) tc[k] = v;
  write_json(dir / "tokenizer_config.json", tc);
  write_json(dir / "chat_template.json", {{"chat_template", kChatTemplate}});
}

void write_processor_files(const fs::path& dir, const CheckpointShape& shape) {
  write_json(dir / "preprocessor_config.json",
             {{"do_convert_rgb", true}, {"do_image_splitting", true}, {"do_normalize", true}, {"do_pad", true},
              {"do_rescale", true}, {"do_resize", true}, {"image_mean", {0.5, 0.5, 0.5}},
              {"image_processor_type", "SmolVLMImageProcessor"}, {"image_std", {0.5, 0.5, 0.5}},
              {"max_image_size", {{"longest_edge", shape.max_image_size}}}, {"processor_class", "SmolVLMProcessor"},
              {"resample", 1}, {"rescale_factor", 0.00392156862745098},
              {"size", {{"longest_edge", shape.longest_edge}}},
              {"video_sampling",
               {{"fps", 1}, {"max_frames", 64}, {"video_size", {{"longest_edge", shape.max_image_size}}}}}});
  write_json(dir / "processor_config.json",
             {{"image_seq_len", shape.config.image_seq_len()}, {"processor_class", "SmolVLMProcessor"}});
  write_json(dir / "generation_config.json",
             {{"bos_token_id", 0}, {"eos_token_id", 49279}, {"pad_token_id", 2}, {"transformers_version", "4.51.3"}});
}

// Small, fast, reproducible normal-ish values (sum of uniforms), std ~ `scale`.
class WeightRng {
 public:
  explicit WeightRng(std::uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  float next(float scale) {
    float sum = 0;
    for (int i = 0; i < 4; ++i) sum += static_cast<float>(step() >> 40) * (1.0f / 16777216.0f);
    return (sum - 2.0f) * 1.7320508f * scale;  // 4 uniforms: variance 1/3
  }

 private:
  std::uint64_t step() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  std::uint64_t s_;
};

bool is_norm_weight(const std::string& name) {
  auto ends = [&](const char* suffix) {
    const std::string s = suffix;
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends("norm.weight") || ends("layer_norm1.weight") || ends("layer_norm2.weight") ||
         ends("layernorm.weight");
}

}  // namespace

std::vector<std::string> checkpoint_shape_names() { return {"256M", "500M", "2.2B"}; }

CheckpointShape checkpoint_shape(const std::string& name) {
  if (name == "256M") return {name, make_config(768, 3072, 12, 12, 512, 16, 576, 1536, 30, 9, 3, 100000, 8192, 4), 2048, 512};
  if (name == "500M") return {name, make_config(768, 3072, 12, 12, 512, 16, 960, 2560, 32, 15, 5, 100000, 8192, 4), 2048, 512};
  if (name == "2.2B")
    return {name, make_config(1152, 4304, 27, 16, 384, 14, 2048, 8192, 24, 32, 32, 130000, 16384, 3), 1536, 384};
  throw Error("unknown checkpoint shape '" + name + "' (known: 256M, 500M, 2.2B)");
}

void write_random_checkpoint(const CheckpointShape& shape, const fs::path& dir, const RandomCheckpointOptions& options) {
  fs::create_directories(dir);
  auto cfg = config_json(shape.config);
  cfg["torch_dtype"] = options.dtype == formats::DType::F32 ? "float32"
                       : options.dtype == formats::DType::BF16 ? "bfloat16" : "float16";
  write_json(dir / "config.json", cfg);
  write_processor_files(dir, shape);
  write_tokenizer_files(dir);

  // Plan shards: tensors in name order (as the real writer sorts them), a new
  // shard when the current one would pass max_shard_bytes.
  auto tensors = expected_tensors(shape.config);
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  const std::size_t esize = formats::dtype_size(options.dtype);
  std::vector<std::vector<const ExpectedTensor*>> shards(1);
  std::uint64_t in_shard = 0, total_bytes = 0;
  for (const auto& t : tensors) {
    std::uint64_t n = esize;
    for (auto d : t.shape) n *= static_cast<std::uint64_t>(d);
    if (in_shard > 0 && in_shard + n > options.max_shard_bytes) {
      shards.emplace_back();
      in_shard = 0;
    }
    shards.back().push_back(&t);
    in_shard += n;
    total_bytes += n;
  }

  WeightRng rng(options.seed);
  std::uint64_t written = 0;
  json weight_map = json::object();
  std::vector<char> buffer;
  for (std::size_t s = 0; s < shards.size(); ++s) {
    char shard_name[64];
    std::snprintf(shard_name, sizeof shard_name, "model-%05zu-of-%05zu.safetensors", s + 1, shards.size());
    const std::string file = shards.size() == 1 ? "model.safetensors" : shard_name;
    json header = {{"__metadata__", {{"format", "pt"}}}};
    std::uint64_t offset = 0;
    for (const auto* t : shards[s]) {
      std::uint64_t n = esize;
      for (auto d : t->shape) n *= static_cast<std::uint64_t>(d);
      header[t->name] = {{"dtype", std::string(formats::dtype_name(options.dtype))},
                         {"shape", t->shape},
                         {"data_offsets", {offset, offset + n}}};
      offset += n;
      weight_map[t->name] = file;
    }
    std::string h = header.dump();
    while (h.size() % 8) h += ' ';
    std::ofstream out(dir / file, std::ios::binary | std::ios::trunc);
    if (!out) throw Error((dir / file).string() + ": cannot write");
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((h.size() >> (8 * i)) & 0xff));
    out << h;
    for (const auto* t : shards[s]) {
      std::uint64_t count = 1;
      for (auto d : t->shape) count *= static_cast<std::uint64_t>(d);
      const bool norm = is_norm_weight(t->name);
      buffer.resize(static_cast<std::size_t>(count * esize));
      for (std::uint64_t i = 0; i < count; ++i) {
        const float v = norm ? 1.0f + rng.next(0.02f) : rng.next(0.02f);
        if (options.dtype == formats::DType::F32) {
          std::memcpy(&buffer[i * 4], &v, 4);
        } else {
          const std::uint16_t b = formats::f32_to_bf16(v);  // F16 shapes are rare: write bf16 bits only for BF16
          if (options.dtype != formats::DType::BF16) throw Error("random checkpoints support F32 and BF16 only");
          std::memcpy(&buffer[i * 2], &b, 2);
        }
      }
      out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      written += buffer.size();
      if (options.progress) options.progress(static_cast<double>(written) / static_cast<double>(total_bytes));
    }
    if (!out) throw Error((dir / file).string() + ": write failed (disk full?)");
  }
  if (shards.size() > 1)
    write_json(dir / "model.safetensors.index.json", {{"metadata", {{"total_size", total_bytes}}}, {"weight_map", weight_map}});
}

}  // namespace prism::models
