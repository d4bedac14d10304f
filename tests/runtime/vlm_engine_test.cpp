// End to end through VlmEngine, from the fixtures' image and video files:
// prompt, token ids, last-position logits, greedy continuation and text must
// equal the reference; bad input must raise prism::InvalidInput.
#include "runtime/vlm_engine.h"

#include <gtest/gtest.h>

#include <fstream>

#include "../models/fixture_case.h"
#include "core/error.h"
#include "runtime/media_source.h"

namespace prism::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The case's transformers-style messages in the OpenAI shape.
json openai_messages(const prism::testing::FixtureCase& c) {
  json out = json::array();
  for (const auto& m : c.json["messages"]) {
    json parts = json::array();
    for (const auto& p : m["content"]) {
      const std::string type = p["type"];
      if (type == "text") {
        parts.push_back(p);
      } else {
        const auto path = fs::weakly_canonical(c.dir / p["path"].get<std::string>()).string();
        const std::string key = type == "image" ? "image_url" : "video_url";
        parts.push_back({{"type", key}, {key, {{"url", path}}}});
      }
    }
    out.push_back({{"role", m["role"]}, {"content", parts}});
  }
  return out;
}

MediaPolicy fixtures_policy() {
  MediaPolicy p;
  p.allowed_dir = prism::testing::smolvlm_fixtures() / "cases";
  return p;
}

class VlmEngineGolden : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(VlmEngineGolden, FromMediaFilesMatchesReference) {
  const auto c = prism::testing::load_case(GetParam().first, GetParam().second);
  auto engine = VlmEngine::load(c.checkpoint_dir(), 2);
  GenerationParams params;
  params.max_tokens = 8;
  if (c.json["do_image_splitting"].is_boolean()) params.do_image_splitting = c.json["do_image_splitting"].get<bool>();
  std::string streamed;
  auto r = engine->generate(openai_messages(c), params, fixtures_policy(), [&](std::string_view d) {
    streamed += d;
    return true;
  });
  EXPECT_EQ(r.prompt, c.json["prompt_after_image_expansion"].get<std::string>());
  EXPECT_EQ(r.input_ids, c.input_ids());
  prism::testing::expect_close(r.prompt_last_logits.data(), c.array("logits_last"), "logits_last");
  EXPECT_EQ(r.output_ids, c.json["generate"]["new_token_ids"].get<std::vector<std::int32_t>>());
  EXPECT_EQ(r.text, c.json["generate"]["decoded_rust_skip_special_tokens_false"].get<std::string>());
  EXPECT_EQ(streamed, r.text);
  EXPECT_EQ(r.finish_reason, "length");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, VlmEngineGolden, ::testing::ValuesIn(prism::testing::model_cases()),
                         prism::testing::case_label);

class VlmEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine_ = VlmEngine::load(prism::testing::smolvlm_fixtures() / "tiny-a", 2).release(); }
  static void TearDownTestSuite() { delete engine_; }
  static json text_message(const std::string& text) {
    return json::array({{{"role", "user"}, {"content", text}}});
  }
  static json image_message(const std::string& url) {
    return json::array({{{"role", "user"},
                         {"content", json::array({{{"type", "image_url"}, {"image_url", {{"url", url}}}},
                                                  {{"type", "text"}, {"text", "Describe."}}})}}});
  }
  static std::string image_path() {
    return (prism::testing::smolvlm_fixtures() / "cases/tiny-a/inputs/image.png").string();
  }
  static VlmEngine* engine_;
};
VlmEngine* VlmEngineTest::engine_ = nullptr;

TEST_F(VlmEngineTest, Basics) {
  EXPECT_EQ(engine_->name(), "tiny-a");
  EXPECT_EQ(engine_->context_window(), 8192);
  EXPECT_GT(engine_->estimate_prompt_tokens(image_message(image_path())), 50u);
  EXPECT_LT(engine_->estimate_prompt_tokens(text_message("hi")), 20u);
}

TEST_F(VlmEngineTest, DataUrlGivesTheSameAnswerAsTheFile) {
  std::ifstream in(image_path(), std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string enc;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 2]);
    enc += b64[(v >> 18) & 63];
    enc += b64[(v >> 12) & 63];
    enc += i + 1 < bytes.size() ? b64[(v >> 6) & 63] : '=';
    enc += i + 2 < bytes.size() ? b64[v & 63] : '=';
  }
  GenerationParams params;
  params.max_tokens = 3;
  auto from_file = engine_->generate(image_message("file://" + image_path()), params, fixtures_policy(), nullptr);
  auto from_data = engine_->generate(image_message("data:image/png;base64," + enc), params, MediaPolicy{}, nullptr);
  EXPECT_EQ(from_file.input_ids, from_data.input_ids);
  EXPECT_EQ(from_file.output_ids, from_data.output_ids);
}

TEST_F(VlmEngineTest, BadInputIsInvalidInput) {
  GenerationParams params;
  params.max_tokens = 2;
  MediaPolicy no_files;
  EXPECT_THROW(engine_->generate(image_message(image_path()), params, no_files, nullptr), prism::InvalidInput);
  MediaPolicy elsewhere;
  elsewhere.allowed_dir = prism::testing::smolvlm_fixtures() / "tiny-b";
  EXPECT_THROW(engine_->generate(image_message(image_path()), params, elsewhere, nullptr), prism::InvalidInput);
  EXPECT_THROW(engine_->generate(image_message((prism::testing::smolvlm_fixtures() / "cases/../tiny-a/config.json").string()),
                                 params, fixtures_policy(), nullptr),
               prism::InvalidInput);
  EXPECT_THROW(engine_->generate(image_message("data:image/png;base64,iVBORw0KGgoAAAA"), params, no_files, nullptr),
               prism::InvalidInput);
  EXPECT_THROW(engine_->generate(image_message("data:image/png;base64,!!!"), params, no_files, nullptr),
               prism::InvalidInput);
  EXPECT_THROW(engine_->generate(image_message("https://example.com/a.png"), params, no_files, nullptr),
               prism::InvalidInput);
  MediaPolicy tiny_limit = fixtures_policy();
  tiny_limit.max_image_pixels = 100;
  EXPECT_THROW(engine_->generate(image_message(image_path()), params, tiny_limit, nullptr), prism::InvalidInput);
  EXPECT_THROW(engine_->generate(text_message("look: <image>"), params, no_files, nullptr), prism::InvalidInput);
  EXPECT_THROW(engine_->generate(json::array({{{"content", "no role"}}}), params, no_files, nullptr),
               prism::InvalidInput);
  EXPECT_THROW(engine_->generate(json::array(), params, no_files, nullptr), prism::InvalidInput);
  std::string long_text;
  for (int i = 0; i < 9000; ++i) long_text += " a";
  EXPECT_THROW(engine_->generate(text_message(long_text), params, no_files, nullptr), prism::InvalidInput);
}

TEST_F(VlmEngineTest, StopStringsAndCancel) {
  GenerationParams params;
  params.max_tokens = 8;
  auto full = engine_->generate(text_message("What is the capital of France?"), params, {}, nullptr);
  ASSERT_GE(full.text.size(), 4u);
  // Stop on a piece of the greedy answer: the text ends right before it.
  params.stop = {full.text.substr(2, 2)};
  auto cut = engine_->generate(text_message("What is the capital of France?"), params, {}, nullptr);
  EXPECT_EQ(cut.finish_reason, "stop");
  EXPECT_EQ(cut.text, full.text.substr(0, full.text.find(params.stop[0])));
  params.stop.clear();
  int deltas = 0;
  auto cancelled = engine_->generate(text_message("What is the capital of France?"), params, {},
                                     [&](std::string_view) { return ++deltas < 2; });
  EXPECT_EQ(cancelled.finish_reason, "cancelled");
  EXPECT_LT(cancelled.output_ids.size(), full.output_ids.size());
}

TEST(MediaSource, Base64) {
  EXPECT_EQ(base64_decode("aGVsbG8="), (std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'}));
  EXPECT_EQ(base64_decode("aGVsbG8"), (std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'}));
  EXPECT_FALSE(base64_decode("aGV=sbG8").has_value());
  EXPECT_FALSE(base64_decode("a").has_value());
}

}  // namespace
}  // namespace prism::runtime
