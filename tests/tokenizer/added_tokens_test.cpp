// Added-token matching flags, with results that follow from the tokenizers
// library's rules: leftmost-longest match; lstrip / rstrip absorb the
// whitespace beside the token; single_word only matches at word boundaries;
// non-special tokens survive skip_special_tokens.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"

namespace prism::tokenizer {
namespace {

const std::filesystem::path kTinyA = std::filesystem::path(PRISM_FIXTURES_DIR) / "smolvlm" / "tiny-a" / "tokenizer.json";

nlohmann::json tiny_a() {
  std::ifstream in(kTinyA);
  return nlohmann::json::parse(in);
}

nlohmann::json added(int id, const std::string& content, bool special, bool lstrip, bool rstrip, bool single_word) {
  return {{"id", id},         {"content", content}, {"special", special},         {"normalized", !special},
          {"lstrip", lstrip}, {"rstrip", rstrip},   {"single_word", single_word}};
}

std::vector<int32_t> concat(std::initializer_list<std::vector<int32_t>> parts) {
  std::vector<int32_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

class AddedTokenFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    auto doc = tiny_a();
    doc["added_tokens"].push_back(added(700, "<mask>", true, true, false, false));
    doc["added_tokens"].push_back(added(701, "[R]", true, false, true, false));
    doc["added_tokens"].push_back(added(702, "cat", false, false, false, true));
    doc["added_tokens"].push_back(added(703, "<mask>long", true, false, false, false));
    tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::from_json(doc, "test tokenizer.json"));
    plain_ = std::make_unique<Tokenizer>(Tokenizer::load(kTinyA));
    // The file's ids (700...) are ignored, as the tokenizers library does:
    // new added tokens take the ids after the existing ones, in file order.
    const auto next = static_cast<int32_t>(plain_->vocab_size());
    mask_ = next;
    r_ = next + 1;
    cat_ = next + 2;
    mask_long_ = next + 3;
  }
  int32_t mask_ = 0, r_ = 0, cat_ = 0, mask_long_ = 0;
  std::unique_ptr<Tokenizer> tokenizer_, plain_;
};

TEST_F(AddedTokenFlags, LstripAbsorbsSpacesBefore) {
  EXPECT_EQ(tokenizer_->encode("a  <mask>b"), concat({plain_->encode("a"), {mask_}, plain_->encode("b")}));
}

TEST_F(AddedTokenFlags, RstripAbsorbsSpacesAfter) {
  EXPECT_EQ(tokenizer_->encode("x [R]  y"), concat({plain_->encode("x "), {r_}, plain_->encode("y")}));
}

TEST_F(AddedTokenFlags, LongestMatchWins) {
  EXPECT_EQ(tokenizer_->encode("<mask>longer"), concat({{mask_long_}, plain_->encode("er")}));
}

TEST_F(AddedTokenFlags, SingleWordOnlyAtWordBoundaries) {
  EXPECT_EQ(tokenizer_->encode("cat concat cat."),
            concat({{cat_}, plain_->encode(" concat "), {cat_}, plain_->encode(".")}));
}

TEST_F(AddedTokenFlags, NonSpecialTokensSurviveSkipSpecial) {
  const auto ids = tokenizer_->encode("cat <mask>");
  EXPECT_EQ(tokenizer_->decode(ids, true), "cat");
  EXPECT_EQ(tokenizer_->decode(ids, false), "cat<mask>");  // lstrip consumed the space
  EXPECT_FALSE(tokenizer_->is_special(cat_));
  EXPECT_TRUE(tokenizer_->is_special(mask_));
  EXPECT_EQ(tokenizer_->vocab_size(), plain_->vocab_size() + 4);
  EXPECT_EQ(tokenizer_->token_to_id("<mask>long"), mask_long_);
  EXPECT_EQ(tokenizer_->id_to_token(r_), "[R]");
}

TEST(SplitPreTokenizer, LlamaThreeStylePipelineRoundTrips) {
  auto doc = tiny_a();
  doc["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"},
         {"pattern", {{"Regex", R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
         {"behavior", "Isolated"},
         {"invert", false}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
  const Tokenizer tokenizer = Tokenizer::from_json(doc, "llama3-style tokenizer.json");
  const std::string text = "It's 12345 héllo,\n\n  world!";
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(text), false), text);
}

}  // namespace
}  // namespace prism::tokenizer
