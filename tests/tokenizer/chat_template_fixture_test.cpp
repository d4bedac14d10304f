// Each checkpoint's own chat template, rendered with the fixture cases'
// messages, must equal the prompt transformers produced.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "fixture_files.h"

namespace prism::tokenizer {
namespace {

using testing::kFixtures;
using testing::read_json;

// num2words for the small frame counts of the fixtures.
std::string number_word(int n) {
  static const char* words[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
  if (n < 0 || n > 10) throw std::out_of_range("frame count outside the test's word table");
  return words[n];
}

// The SmolVLM processor (v4.51.3) replaces a video part by an intro text and
// one timestamped image per sampled frame, as the fixtures' README states.
nlohmann::json rewrite_video_message(const nlohmann::json& message, const nlohmann::json& meta) {
  auto content = nlohmann::json::array();
  for (const auto& part : message.at("content")) {
    if (part.at("type") != "video") {
      content.push_back(part);
      continue;
    }
    const auto& indices = meta.at("frames_indices");
    const double fps = meta.at("fps");
    const int duration = static_cast<int>(meta.at("duration").get<double>());
    char intro[256];
    std::snprintf(intro, sizeof(intro),
                  "You are provided the following series of %s frames from a %d:%02d:%02d [H:MM:SS] video.\n",
                  number_word(static_cast<int>(indices.size())).c_str(), duration / 3600, duration / 60 % 60,
                  duration % 60);
    content.push_back({{"type", "text"}, {"text", intro}});
    for (const auto& index : indices) {
      const int seconds = static_cast<int>(index.get<int>() / fps);
      char stamp[64];
      std::snprintf(stamp, sizeof(stamp), "\nFrame from %02d:%02d:", seconds / 60, seconds % 60);
      content.push_back({{"type", "text"}, {"text", stamp}});
      content.push_back({{"type", "image"}});
    }
    content.push_back({{"type", "text"}, {"text", "\n\n"}});
  }
  nlohmann::json rewritten = message;
  rewritten["content"] = content;
  return rewritten;
}

class CheckpointChatTemplate : public ::testing::TestWithParam<std::string> {};

TEST_P(CheckpointChatTemplate, RendersEveryCaseExactly) {
  const auto checkpoint = kFixtures / GetParam();
  const ChatTemplate chat = ChatTemplate::load_from_checkpoint(checkpoint);
  const Tokenizer tokenizer = Tokenizer::load(checkpoint / "tokenizer.json");
  int rendered = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures / "cases" / GetParam())) {
    const auto path = entry.path() / "case.json";
    if (!entry.is_directory() || entry.path().filename() == "tokenizer" || !std::filesystem::exists(path)) continue;
    const auto doc = read_json(path);
    nlohmann::json messages = doc.at("messages");
    if (doc.contains("video_meta")) {
      for (auto& message : messages) message = rewrite_video_message(message, doc.at("video_meta"));
    }
    const std::string prompt = chat.render(messages, doc.at("add_generation_prompt").get<bool>());
    EXPECT_EQ(prompt, doc.at("prompt_after_chat_template").get<std::string>()) << path;
    // A prompt without images tokenizes straight to the model's input ids.
    if (prompt.find("<image>") == std::string::npos) {
      EXPECT_EQ(tokenizer.encode(prompt), doc.at("input_ids").get<std::vector<int32_t>>()) << path;
    }
    ++rendered;
  }
  EXPECT_GE(rendered, 4);
}

TEST_P(CheckpointChatTemplate, SpecialTokensComeFromTokenizerConfig) {
  const auto checkpoint = kFixtures / GetParam();
  const auto config = read_json(checkpoint / "tokenizer_config.json");
  const ChatTemplate chat = ChatTemplate::load_from_checkpoint(checkpoint);
  EXPECT_EQ(chat.special_tokens().at("bos_token"), config.at("bos_token"));
  EXPECT_EQ(chat.special_tokens().at("eos_token"), config.at("eos_token"));
  EXPECT_EQ(chat.source(), read_json(checkpoint / "chat_template.json").at("chat_template").get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CheckpointChatTemplate, ::testing::Values("tiny-a", "tiny-b"));

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("prism_chat_" + std::to_string(reinterpret_cast<uintptr_t>(this)) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  void write(const std::string& name, const std::string& contents) const { std::ofstream(path_ / name) << contents; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(ChatTemplateLoading, MissingTemplateNamesTheFolder) {
  TempDir dir;
  dir.write("tokenizer_config.json", R"({"bos_token": "<s>"})");
  try {
    ChatTemplate::load_from_checkpoint(dir.path());
    FAIL();
  } catch (const prism::Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.path().string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no chat template"), std::string::npos) << e.what();
  }
}

TEST(ChatTemplateLoading, TokenizerConfigStringAndNamedListAndJinjaFile) {
  TempDir dir;
  dir.write("tokenizer_config.json",
            R"({"bos_token": {"content": "<s>", "special": true}, "eos_token": "</s>",
                "chat_template": [{"name": "tool_use", "template": "tools"},
                                  {"name": "default", "template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}]})");
  const nlohmann::json messages = {{{"role", "user"}, {"content", "hi"}}};
  EXPECT_EQ(ChatTemplate::load_from_checkpoint(dir.path()).render(messages, false), "<s>hi</s>");
  dir.write("chat_template.jinja", "[{{ messages | length }}{% if add_generation_prompt %}+{% endif %}]\n");
  EXPECT_EQ(ChatTemplate::load_from_checkpoint(dir.path()).render(messages, true), "[1+]");
}

TEST(ChatTemplateLoading, NamedListWithoutDefaultIsAnError) {
  TempDir dir;
  dir.write("tokenizer_config.json", R"({"chat_template": [{"name": "tool_use", "template": "x"}]})");
  EXPECT_THROW(ChatTemplate::load_from_checkpoint(dir.path()), prism::Error);
}

TEST(ChatTemplateLoading, SyntaxErrorNamesFileAndLine) {
  TempDir dir;
  dir.write("chat_template.json", R"({"chat_template": "line one\n{% if messages %}\nunclosed"})");
  try {
    ChatTemplate::load_from_checkpoint(dir.path());
    FAIL();
  } catch (const prism::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("chat_template.json"), std::string::npos) << message;
    EXPECT_NE(message.find("line 3"), std::string::npos) << message;
    EXPECT_NE(message.find("endif"), std::string::npos) << message;
  }
}

TEST(ChatTemplateRender, ExtraContextOverridesAndToolsDefaultToNone) {
  const auto chat = ChatTemplate::from_string(
      "{{ tools is none }} {{ tools is defined }} {{ custom | default('absent') }} {{ add_generation_prompt }}");
  EXPECT_EQ(chat.render(nlohmann::json::array(), false), "True True absent False");
  EXPECT_EQ(chat.render(nlohmann::json::array(), true, {{"custom", 7}, {"tools", {1}}}), "False True 7 True");
  EXPECT_THROW(chat.render(nlohmann::json::object(), true), prism::InvalidInput);
  const auto ordered = ChatTemplate::from_string("{{ messages[0] | tojson }}{{ bos_token is defined }}");
  EXPECT_EQ(ordered.render(nlohmann::ordered_json::parse(R"([{"role": "user", "content": "x"}])"), false,
                           nlohmann::ordered_json::object()),
            R"({"role": "user", "content": "x"}False)");
}

}  // namespace
}  // namespace prism::tokenizer
