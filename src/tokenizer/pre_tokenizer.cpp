#include "tokenizer/pre_tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/byte_level.h"

namespace prism::tokenizer {

namespace {

// The GPT-2 pattern the ByteLevel pre-tokenizer uses when use_regex is true.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

bool flag(const nlohmann::json& node, const char* key, bool fallback) {
  const auto it = node.find(key);
  if (it == node.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw Error(std::string("'") + key + "' must be a boolean");
  return it->get<bool>();
}

// Escapes a literal so PCRE2 matches it verbatim.
std::string quote_literal(const std::string& s) { return "\\Q" + s + "\\E"; }

}  // namespace

PreTokenizer PreTokenizer::from_json(const nlohmann::json& node, const std::string& where) {
  PreTokenizer result;
  std::vector<const nlohmann::json*> items;
  if (node.is_null()) {
    throw Error(where + ": pre_tokenizer is null; only byte-level BPE (a ByteLevel pre-tokenizer) is supported");
  }
  if (!node.is_object() || !node.contains("type") || !node["type"].is_string()) {
    throw Error(where + ": pre_tokenizer must be an object with a string 'type'");
  }
  if (node["type"] == "Sequence") {
    const auto it = node.find("pretokenizers");
    if (it == node.end() || !it->is_array()) throw Error(where + ": Sequence pre_tokenizer needs a 'pretokenizers' array");
    for (const auto& item : *it) items.push_back(&item);
  } else {
    items.push_back(&node);
  }
  try {
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& item = *items[i];
      const std::string type = item.is_object() && item.contains("type") && item["type"].is_string()
                                   ? item["type"].get<std::string>()
                                   : std::string("<missing type>");
      if (!result.steps_.empty() && result.steps_.back().kind == StepKind::kByteLevel) {
        throw Error("pre-tokenizer '" + type + "' after ByteLevel is not supported (ByteLevel must come last)");
      }
      if (type == "Digits") {
        const bool individual = flag(item, "individual_digits", false);
        // char::is_numeric in Rust is the Unicode N categories.
        result.steps_.push_back({StepKind::kIsolate,
                                 std::make_shared<UnicodeRegex>(individual ? R"(\p{N})" : R"(\p{N}+)", where), false});
      } else if (type == "ByteLevel") {
        Step step{StepKind::kByteLevel, nullptr, flag(item, "add_prefix_space", false)};
        if (flag(item, "use_regex", true)) step.regex = std::make_shared<UnicodeRegex>(kGpt2Pattern, where);
        result.steps_.push_back(std::move(step));
      } else if (type == "Split") {
        if (flag(item, "invert", false)) throw Error("Split pre-tokenizer with invert=true is not supported");
        const auto& pattern = item.at("pattern");
        std::string regex;
        if (pattern.contains("Regex")) {
          regex = pattern["Regex"].get<std::string>();
        } else if (pattern.contains("String")) {
          regex = quote_literal(pattern["String"].get<std::string>());
        } else {
          throw Error("Split pre-tokenizer pattern must be {\"Regex\": ...} or {\"String\": ...}");
        }
        const std::string behavior = item.value("behavior", std::string("Isolated"));
        StepKind kind;
        if (behavior == "Isolated") {
          kind = StepKind::kIsolate;
        } else if (behavior == "Removed") {
          kind = StepKind::kRemove;
        } else {
          throw Error("Split pre-tokenizer behavior '" + behavior + "' is not supported (Isolated, Removed are)");
        }
        result.steps_.push_back({kind, std::make_shared<UnicodeRegex>(regex, where), false});
      } else {
        throw Error("pre-tokenizer type '" + type + "' is not supported (supported: Sequence, Digits, Split, ByteLevel)");
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": malformed pre_tokenizer: " + e.what());
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.rfind(where, 0) == 0) throw;
    throw Error(where + ": " + message);
  }
  if (result.steps_.empty() || result.steps_.back().kind != StepKind::kByteLevel) {
    throw Error(where + ": pre_tokenizer has no ByteLevel step; only byte-level BPE is supported");
  }
  return result;
}

void PreTokenizer::split(std::string_view text, std::vector<std::string>& words) const {
  std::vector<std::string> pieces{std::string(text)};
  std::vector<std::string> next;
  for (const Step& step : steps_) {
    next.clear();
    for (std::string& piece : pieces) {
      if (step.kind == StepKind::kByteLevel && step.add_prefix_space && piece.rfind(' ', 0) != 0) {
        piece.insert(piece.begin(), ' ');
      }
      if (!step.regex) {
        next.push_back(std::move(piece));
        continue;
      }
      // Isolated: matches and the gaps between them all become pieces;
      // Removed: only the gaps do. Empty pieces are dropped.
      std::size_t previous = 0;
      for (const auto& [begin, end] : step.regex->find_all(piece)) {
        if (begin > previous) next.push_back(piece.substr(previous, begin - previous));
        if (step.kind != StepKind::kRemove) next.push_back(piece.substr(begin, end - begin));
        previous = end;
      }
      if (previous < piece.size()) next.push_back(piece.substr(previous));
    }
    pieces.swap(next);
  }
  for (const std::string& piece : pieces) words.push_back(byte_level::encode(piece));
}

}  // namespace prism::tokenizer
