// A checkpoint's chat template: the Jinja source from the checkpoint folder
// plus the special tokens transformers passes to it, rendered exactly as
// transformers' apply_chat_template does.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tokenizer/jinja.h"

namespace prism::tokenizer {

class ChatTemplate {
 public:
  // Reads chat_template.jinja, chat_template.json ({"chat_template": ...}) or
  // tokenizer_config.json's "chat_template" (a string, or a list of
  // {"name", "template"} from which "default" is taken), in that order, plus
  // the special tokens (bos_token, eos_token, ...) of tokenizer_config.json.
  // Throws prism::Error naming the folder or file when none is usable.
  static ChatTemplate load_from_checkpoint(const std::filesystem::path& checkpoint_dir);
  // Whether load_from_checkpoint would find a template there (a file that
  // holds one may still be broken: load_from_checkpoint then says how).
  static bool checkpoint_has_template(const std::filesystem::path& checkpoint_dir);
  static ChatTemplate from_string(std::string source);
  // A template from elsewhere (e.g. GGUF metadata); `where` names it in errors.
  static ChatTemplate from_source(std::string source, std::string where, nlohmann::json special_tokens);

  // `messages` in the form the template expects (for SmolVLM, content is a
  // list of {"type": "text", "text": ...} / {"type": "image"} parts).
  // `extra_context` keys are added to (and override) the template variables.
  std::string render(const nlohmann::json& messages, bool add_generation_prompt,
                     const nlohmann::json& extra_context = nlohmann::json::object()) const;
  // Same with ordered JSON, so object keys keep their order (as transformers,
  // working on Python dicts, would print them with tojson). nlohmann::json
  // sorts object keys; prefer this overload when that order matters (tools).
  std::string render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                     const nlohmann::ordered_json& extra_context) const;

  const std::string& source() const { return source_; }
  // Special tokens passed to the template (e.g. {"bos_token": "<|im_start|>"}).
  const nlohmann::json& special_tokens() const { return special_tokens_; }

 private:
  ChatTemplate(std::string source, std::string name, nlohmann::json special_tokens);

  std::string source_;
  jinja::Template template_;
  nlohmann::json special_tokens_;
};

}  // namespace prism::tokenizer
