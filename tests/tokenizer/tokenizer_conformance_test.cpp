// Differential test against the real Rust tokenizers library:
// tokenizer_conformance.json holds random texts with the ids tokenizers
// 0.23.2 produced, and random id sequences with its decoded strings (see
// tools/make_tokenizer_conformance.js).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"
#include "fixture_files.h"

namespace prism::tokenizer {
namespace {

using testing::kFixtures;
using testing::read_json;

class TokenizerConformance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    doc_ = new nlohmann::json(read_json(std::filesystem::path(PRISM_TEST_SOURCE_DIR) / "tokenizer_conformance.json"));
    tokenizers_ = new std::map<std::string, Tokenizer>();
    tokenizers_->emplace("tiny-a", Tokenizer::load(kFixtures / "tiny-a" / "tokenizer.json"));
    tokenizers_->emplace("tiny-b", Tokenizer::load(kFixtures / "tiny-b" / "tokenizer.json"));
    auto flagged = read_json(kFixtures / "tiny-a" / "tokenizer.json");
    for (const auto& token : doc_->at("extra_added_tokens")) flagged["added_tokens"].push_back(token);
    tokenizers_->emplace("tiny-a+flags", Tokenizer::from_json(flagged, "tiny-a+flags"));
  }
  static void TearDownTestSuite() {
    delete doc_;
    delete tokenizers_;
  }
  static nlohmann::json* doc_;
  static std::map<std::string, Tokenizer>* tokenizers_;
};
nlohmann::json* TokenizerConformance::doc_ = nullptr;
std::map<std::string, Tokenizer>* TokenizerConformance::tokenizers_ = nullptr;

TEST_F(TokenizerConformance, EncodeMatchesRustTokenizers) {
  int failures = 0;
  for (const auto& c : doc_->at("encode")) {
    const Tokenizer& tokenizer = tokenizers_->at(c.at("tokenizer").get<std::string>());
    const std::string text = c.at("text");
    const auto expected = c.at("ids").get<std::vector<int32_t>>();
    const auto actual = tokenizer.encode(text);
    if (actual != expected && ++failures <= 10) {
      ADD_FAILURE() << c.at("tokenizer") << " text " << nlohmann::json(text).dump() << "\nexpected "
                    << nlohmann::json(expected).dump() << "\nactual   " << nlohmann::json(actual).dump();
    }
  }
  EXPECT_EQ(failures, 0);
  EXPECT_GE(doc_->at("encode").size(), 1000u);
}

TEST_F(TokenizerConformance, DecodeMatchesRustTokenizers) {
  int failures = 0;
  for (const auto& c : doc_->at("decode")) {
    const Tokenizer& tokenizer = tokenizers_->at(c.at("tokenizer").get<std::string>());
    const auto ids = c.at("ids").get<std::vector<int32_t>>();
    for (const bool skip : {false, true}) {
      const std::string expected = c.at(skip ? "skip_special" : "keep_special");
      const std::string actual = tokenizer.decode(ids, skip);
      if (actual != expected && ++failures <= 10) {
        ADD_FAILURE() << c.at("tokenizer") << " ids " << nlohmann::json(ids).dump() << " skip=" << skip << "\nexpected "
                      << nlohmann::json(expected).dump() << "\nactual   " << nlohmann::json(actual).dump();
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace prism::tokenizer
