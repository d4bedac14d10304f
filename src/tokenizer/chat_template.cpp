#include "tokenizer/chat_template.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "core/error.h"

namespace prism::tokenizer {

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

nlohmann::json read_json(const std::filesystem::path& path) {
  try {
    return nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path.string() + ": not valid JSON: " + e.what());
  }
}

// A "chat_template" value: a string, or a list of named templates.
std::optional<std::string> pick_template(const nlohmann::json& value, const std::filesystem::path& file) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string names;
    for (const auto& entry : value) {
      if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") || !entry["template"].is_string()) {
        throw Error(file.string() + ": chat_template list entries must be {\"name\": ..., \"template\": \"...\"}");
      }
      if (entry["name"] == "default") return entry["template"].get<std::string>();
      names += (names.empty() ? "" : ", ") + entry["name"].dump();
    }
    throw Error(file.string() + ": chat_template lists no template named \"default\" (has " + names + ")");
  }
  if (value.is_null()) return std::nullopt;
  throw Error(file.string() + ": chat_template must be a string or a list of named templates");
}

// Special tokens may be written as a string or as an AddedToken object.
std::optional<std::string> token_content(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) return value["content"].get<std::string>();
  return std::nullopt;
}

}  // namespace

ChatTemplate::ChatTemplate(std::string source, std::string name, nlohmann::json special_tokens)
    : source_(std::move(source)),
      template_(jinja::Template::parse(source_, name)),
      special_tokens_(std::move(special_tokens)) {}

ChatTemplate ChatTemplate::from_string(std::string source) {
  return ChatTemplate(std::move(source), "chat template", nlohmann::json::object());
}

ChatTemplate ChatTemplate::from_source(std::string source, std::string where, nlohmann::json special_tokens) {
  return ChatTemplate(std::move(source), std::move(where), std::move(special_tokens));
}

bool ChatTemplate::checkpoint_has_template(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir / "chat_template.jinja", ec) || std::filesystem::exists(dir / "chat_template.json", ec))
    return true;
  const auto config_file = dir / "tokenizer_config.json";
  if (!std::filesystem::exists(config_file, ec)) return false;
  const auto config = nlohmann::json::parse(read_text(config_file), nullptr, false);
  return config.is_object() && config.contains("chat_template") && !config["chat_template"].is_null();
}

ChatTemplate ChatTemplate::load_from_checkpoint(const std::filesystem::path& dir) {
  const auto jinja_file = dir / "chat_template.jinja";
  const auto json_file = dir / "chat_template.json";
  const auto config_file = dir / "tokenizer_config.json";

  nlohmann::json special = nlohmann::json::object();
  nlohmann::json config;
  if (std::filesystem::exists(config_file)) {
    config = read_json(config_file);
    if (!config.is_object()) throw Error(config_file.string() + ": must hold a JSON object");
    for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
      if (!config.contains(key)) continue;
      if (auto content = token_content(config[key])) special[key] = *content;
    }
    if (config.contains("additional_special_tokens") && config["additional_special_tokens"].is_array()) {
      auto list = nlohmann::json::array();
      for (const auto& token : config["additional_special_tokens"]) {
        if (auto content = token_content(token)) list.push_back(*content);
      }
      special["additional_special_tokens"] = list;
    }
  }

  if (std::filesystem::exists(jinja_file)) {
    return ChatTemplate(read_text(jinja_file), jinja_file.string(), special);
  }
  if (std::filesystem::exists(json_file)) {
    const auto doc = read_json(json_file);
    if (!doc.is_object() || !doc.contains("chat_template")) throw Error(json_file.string() + ": no \"chat_template\" key");
    if (auto source = pick_template(doc["chat_template"], json_file)) {
      return ChatTemplate(std::move(*source), json_file.string(), special);
    }
  }
  if (config.is_object() && config.contains("chat_template")) {
    if (auto source = pick_template(config["chat_template"], config_file)) {
      return ChatTemplate(std::move(*source), config_file.string(), special);
    }
  }
  throw Error(dir.string() + ": no chat template (looked for chat_template.jinja, chat_template.json and "
                             "\"chat_template\" in tokenizer_config.json)");
}

namespace {

template <typename Json>
Json build_context(const nlohmann::json& special_tokens, const Json& messages, bool add_generation_prompt,
                   const Json& extra_context) {
  if (!messages.is_array()) throw InvalidInput("chat messages must be a JSON array");
  if (!extra_context.is_object()) throw Error("chat template extra context must be a JSON object");
  // The variables transformers' apply_chat_template passes.
  Json context = Json::parse(special_tokens.dump());
  context["messages"] = messages;
  context["add_generation_prompt"] = add_generation_prompt;
  context["tools"] = nullptr;
  context["documents"] = nullptr;
  for (const auto& [key, value] : extra_context.items()) context[key] = value;
  return context;
}

}  // namespace

std::string ChatTemplate::render(const nlohmann::json& messages, bool add_generation_prompt,
                                 const nlohmann::json& extra_context) const {
  return template_.render(build_context(special_tokens_, messages, add_generation_prompt, extra_context));
}

std::string ChatTemplate::render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                 const nlohmann::ordered_json& extra_context) const {
  return template_.render(build_context(special_tokens_, messages, add_generation_prompt, extra_context));
}

}  // namespace prism::tokenizer
