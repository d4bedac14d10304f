// Byte-level BPE tokenizer loaded from a Hugging Face tokenizer.json, with
// the same results as the tokenizers library (added tokens first, then the
// pre-tokenizer, then BPE merges by rank).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace prism::tokenizer {

class Tokenizer {
 public:
  // Throws prism::Error naming the file and what is wrong or unsupported.
  // Copies are cheap and share the (immutable, thread-safe) vocabulary.
  static Tokenizer load(const std::filesystem::path& tokenizer_json);
  // Same from an already parsed document; `where` names it in errors.
  static Tokenizer from_json(const nlohmann::json& document, const std::string& where);

  // Ids of `text` without BOS/EOS (add_special_tokens=False). Invalid UTF-8
  // bytes are replaced by U+FFFD first, as a Python str would have to be.
  std::vector<int32_t> encode(std::string_view text) const;
  // Text of `ids`; unknown ids are skipped, as in the reference.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // The token's string as stored in the file; empty for an unknown id.
  std::string id_to_token(int32_t id) const;
  // Number of distinct ids, added tokens included.
  std::size_t vocab_size() const;
  bool is_special(int32_t id) const;

  // Raw bytes one id stands for (what decode concatenates); empty when the
  // id is unknown or is a special token being skipped.
  std::string token_bytes(int32_t id, bool skip_special_tokens) const;

 private:
  struct State;
  std::shared_ptr<const State> state_;
};

// Incremental detokenizer for streaming: returns the new text for each id,
// holding back the bytes of an incomplete UTF-8 sequence. The concatenation of
// every push() and the final flush() equals Tokenizer::decode of all ids.
// Keeps its own (cheap, shared-state) copy of the tokenizer.
class StreamingDecoder {
 public:
  StreamingDecoder(const Tokenizer& tokenizer, bool skip_special_tokens);
  std::string push(int32_t id);
  // Emits what is held back (an incomplete sequence becomes U+FFFD).
  std::string flush();

 private:
  Tokenizer tokenizer_;
  bool skip_special_tokens_;
  std::string pending_;
};

}  // namespace prism::tokenizer
