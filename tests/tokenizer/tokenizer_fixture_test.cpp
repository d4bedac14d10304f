// The tokenizer against the reference's own ids (fixtures made with the Rust
// tokenizers library and transformers).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"
#include "fixture_files.h"

namespace prism::tokenizer {
namespace {

using testing::kFixtures;
using testing::read_json;

class CheckpointTokenizer : public ::testing::TestWithParam<std::string> {
 protected:
  std::filesystem::path checkpoint() const { return kFixtures / GetParam(); }
  std::filesystem::path cases() const { return kFixtures / "cases" / GetParam(); }
};

TEST_P(CheckpointTokenizer, TokenizerCasesEncodeAndDecodeExactly) {
  const Tokenizer tokenizer = Tokenizer::load(checkpoint() / "tokenizer.json");
  const auto doc = read_json(cases() / "tokenizer" / "case.json");
  ASSERT_FALSE(doc.at("add_special_tokens").get<bool>());
  ASSERT_GE(doc.at("cases").size(), 10u);
  for (const auto& c : doc.at("cases")) {
    const std::string text = c.at("text");
    const auto expected = c.at("ids").get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer.encode(text), expected) << text;
    EXPECT_EQ(tokenizer.decode(expected, false), text);
  }
}

TEST_P(CheckpointTokenizer, PromptsAfterImageExpansionEncodeToInputIds) {
  const Tokenizer tokenizer = Tokenizer::load(checkpoint() / "tokenizer.json");
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cases())) {
    const auto path = entry.path() / "case.json";
    if (!entry.is_directory() || entry.path().filename() == "tokenizer" || !std::filesystem::exists(path)) continue;
    const auto doc = read_json(path);
    const std::string prompt = doc.at("prompt_after_image_expansion");
    const auto expected = doc.at("input_ids").get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer.encode(prompt), expected) << path;
    EXPECT_EQ(tokenizer.decode(expected, false), prompt) << path;
    ++checked;

    const auto& generated = doc.at("generate");
    const auto new_ids = generated.at("new_token_ids").get<std::vector<int32_t>>();
    if (generated.contains("decoded_rust_skip_special_tokens_false")) {  // the reference's own decode
      EXPECT_EQ(tokenizer.decode(new_ids, false), generated.at("decoded_rust_skip_special_tokens_false").get<std::string>());
    }
    // Skipping special tokens removes exactly the added special tokens.
    std::vector<int32_t> plain;
    for (int32_t id : new_ids) {
      if (!tokenizer.is_special(id)) plain.push_back(id);
    }
    EXPECT_EQ(tokenizer.decode(new_ids, true), tokenizer.decode(plain, false));
    // The prompt without its special tokens is the text between them.
    std::string stripped = prompt;
    for (const char* special : {"<|im_start|>", "<end_of_utterance>", "<image>", "<fake_token_around_image>", "<global-img>"}) {
      for (auto at = stripped.find(special); at != std::string::npos; at = stripped.find(special)) {
        stripped.erase(at, std::string(special).size());
      }
    }
    const bool has_row_tokens = prompt.find("<row_") != std::string::npos;
    if (!has_row_tokens) {
      EXPECT_EQ(tokenizer.decode(expected, true), stripped) << path;
    }
  }
  EXPECT_GE(checked, 4);
}

TEST_P(CheckpointTokenizer, VocabularyAndSpecialTokensComeFromTheFile) {
  const Tokenizer tokenizer = Tokenizer::load(checkpoint() / "tokenizer.json");
  const auto doc = read_json(checkpoint() / "tokenizer.json");
  const auto config = read_json(checkpoint() / "config.json");
  for (const auto& added : doc.at("added_tokens")) {
    const int32_t id = added.at("id");
    EXPECT_EQ(tokenizer.token_to_id(added.at("content").get<std::string>()), id);
    EXPECT_EQ(tokenizer.id_to_token(id), added.at("content").get<std::string>());
    EXPECT_EQ(tokenizer.is_special(id), added.at("special").get<bool>());
  }
  const auto vocab_size = config.contains("vocab_size") ? config["vocab_size"] : config.at("text_config").at("vocab_size");
  EXPECT_EQ(tokenizer.vocab_size(), vocab_size.get<std::size_t>());
  EXPECT_FALSE(tokenizer.token_to_id("definitely not a token").has_value());
  EXPECT_EQ(tokenizer.id_to_token(1 << 30), "");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CheckpointTokenizer, ::testing::Values("tiny-a", "tiny-b"));

}  // namespace
}  // namespace prism::tokenizer
