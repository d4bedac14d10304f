#include "tokenizer/bpe.h"

#include <queue>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace prism::tokenizer {

BpeModel::BpeModel(BpeModel&& other) noexcept
    : token_to_id_(std::move(other.token_to_id_)),
      id_to_token_(std::move(other.id_to_token_)),
      merges_(std::move(other.merges_)),
      unk_id_(other.unk_id_),
      fuse_unk_(other.fuse_unk_),
      ignore_merges_(other.ignore_merges_) {}

BpeModel& BpeModel::operator=(BpeModel&& other) noexcept {
  token_to_id_ = std::move(other.token_to_id_);
  id_to_token_ = std::move(other.id_to_token_);
  merges_ = std::move(other.merges_);
  unk_id_ = other.unk_id_;
  fuse_unk_ = other.fuse_unk_;
  ignore_merges_ = other.ignore_merges_;
  std::lock_guard lock(cache_mutex_);
  cache_.clear();
  return *this;
}

namespace {

bool is_unset(const nlohmann::json& model, const char* key) {
  const auto it = model.find(key);
  return it == model.end() || it->is_null();
}

}  // namespace

BpeModel BpeModel::from_json(const nlohmann::json& model, const std::string& where) {
  BpeModel bpe;
  if (!model.is_object()) throw Error(where + ": 'model' must be an object");
  const std::string type = model.value("type", std::string("BPE"));
  if (type != "BPE") throw Error(where + ": model type '" + type + "' is not supported (only BPE)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (!is_unset(model, key) && !(model[key].is_string() && model[key].get<std::string>().empty())) {
      throw Error(where + ": BPE model option '" + key + "' is not supported");
    }
  }
  if (!is_unset(model, "byte_fallback") && model["byte_fallback"].is_boolean() && model["byte_fallback"].get<bool>()) {
    throw Error(where + ": BPE model option 'byte_fallback' is not supported (byte-level BPE needs none)");
  }
  if (!is_unset(model, "dropout") && model["dropout"].is_number() && model["dropout"].get<double>() > 0.0) {
    throw Error(where + ": BPE dropout is not supported at inference");
  }
  const auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_object()) throw Error(where + ": model.vocab is missing or not an object");
  for (const auto& [token, id] : vocab->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      throw Error(where + ": model.vocab entry '" + token + "' has an invalid id " + id.dump());
    }
    const auto value = static_cast<int32_t>(id.get<int64_t>());
    bpe.token_to_id_[token] = value;
    bpe.id_to_token_[value] = token;
  }

  const auto merges = model.find("merges");
  if (merges != model.end() && !merges->is_null()) {
    if (!merges->is_array()) throw Error(where + ": model.merges must be an array");
    uint32_t rank = 0;
    for (const auto& entry : *merges) {
      std::string left, right;
      if (entry.is_string()) {
        // Legacy form "left right".
        const std::string line = entry.get<std::string>();
        const auto space = line.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 >= line.size()) {
          throw Error(where + ": merge #" + std::to_string(rank) + " \"" + line + "\" is not two tokens separated by a space");
        }
        left = line.substr(0, space);
        right = line.substr(space + 1);
      } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
        left = entry[0].get<std::string>();
        right = entry[1].get<std::string>();
      } else {
        throw Error(where + ": merge #" + std::to_string(rank) + " must be \"a b\" or [\"a\", \"b\"], got " + entry.dump());
      }
      const auto l = bpe.token_to_id_.find(left), r = bpe.token_to_id_.find(right);
      const auto m = bpe.token_to_id_.find(left + right);
      for (const auto* missing : {l == bpe.token_to_id_.end() ? &left : nullptr,
                                  r == bpe.token_to_id_.end() ? &right : nullptr}) {
        if (missing) throw Error(where + ": merge #" + std::to_string(rank) + " names token '" + *missing + "' that is not in the vocabulary");
      }
      if (m == bpe.token_to_id_.end()) {
        throw Error(where + ": merge #" + std::to_string(rank) + " produces '" + left + right + "' that is not in the vocabulary");
      }
      // A repeated pair takes its last rank, as the reference's map collect does.
      bpe.merges_.insert_or_assign(pair_key(l->second, r->second), Merge{rank, m->second});
      ++rank;
    }
  }
  if (!is_unset(model, "unk_token")) {
    const auto unk = model["unk_token"].get<std::string>();
    const auto it = bpe.token_to_id_.find(unk);
    if (it == bpe.token_to_id_.end()) throw Error(where + ": unk_token '" + unk + "' is not in the vocabulary");
    bpe.unk_id_ = it->second;
  }
  bpe.fuse_unk_ = model.value("fuse_unk", false);
  bpe.ignore_merges_ = model.value("ignore_merges", false);
  return bpe;
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  const auto it = token_to_id_.find(std::string(token));
  if (it == token_to_id_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  const auto it = id_to_token_.find(id);
  return it == id_to_token_.end() ? nullptr : &it->second;
}

std::vector<int32_t> BpeModel::merge_word(const std::string& word) const {
  if (ignore_merges_) {
    if (const auto it = token_to_id_.find(word); it != token_to_id_.end()) return {it->second};
  }
  // Symbols form a doubly linked list so merges are O(1); a heap orders the
  // candidate pairs by (rank, position) as the tokenizers library does.
  struct Symbol {
    int32_t id;
    int prev, next;
    bool alive;
  };
  std::vector<Symbol> symbols;
  std::size_t pos = 0;
  bool previous_unknown = false;
  while (pos < word.size()) {
    const std::size_t start = pos;
    utf8::next(word, pos);
    const auto it = token_to_id_.find(word.substr(start, pos - start));
    if (it != token_to_id_.end()) {
      symbols.push_back({it->second, 0, 0, true});
      previous_unknown = false;
    } else if (unk_id_) {
      if (!(fuse_unk_ && previous_unknown)) symbols.push_back({*unk_id_, 0, 0, true});
      previous_unknown = true;
    }
    // Without an unknown token the character is dropped, like the reference.
  }
  const int n = static_cast<int>(symbols.size());
  for (int i = 0; i < n; ++i) {
    symbols[i].prev = i - 1;
    symbols[i].next = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    uint32_t rank;
    int pos;
    int32_t merged_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto consider = [&](int left) {
    if (left < 0 || symbols[left].next < 0) return;
    const auto it = merges_.find(pair_key(symbols[left].id, symbols[symbols[left].next].id));
    if (it != merges_.end()) queue.push({it->second.rank, left, it->second.merged_id});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    // Skip stale entries: the pair at this position may have changed.
    const auto it = merges_.find(pair_key(left.id, symbols[left.next].id));
    if (it == merges_.end() || it->second.merged_id != top.merged_id || it->second.rank != top.rank) continue;
    Symbol& right = symbols[left.next];
    left.id = top.merged_id;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    consider(left.prev);
    consider(top.pos);
  }
  std::vector<int32_t> ids;
  for (int i = n > 0 ? 0 : -1; i >= 0; i = symbols[i].next) ids.push_back(symbols[i].id);
  return ids;
}

void BpeModel::tokenize(const std::string& word, std::vector<int32_t>& ids) const {
  {
    std::lock_guard lock(cache_mutex_);
    if (const auto it = cache_.find(word); it != cache_.end()) {
      ids.insert(ids.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> result = merge_word(word);
  ids.insert(ids.end(), result.begin(), result.end());
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() < kCacheCapacity) cache_.emplace(word, std::move(result));
}

}  // namespace prism::tokenizer
