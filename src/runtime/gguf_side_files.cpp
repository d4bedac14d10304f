#include "runtime/gguf_side_files.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace prism::runtime {

using nlohmann::json;

namespace {

// llama.cpp's token types (gguf.TokenType).
constexpr std::int32_t kNormal = 1, kControl = 3, kUserDefined = 4, kUnused = 5;

// The pre-tokenizer tokenizer.json writes for each tokenizer.ggml.pre name
// prism knows; the name is all the GGUF keeps of it.
json pre_tokenizer_for(const std::string& pre, const std::string& where) {
  const json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  if (pre == "smollm")  // SmolLM2: every digit on its own, then GPT-2's split
    return {{"type", "Sequence"},
            {"pretokenizers", json::array({{{"type", "Digits"}, {"individual_digits", true}}, byte_level})}};
  if (pre == "gpt2") return byte_level;
  throw Error(where + ": tokenizer.ggml.pre '" + pre +
              "' is a pre-tokenizer prism cannot rebuild from GGUF metadata (it knows smollm and gpt2); put the "
              "checkpoint's tokenizer.json beside the file");
}

std::optional<std::int32_t> optional_id(const formats::GgufFile& f, const std::string& key) {
  if (!f.has(key)) return std::nullopt;
  return f.get_i32(key);
}

}  // namespace

json gguf_tokenizer_json(const formats::GgufFile& text) {
  const std::string where = text.path().string();
  const std::string model = text.get_string("tokenizer.ggml.model");
  if (model != "gpt2")
    throw Error(where + ": tokenizer.ggml.model '" + model + "' is not supported (only gpt2, byte-level BPE)");
  const auto tokens = text.get_array<std::string>("tokenizer.ggml.tokens");
  std::vector<std::int32_t> types(tokens.size(), kNormal);
  if (text.has("tokenizer.ggml.token_type")) types = text.get_array<std::int32_t>("tokenizer.ggml.token_type");
  if (types.size() != tokens.size())
    throw Error(where + ": tokenizer.ggml.token_type has " + std::to_string(types.size()) + " entries for " +
                std::to_string(tokens.size()) + " tokens");
  json vocab = json::object(), added = json::array();
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    const auto type = types[id];
    if (type == kUnused) continue;  // the converter's [PADn] fillers up to the model's vocab_size
    if (vocab.contains(tokens[id]))
      throw Error(where + ": tokenizer.ggml.tokens holds '" + tokens[id] + "' twice (ids " +
                  std::to_string(vocab[tokens[id]].get<std::int64_t>()) + " and " + std::to_string(id) + ")");
    vocab[tokens[id]] = id;
    if (type == kControl || type == kUserDefined)
      added.push_back({{"id", id},
                       {"content", tokens[id]},
                       {"special", type == kControl},
                       {"normalized", type == kUserDefined},
                       {"single_word", false},
                       {"lstrip", false},
                       {"rstrip", false}});
  }
  json merges = json::array();
  if (text.has("tokenizer.ggml.merges"))
    for (auto& m : text.get_array<std::string>("tokenizer.ggml.merges")) merges.push_back(std::move(m));
  return {{"model", {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", std::move(merges)}}},
          {"normalizer", nullptr},
          {"pre_tokenizer", pre_tokenizer_for(text.get_string("tokenizer.ggml.pre", "gpt2"), where)},
          {"decoder", {{"type", "ByteLevel"}}},
          {"added_tokens", std::move(added)}};
}

tokenizer::Tokenizer gguf_tokenizer(const formats::GgufFile& text) {
  return tokenizer::Tokenizer::from_json(gguf_tokenizer_json(text), text.path().string() + " (tokenizer.ggml.*)");
}

tokenizer::ChatTemplate gguf_chat_template(const formats::GgufFile& text) {
  const std::string where = text.path().string();
  if (!text.has("tokenizer.chat_template"))
    throw Error(where + ": no tokenizer.chat_template in the metadata and no chat template beside the file");
  const auto tokens = text.get_array<std::string>("tokenizer.ggml.tokens");
  json special = json::object();
  for (const char* name : {"bos", "eos", "unknown", "padding"}) {
    const auto id = optional_id(text, std::string("tokenizer.ggml.") + name + "_token_id");
    if (!id) continue;
    if (*id < 0 || static_cast<std::size_t>(*id) >= tokens.size())
      throw Error(where + ": tokenizer.ggml." + name + "_token_id " + std::to_string(*id) + " is not a token id");
    const std::string key = std::string(name) == "unknown" ? "unk_token" : std::string(name) == "padding" ? "pad_token"
                                                                                                          : std::string(name) + "_token";
    special[key] = tokens[static_cast<std::size_t>(*id)];
  }
  return tokenizer::ChatTemplate::from_source(text.get_string("tokenizer.chat_template"),
                                              where + " (tokenizer.chat_template)", std::move(special));
}

formats::GenerationConfig gguf_generation_config(const formats::GgufFile& text) {
  formats::GenerationConfig config;
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"})
    if (const auto id = optional_id(text, key))
      if (std::find(config.eos_token_ids.begin(), config.eos_token_ids.end(), *id) == config.eos_token_ids.end())
        config.eos_token_ids.push_back(*id);
  config.bos_token_id = optional_id(text, "tokenizer.ggml.bos_token_id");
  config.pad_token_id = optional_id(text, "tokenizer.ggml.padding_token_id");
  return config;
}

vision::ImageProcessorConfig gguf_image_processor_config(const formats::GgufFile& mmproj, int image_seq_len) {
  const std::string where = mmproj.path().string();
  vision::ImageProcessorConfig config;
  config.max_image_size = static_cast<int>(mmproj.get_u32("clip.vision.image_size"));
  // The converter writes preprocessor_config.json's size.longest_edge here,
  // falling back to the tile size itself.
  config.longest_edge = static_cast<int>(mmproj.get_u32("clip.vision.preproc_image_size",
                                                        static_cast<std::uint32_t>(config.max_image_size)));
  if (config.longest_edge < config.max_image_size)
    throw Error(where + ": clip.vision.preproc_image_size " + std::to_string(config.longest_edge) +
                " is smaller than clip.vision.image_size " + std::to_string(config.max_image_size));
  auto three = [&](const char* key, float fallback) {
    std::array<float, 3> out{fallback, fallback, fallback};
    if (!mmproj.has(key)) return out;
    const auto v = mmproj.get_array<float>(key);
    if (v.size() != 3) throw Error(where + ": " + key + " must hold 3 numbers, not " + std::to_string(v.size()));
    std::copy(v.begin(), v.end(), out.begin());
    return out;
  };
  config.image_mean = three("clip.vision.image_mean", 0.5f);
  config.image_std = three("clip.vision.image_std", 0.5f);
  for (float s : config.image_std)
    if (s == 0.0f) throw Error(where + ": clip.vision.image_std must not contain 0");
  config.image_seq_len = image_seq_len;
  // prism quantize keeps the checkpoint's video sampling in prism.video.*;
  // other files get SmolVLM2's (one tile per frame).
  vision::VideoSamplingConfig video;
  video.fps = mmproj.get_f32("prism.video.fps", static_cast<float>(video.fps));
  video.max_frames = static_cast<int>(mmproj.get_u32("prism.video.max_frames", static_cast<std::uint32_t>(video.max_frames)));
  video.video_longest_edge = static_cast<int>(
      mmproj.get_u32("prism.video.longest_edge", static_cast<std::uint32_t>(config.max_image_size)));
  if (!(video.fps > 0) || video.max_frames <= 0 || video.video_longest_edge <= 0)
    throw Error(where + ": prism.video.* must be positive (fps, max_frames, longest_edge)");
  config.video_sampling = video;
  return config;
}

}  // namespace prism::runtime
