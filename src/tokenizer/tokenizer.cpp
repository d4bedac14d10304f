#include "tokenizer/tokenizer.h"

#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"

namespace prism::tokenizer {

struct Tokenizer::State {
  BpeModel model;
  AddedVocabulary added;
  PreTokenizer pre_tokenizer;
  std::unordered_map<int32_t, const AddedToken*> added_by_id;
  std::unordered_map<std::string, int32_t> added_by_content;
  std::unordered_set<std::string> special_contents;
  std::size_t vocab_size = 0;
};

namespace {

void require_supported(const nlohmann::json& document, const char* key, const char* allowed,
                       const std::string& where) {
  const auto it = document.find(key);
  if (it == document.end() || it->is_null()) return;
  const std::string type = it->is_object() && it->contains("type") && (*it)["type"].is_string()
                               ? (*it)["type"].get<std::string>()
                               : std::string("<no type>");
  if (allowed && type == allowed) return;
  throw Error(where + ": " + key + " type '" + type + "' is not supported" +
              (allowed ? std::string(" (only ") + allowed + " or null)" : std::string(" (only null)")));
}

}  // namespace

Tokenizer Tokenizer::load(const std::filesystem::path& tokenizer_json) {
  const std::string where = tokenizer_json.string();
  std::ifstream in(tokenizer_json, std::ios::binary);
  if (!in) throw Error(where + ": cannot open tokenizer file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(where + ": not valid JSON: " + e.what());
  }
  return from_json(document, where);
}

Tokenizer Tokenizer::from_json(const nlohmann::json& document, const std::string& where) {
  if (!document.is_object()) throw Error(where + ": tokenizer.json must hold a JSON object");
  const auto model = document.find("model");
  if (model == document.end() || model->is_null()) throw Error(where + ": no 'model' section");
  require_supported(document, "normalizer", nullptr, where);
  require_supported(document, "decoder", "ByteLevel", where);

  auto state = std::make_shared<State>();
  state->model = BpeModel::from_json(*model, where);
  state->pre_tokenizer = PreTokenizer::from_json(document.value("pre_tokenizer", nlohmann::json()), where);
  state->added = AddedVocabulary::from_json(document.value("added_tokens", nlohmann::json::array()), state->model, where);

  std::unordered_set<int32_t> ids;
  for (const auto& [id, token] : state->model.tokens()) ids.insert(id);
  for (const AddedToken& token : state->added.tokens()) {
    state->added_by_id[token.id] = &token;
    state->added_by_content[token.content] = token.id;
    if (token.special) state->special_contents.insert(token.content);
    ids.insert(token.id);
  }
  state->vocab_size = ids.size();

  Tokenizer tokenizer;
  tokenizer.state_ = std::move(state);
  return tokenizer;
}

std::vector<int32_t> Tokenizer::encode(std::string_view input) const {
  std::string repaired;
  if (!utf8::is_valid(input)) {
    repaired = utf8::lossy(input);
    input = repaired;
  }
  std::vector<int32_t> ids;
  std::vector<std::string> words;
  for (const Segment& segment : state_->added.split(input)) {
    if (segment.token) {
      ids.push_back(*segment.token);
      continue;
    }
    words.clear();
    state_->pre_tokenizer.split(input.substr(segment.begin, segment.end - segment.begin), words);
    for (const std::string& word : words) state_->model.tokenize(word, ids);
  }
  return ids;
}

std::string Tokenizer::token_bytes(int32_t id, bool skip_special_tokens) const {
  if (const auto it = state_->added_by_id.find(id); it != state_->added_by_id.end()) {
    const std::string& content = it->second->content;
    if (skip_special_tokens && state_->special_contents.count(content)) return {};
    return byte_level::token_bytes(content);
  }
  const std::string* token = state_->model.id_to_token(id);
  if (!token) return {};
  // The reference filters by content, so a model token that equals a special
  // token's content is skipped too.
  if (skip_special_tokens && state_->special_contents.count(*token)) return {};
  return byte_level::token_bytes(*token);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::string bytes;
  for (int32_t id : ids) bytes += token_bytes(id, skip_special_tokens);
  return utf8::lossy(bytes);
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (const auto it = state_->added_by_content.find(std::string(token)); it != state_->added_by_content.end()) {
    return it->second;
  }
  return state_->model.token_to_id(token);
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (const auto it = state_->added_by_id.find(id); it != state_->added_by_id.end()) return it->second->content;
  const std::string* token = state_->model.id_to_token(id);
  return token ? *token : std::string();
}

std::size_t Tokenizer::vocab_size() const { return state_->vocab_size; }

bool Tokenizer::is_special(int32_t id) const {
  const auto it = state_->added_by_id.find(id);
  return it != state_->added_by_id.end() && it->second->special;
}

}  // namespace prism::tokenizer
