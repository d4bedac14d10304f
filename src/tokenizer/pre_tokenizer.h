// Pre-tokenization: cuts text into the words BPE runs on, as the tokenizers
// library's pre_tokenizer section describes (Sequence of Digits / Split,
// ending in ByteLevel), and maps the words to the byte-level alphabet.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/unicode_regex.h"

namespace prism::tokenizer {

class PreTokenizer {
 public:
  // `where` names the file for error messages. Throws prism::Error on an
  // unsupported or malformed configuration.
  static PreTokenizer from_json(const nlohmann::json& node, const std::string& where);

  // Appends the byte-level words of `text` (valid UTF-8) to `words`.
  void split(std::string_view text, std::vector<std::string>& words) const;

 private:
  enum class StepKind { kIsolate, kRemove, kByteLevel };
  struct Step {
    StepKind kind;
    std::shared_ptr<UnicodeRegex> regex;  // null for ByteLevel without use_regex
    bool add_prefix_space = false;
  };
  std::vector<Step> steps_;
};

}  // namespace prism::tokenizer
