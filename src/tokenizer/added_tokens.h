// Added tokens (special or not) are cut out of the text before
// pre-tokenization, longest match first, with the lstrip / rstrip /
// single_word flags of the tokenizers library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/bpe.h"
#include "tokenizer/unicode_regex.h"

namespace prism::tokenizer {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = false;
};

// A piece of the input: either an added token (id set) or plain text.
struct Segment {
  std::size_t begin, end;  // byte range in the input
  std::optional<int32_t> token;
};

class AddedVocabulary {
 public:
  AddedVocabulary();
  // Reads the "added_tokens" array; `where` names the file for errors.
  // Ids are assigned as the tokenizers library does when it loads a file:
  // a token already in the vocabulary keeps that id, a new one takes the
  // next id after the model vocabulary and earlier added tokens (the "id"
  // written in the file is only checked, with a warning on mismatch).
  static AddedVocabulary from_json(const nlohmann::json& added_tokens, const BpeModel& model, const std::string& where);

  // Splits `text` into segments that cover it completely, in order.
  std::vector<Segment> split(std::string_view text) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // Leftmost-longest matching over one group of tokens (those matched on the
  // raw text, then those matched on normalized text; with no normalizer the
  // two coincide, but the order between them still matters).
  struct Trie {
    struct Node {
      std::vector<std::pair<unsigned char, int>> children;
      int token = -1;  // index into tokens_
    };
    std::vector<Node> nodes{Node{}};
    void insert(std::string_view s, int token);
    // Longest token starting at `pos`, or -1; sets *length.
    int longest_at(std::string_view text, std::size_t pos, std::size_t* length) const;
  };
  void split_with(const Trie& trie, std::string_view text, std::size_t offset, std::vector<Segment>& out) const;

  std::vector<AddedToken> tokens_;
  Trie raw_trie_, normalized_trie_;
  UnicodeRegex word_char_, space_char_;
};

}  // namespace prism::tokenizer
