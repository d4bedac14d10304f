// Request analysis: capabilities, token estimate, output length, category
// rules and complexity, checked against the formulas in request_analysis.h/.cpp
// (ceil(chars/4) + 4 per message + 850 per image + 4000 per video; complexity
// = 0.30·min(1, tokens/2000) + 0.20 reasoning + 0.15 code + 0.15 math
// + 0.10·min(1, '?'/3) + 0.10·min(1, (messages-1)/10)).
#include <gtest/gtest.h>

#include <string>

#include "router/request_analysis.h"

namespace prism::router {
namespace {

using nlohmann::json;

json user(const std::string& text) { return {{"role", "user"}, {"content", text}}; }

json chat(const std::string& text) { return {{"model", "router"}, {"messages", json::array({user(text)})}}; }

json with_parts(json parts) {
  return {{"model", "router"}, {"messages", json::array({{{"role", "user"}, {"content", std::move(parts)}}})}};
}

std::int64_t ceil_div4(std::int64_t chars) { return (chars + 3) / 4; }

double length_part(std::int64_t tokens) { return 0.30 * std::min(1.0, static_cast<double>(tokens) / 2000.0); }

TEST(RequestAnalysis, PlainTextNeedsOnlyText) {
  const auto a = analyze_request(chat("hello there"));
  EXPECT_EQ(a.capabilities, (std::set<std::string>{"text"}));
  EXPECT_EQ(a.category, "chat");
  EXPECT_EQ(a.features.matched_category_rule, "default");
  EXPECT_EQ(a.features.messages, 1);
}

TEST(RequestAnalysis, MediaPartsNeedVisionVideoAudio) {
  const auto a = analyze_request(with_parts(json::array({
      {{"type", "text"}, {"text", "what is in these?"}},
      {{"type", "image_url"}, {"image_url", {{"url", "http://x/a.png"}}}},
      {{"type", "image_url"}, {"image_url", {{"url", "http://x/b.png"}}}},
      {{"type", "video_url"}, {"video_url", {{"url", "http://x/c.mp4"}}}},
      {{"type", "input_audio"}, {"input_audio", {{"data", "AAAA"}, {"format", "wav"}}}},
  })));
  EXPECT_EQ(a.features.images, 2);
  EXPECT_EQ(a.features.videos, 1);
  EXPECT_EQ(a.features.audio_parts, 1);
  EXPECT_EQ(a.capabilities, (std::set<std::string>{"text", "vision", "video", "audio"}));
}

TEST(RequestAnalysis, EachMediaKindAloneAddsOnlyItsCapability) {
  EXPECT_EQ(analyze_request(with_parts(json::array({{{"type", "image_url"}, {"image_url", {{"url", "u"}}}}})))
                .capabilities,
            (std::set<std::string>{"text", "vision"}));
  EXPECT_EQ(analyze_request(with_parts(json::array({{{"type", "video_url"}, {"video_url", {{"url", "u"}}}}})))
                .capabilities,
            (std::set<std::string>{"text", "video"}));
  EXPECT_EQ(analyze_request(with_parts(json::array({{{"type", "input_audio"}, {"input_audio", {{"data", "A"}}}}})))
                .capabilities,
            (std::set<std::string>{"text", "audio"}));
}

TEST(RequestAnalysis, ToolsAndJsonSchemaNeedTheirCapabilities) {
  json body = chat("what's the weather");
  body["tools"] = json::array({{{"type", "function"}, {"function", {{"name", "weather"}}}},
                               {{"type", "function"}, {"function", {{"name", "time"}}}}});
  auto a = analyze_request(body);
  EXPECT_EQ(a.features.tools, 2);
  EXPECT_TRUE(a.capabilities.count("tools"));
  EXPECT_FALSE(a.capabilities.count("json_schema"));

  body.erase("tools");
  body["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", json::object()}}}};
  a = analyze_request(body);
  EXPECT_EQ(a.capabilities, (std::set<std::string>{"text", "json_schema"}));

  // json_object mode is not a schema: no capability, but still extraction.
  body["response_format"] = {{"type", "json_object"}};
  a = analyze_request(body);
  EXPECT_EQ(a.capabilities, (std::set<std::string>{"text"}));
  EXPECT_EQ(a.category, "extraction");

  body["tools"] = json::array();
  EXPECT_FALSE(analyze_request(body).capabilities.count("tools"));
}

TEST(RequestAnalysis, TokenEstimateFollowsTheFormula) {
  const json body = {{"model", "router"},
                     {"messages", json::array({{{"role", "system"}, {"content", "You are terse."}},
                                               {{"role", "user"},
                                                {"content", json::array({
                                                                {{"type", "text"}, {"text", "look"}},
                                                                {{"type", "image_url"}, {"image_url", {{"url", "u"}}}},
                                                                {{"type", "image_url"}, {"image_url", {{"url", "v"}}}},
                                                                {{"type", "video_url"}, {"video_url", {{"url", "w"}}}},
                                                            })}}})}};
  const auto a = analyze_request(body);
  EXPECT_EQ(a.features.messages, 2);
  EXPECT_EQ(a.prompt_tokens, ceil_div4(a.features.text_chars) + 4 * 2 + 850 * 2 + 4000 * 1);
  EXPECT_EQ(kTokensPerImage, 850);
  EXPECT_EQ(kTokensPerVideo, 4000);
}

TEST(RequestAnalysis, TextCharsGrowWithTheTextAndTokensRoundUp) {
  const auto base = analyze_request(chat("a"));
  for (int extra : {1, 2, 3, 4, 5, 7, 8, 400}) {
    const auto a = analyze_request(chat("a" + std::string(extra, 'b')));
    EXPECT_EQ(a.features.text_chars, base.features.text_chars + extra);
    EXPECT_EQ(a.prompt_tokens, ceil_div4(a.features.text_chars) + 4) << extra;
  }
  // Every message's text counts, not only the last user message's.
  json body = chat("hello");
  body["messages"].insert(body["messages"].begin(), json{{"role", "assistant"}, {"content", std::string(100, 'x')}});
  const auto two = analyze_request(body);
  EXPECT_EQ(two.features.text_chars, analyze_request(chat("hello")).features.text_chars + 100 + 1 /* separator */);
  EXPECT_EQ(two.prompt_tokens, ceil_div4(two.features.text_chars) + 8);
}

TEST(RequestAnalysis, MaxTokensOverridesCategoryDefault) {
  json body = chat("hello");
  auto a = analyze_request(body);
  EXPECT_FALSE(a.output_from_max_tokens);
  EXPECT_EQ(a.expected_output_tokens, 256);  // chat default

  body["max_tokens"] = 42;
  a = analyze_request(body);
  EXPECT_TRUE(a.output_from_max_tokens);
  EXPECT_EQ(a.expected_output_tokens, 42);
  EXPECT_EQ(a.to_json()["expected_output_from"], "max_tokens");

  body["max_completion_tokens"] = 77;  // the newer name wins
  EXPECT_EQ(analyze_request(body).expected_output_tokens, 77);

  body.erase("max_completion_tokens");
  body["max_tokens"] = 0;  // not a usable limit: back to the default
  a = analyze_request(body);
  EXPECT_FALSE(a.output_from_max_tokens);
  EXPECT_EQ(a.expected_output_tokens, 256);
  EXPECT_EQ(a.to_json()["expected_output_from"], "category default");
}

TEST(RequestAnalysis, CategoryDefaultsForOutputLength) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {"hello there", 256},                          // chat
      {"please refactor this python code", 700},     // code
      {"solve for x: 3x + 1 = 7", 500},              // math
      {"explain why the sky is blue", 600},          // reasoning
      {"summarize this article for me", 300},        // summarization
      {"extract the names from this text", 200},     // extraction
      {"translate this sentence please", 400},       // translation
      {"write a poem about autumn", 600},            // creative
  };
  for (const auto& [text, tokens] : cases) {
    EXPECT_EQ(analyze_request(chat(text)).expected_output_tokens, tokens) << text;
  }
}

TEST(RequestAnalysis, EachCategoryRuleAlone) {
  const std::pair<const char*, const char*> cases[] = {
      {"hello, how are you", "chat"},
      {"here is my code: ```int x;```", "code"},
      {"compute the integral of sin", "math"},
      {"what are the pros and cons of nuclear power", "reasoning"},
      {"tl;dr of the meeting notes", "summarization"},
      {"give me the fields as json", "extraction"},
      {"translate good morning", "translation"},
      {"tell me a story about a dragon", "creative"},
  };
  for (const auto& [text, category] : cases) {
    EXPECT_EQ(analyze_request(chat(text)).category, category) << text;
  }
}

TEST(RequestAnalysis, CategoryRulesApplyInPrecedenceOrder) {
  // extraction > translation > summarization > code > math > reasoning > creative > chat
  EXPECT_EQ(analyze_request(chat("extract the dates and translate them")).category, "extraction");
  EXPECT_EQ(analyze_request(chat("translate this summary")).category, "translation");
  EXPECT_EQ(analyze_request(chat("summarize this python script")).category, "summarization");
  EXPECT_EQ(analyze_request(chat("python: calculate the probability")).category, "code");
  EXPECT_EQ(analyze_request(chat("calculate it step by step")).category, "math");
  EXPECT_EQ(analyze_request(chat("compare these two poems")).category, "reasoning");
  EXPECT_EQ(analyze_request(chat("a haiku please")).category, "creative");

  // response_format json_schema makes extraction whatever the text says.
  json body = chat("write a poem");
  body["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"name", "p"}}}};
  const auto a = analyze_request(body);
  EXPECT_EQ(a.category, "extraction");
  EXPECT_EQ(a.features.matched_category_rule, "response_format json or 'extract'");
}

TEST(RequestAnalysis, CategoryComesFromTheLastUserMessage) {
  json body = {{"model", "router"},
               {"messages", json::array({user("translate this"), {{"role", "assistant"}, {"content", "ok"}},
                                         user("now a poem please")})}};
  EXPECT_EQ(analyze_request(body).category, "creative");
  // Keywords are matched case-insensitively.
  EXPECT_EQ(analyze_request(chat("SUMMARIZE THIS")).category, "summarization");
}

TEST(RequestAnalysis, ComplexityOfAPlainShortMessageIsOnlyItsLength) {
  const auto a = analyze_request(chat("hello there"));
  EXPECT_DOUBLE_EQ(a.complexity, length_part(a.prompt_tokens));
  EXPECT_GT(a.complexity, 0.0);
  EXPECT_LT(a.complexity, 0.01);
}

TEST(RequestAnalysis, ComplexityContributionsAreTheDocumentedAmounts) {
  struct Case {
    const char* text;
    double extra;
  };
  const Case cases[] = {
      {"explain why the sky looks blue", 0.20},   // reasoning
      {"my rust code does not work", 0.15},       // code
      {"the derivative of a function here", 0.15 + 0.15},  // "function " is a code marker too
      {"the derivative of sin", 0.15},            // math
      {"hello?", 0.10 / 3},                       // one question mark
      {"hello? really??", 0.10},                  // three: the cap
      {"hello? really???", 0.10},                 // beyond the cap: no more
  };
  for (const auto& c : cases) {
    const auto a = analyze_request(chat(c.text));
    EXPECT_NEAR(a.complexity, length_part(a.prompt_tokens) + c.extra, 1e-12) << c.text;
  }
}

TEST(RequestAnalysis, ComplexityGrowsWithTurnsAndLengthUpToTheirCaps) {
  auto conversation = [](int messages, std::size_t chars) {
    json list = json::array();
    for (int i = 0; i < messages; ++i) list.push_back(user(i + 1 == messages ? std::string(chars, 'x') : "x"));
    return json{{"model", "router"}, {"messages", list}};
  };
  double previous = -1;
  for (int m = 1; m <= 14; ++m) {
    const auto a = analyze_request(conversation(m, 10));
    const double turns = 0.10 * std::min(1.0, (m - 1) / 10.0);
    EXPECT_NEAR(a.complexity, length_part(a.prompt_tokens) + turns, 1e-12) << m;
    EXPECT_GT(a.complexity, previous) << m;  // still grows via length after the turns cap
    previous = a.complexity;
  }
  // Length saturates at 2000 tokens.
  const auto longest = analyze_request(conversation(1, 20000));
  EXPECT_GE(longest.prompt_tokens, 2000);
  EXPECT_DOUBLE_EQ(longest.complexity, 0.30);
  EXPECT_DOUBLE_EQ(analyze_request(conversation(1, 40000)).complexity, 0.30);
}

TEST(RequestAnalysis, ComplexityStaysWithinZeroAndOne) {
  // Every contribution at its cap sums to exactly 1.
  json list = json::array();
  for (int i = 0; i < 11; ++i) list.push_back(user("earlier turn"));
  list.push_back(user("step by step, why does this python code fail to solve for x = 2??? " + std::string(9000, 'z')));
  const auto a = analyze_request({{"model", "router"}, {"messages", list}});
  EXPECT_TRUE(a.features.asks_reasoning);
  EXPECT_TRUE(a.features.has_code);
  EXPECT_TRUE(a.features.has_math);
  EXPECT_EQ(a.features.question_marks, 3);
  EXPECT_NEAR(a.complexity, 1.0, 1e-12);
  EXPECT_LE(a.complexity, 1.0);

  for (const char* text : {"", "?", "hi", "prove that 1 = 1 in python step by step?????"}) {
    const auto b = analyze_request(chat(text));
    EXPECT_GE(b.complexity, 0.0) << text;
    EXPECT_LE(b.complexity, 1.0) << text;
  }
}

TEST(RequestAnalysis, ToJsonCarriesTheExplanation) {
  json body = chat("translate hi");
  body["max_tokens"] = 10;
  const json j = analyze_request(body).to_json();
  EXPECT_EQ(j["category"], "translation");
  EXPECT_EQ(j["capabilities_needed"], json::array({"text"}));
  EXPECT_EQ(j["expected_output_tokens"], 10);
  EXPECT_TRUE(j["prompt_tokens_estimate"].is_number_integer());
  EXPECT_EQ(j["features"]["category_rule"], "'translate'");
  EXPECT_EQ(j["features"]["messages"], 1);
}

}  // namespace
}  // namespace prism::router
