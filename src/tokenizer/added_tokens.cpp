#include "tokenizer/added_tokens.h"

#include <algorithm>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"

namespace prism::tokenizer {

// Word characters as the regex crate's Unicode \w defines them (PCRE2's own
// \w lacks marks and connector punctuation before 10.43).
AddedVocabulary::AddedVocabulary() : word_char_(R"(^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}])", "added tokens"), space_char_(R"(^\s)", "added tokens") {}

void AddedVocabulary::Trie::insert(std::string_view s, int token) {
  int node = 0;
  for (unsigned char c : s) {
    int child = -1;
    for (const auto& [byte, index] : nodes[node].children) {
      if (byte == c) child = index;
    }
    if (child < 0) {
      child = static_cast<int>(nodes.size());
      nodes[node].children.emplace_back(c, child);
      nodes.emplace_back();
    }
    node = child;
  }
  // On duplicate contents the later entry wins, like a map insert.
  nodes[node].token = token;
}

int AddedVocabulary::Trie::longest_at(std::string_view text, std::size_t pos, std::size_t* length) const {
  int node = 0, best = -1;
  for (std::size_t i = pos; i < text.size(); ++i) {
    int child = -1;
    for (const auto& [byte, index] : nodes[node].children) {
      if (byte == static_cast<unsigned char>(text[i])) child = index;
    }
    if (child < 0) break;
    node = child;
    if (nodes[node].token >= 0) {
      best = nodes[node].token;
      *length = i + 1 - pos;
    }
  }
  return best;
}

AddedVocabulary AddedVocabulary::from_json(const nlohmann::json& added_tokens, const BpeModel& model,
                                           const std::string& where) {
  AddedVocabulary vocab;
  if (added_tokens.is_null()) return vocab;
  if (!added_tokens.is_array()) throw Error(where + ": 'added_tokens' must be an array");
  const auto model_size = static_cast<int32_t>(model.tokens().size());
  std::unordered_map<std::string, int32_t> assigned;
  std::optional<int32_t> max_assigned;
  for (const auto& entry : added_tokens) {
    AddedToken token;
    int64_t file_id = -1;
    try {
      if (entry.contains("id")) file_id = entry.at("id").get<int64_t>();
      token.content = entry.at("content").get<std::string>();
      token.special = entry.value("special", false);
      // The reference's default: special tokens are matched un-normalized.
      token.normalized = entry.value("normalized", !token.special);
      token.single_word = entry.value("single_word", false);
      token.lstrip = entry.value("lstrip", false);
      token.rstrip = entry.value("rstrip", false);
    } catch (const std::exception& e) {
      throw Error(where + ": malformed added_tokens entry " + entry.dump() + ": " + e.what());
    }
    if (token.content.empty()) continue;
    if (const auto it = assigned.find(token.content); it != assigned.end()) {
      token.id = it->second;
    } else if (const auto in_model = model.token_to_id(token.content)) {
      token.id = *in_model;
    } else if (!max_assigned || model_size == 0) {
      token.id = max_assigned ? *max_assigned + 1 : model_size;
    } else {
      token.id = *max_assigned >= model_size ? *max_assigned + 1 : model_size;
    }
    assigned[token.content] = token.id;
    max_assigned = max_assigned ? std::max(*max_assigned, token.id) : token.id;
    if (file_id >= 0 && file_id != token.id) {
      log::warn("added token id in tokenizer.json differs from the id the tokenizers library assigns; using the latter",
                {{"file", where}, {"token", token.content}, {"file_id", file_id}, {"id", token.id}});
    }
    const int index = static_cast<int>(vocab.tokens_.size());
    (token.normalized ? vocab.normalized_trie_ : vocab.raw_trie_).insert(token.content, index);
    vocab.tokens_.push_back(std::move(token));
  }
  return vocab;
}

void AddedVocabulary::split_with(const Trie& trie, std::string_view text, std::size_t offset,
                                 std::vector<Segment>& out) const {
  // Start byte of the character that ends just before `pos`.
  auto char_before = [&](std::size_t pos) {
    std::size_t p = pos - 1;
    while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
    return p;
  };
  auto char_after = [&](std::size_t pos) {
    std::size_t p = pos + 1;
    while (p < text.size() && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) ++p;
    return p;
  };
  // Class tests on exactly one (whole, valid) character.
  auto is_word_at = [&](std::size_t pos) {
    return pos < text.size() && !word_char_.find_all(text.substr(pos, char_after(pos) - pos)).empty();
  };
  auto is_space_at = [&](std::size_t pos) {
    return pos < text.size() && !space_char_.find_all(text.substr(pos, char_after(pos) - pos)).empty();
  };
  std::size_t emitted = 0;  // everything before this is already in `out`
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t length = 0;
    const int index = trie.nodes.size() > 1 ? trie.longest_at(text, pos, &length) : -1;
    if (index < 0) {
      pos = char_after(pos);
      continue;
    }
    const AddedToken& token = tokens_[index];
    std::size_t start = pos, stop = pos + length;
    if (token.single_word) {
      const bool word_before = start > 0 && is_word_at(char_before(start));
      const bool word_after = is_word_at(stop);
      if (word_before || word_after) {
        // Not a whole word here; like the reference's non-overlapping match
        // iterator, the next candidate starts after this match.
        pos = stop;
        continue;
      }
    }
    if (token.lstrip) {
      while (start > emitted && is_space_at(char_before(start))) start = char_before(start);
    }
    if (token.rstrip) {
      while (is_space_at(stop)) stop = char_after(stop);
    }
    if (start > emitted) out.push_back({offset + emitted, offset + start, std::nullopt});
    out.push_back({offset + start, offset + stop, token.id});
    emitted = stop;
    pos = stop;
  }
  if (emitted < text.size()) out.push_back({offset + emitted, offset + text.size(), std::nullopt});
}

std::vector<Segment> AddedVocabulary::split(std::string_view text) const {
  std::vector<Segment> first, result;
  split_with(raw_trie_, text, 0, first);
  for (const Segment& segment : first) {
    if (segment.token) {
      result.push_back(segment);
    } else {
      split_with(normalized_trie_, text.substr(segment.begin, segment.end - segment.begin), segment.begin, result);
    }
  }
  return result;
}

}  // namespace prism::tokenizer
