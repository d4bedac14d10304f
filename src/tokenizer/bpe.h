// The BPE model of a tokenizer.json: vocabulary, ranked merges, and the
// merge loop that turns one pre-tokenized word into token ids.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace prism::tokenizer {

class BpeModel {
 public:
  // Reads the "model" section; `where` names the file for error messages.
  static BpeModel from_json(const nlohmann::json& model, const std::string& where);

  BpeModel() = default;
  BpeModel(BpeModel&& other) noexcept;
  BpeModel& operator=(BpeModel&& other) noexcept;

  // Appends the ids of one byte-level word.
  void tokenize(const std::string& word, std::vector<int32_t>& ids) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  const std::string* id_to_token(int32_t id) const;
  const std::unordered_map<int32_t, std::string>& tokens() const { return id_to_token_; }

 private:
  struct Merge {
    uint32_t rank;
    int32_t merged_id;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  std::vector<int32_t> merge_word(const std::string& word) const;

  std::unordered_map<std::string, int32_t> token_to_id_;
  std::unordered_map<int32_t, std::string> id_to_token_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;

  // Words repeat a lot in real text; remember their ids (bounded).
  static constexpr std::size_t kCacheCapacity = 10000;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace prism::tokenizer
