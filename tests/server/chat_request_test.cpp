// Chat completion request validation: every malformed field is an ApiError
// (HTTP 400, OpenAI's invalid_request_error) whose `param` names the field.
#include <gtest/gtest.h>

#include <string>

#include "server/chat_request.h"

namespace prism::server {
namespace {

using nlohmann::json;

json valid() {
  return {{"model", "router"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
}

// The ApiError for `body`; fails the test when it parses.
ApiError error_for(const std::string& body) {
  try {
    parse_chat_request(body);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return {};
}

void expect_param(const json& body, const std::string& param) {
  const ApiError e = error_for(body.dump());
  EXPECT_EQ(e.status, http::status::bad_request) << body.dump();
  EXPECT_EQ(e.type, "invalid_request_error") << body.dump();
  EXPECT_EQ(e.param.value_or("<none>"), param) << body.dump() << " -> " << e.message;
  EXPECT_FALSE(e.message.empty());
}

json with(const std::string& key, json value) {
  json b = valid();
  b[key] = std::move(value);
  return b;
}

TEST(ChatRequest, ValidRequestsParse) {
  json b = valid();
  EXPECT_EQ(parse_chat_request(b.dump()), b);
  b["stream"] = true;
  b["max_tokens"] = 16;
  b["max_completion_tokens"] = 16;
  b["temperature"] = 0;
  b["top_p"] = 0.9;
  b["seed"] = -3;  // any integer
  b["stop"] = json::array({"\n"});
  b["tools"] = json::array();
  b["response_format"] = {{"type", "json_object"}};
  b["stream_options"] = {{"include_usage", true}};
  b["routing"] = {{"mode", "cost"}};
  b["user"] = "someone";  // unknown fields pass through
  b["messages"].push_back({{"role", "assistant"}, {"content", nullptr}});
  b["messages"].push_back(
      {{"role", "user"},
       {"content", json::array({{{"type", "text"}, {"text", "look"}},
                                {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,AAAA"}}}},
                                {{"type", "video_url"}, {"video_url", "http://x/v.mp4"}},
                                {{"type", "input_audio"}, {"input_audio", {{"data", "AAAA"}, {"format", "wav"}}}}})}});
  EXPECT_EQ(parse_chat_request(b.dump()), b);
  // Explicit nulls count as absent.
  EXPECT_NO_THROW(parse_chat_request(with("temperature", nullptr).dump()));
  EXPECT_NO_THROW(parse_chat_request(with("stream", nullptr).dump()));
  for (const char* role : {"system", "developer", "user", "assistant", "tool", "function"}) {
    json r = valid();
    r["messages"][0]["role"] = role;
    EXPECT_NO_THROW(parse_chat_request(r.dump())) << role;
  }
}

TEST(ChatRequest, MalformedJsonHasNoParam) {
  for (const char* text : {"", "{", "{\"model\": }", "not json", "[1,2]", "\"text\"", "null", "42"}) {
    const ApiError e = error_for(text);
    EXPECT_EQ(e.status, http::status::bad_request) << text;
    EXPECT_FALSE(e.param) << text;
    EXPECT_EQ(e.code.value_or(""), "invalid_json") << text;
  }
}

TEST(ChatRequest, ModelAndMessages) {
  json b = valid();
  b.erase("model");
  expect_param(b, "model");
  EXPECT_EQ(error_for(b.dump()).code.value_or(""), "missing_required_parameter");
  expect_param(with("model", 5), "model");
  expect_param(with("model", ""), "model");
  expect_param(with("model", nullptr), "model");

  b = valid();
  b.erase("messages");
  expect_param(b, "messages");
  expect_param(with("messages", "hi"), "messages");
  expect_param(with("messages", json::object()), "messages");
  expect_param(with("messages", json::array()), "messages");
}

TEST(ChatRequest, EachMessageIsChecked) {
  auto message = [](json m) {
    json b = valid();
    b["messages"].push_back(std::move(m));
    return b;
  };
  expect_param(message("hello"), "messages[1]");
  expect_param(message({{"content", "x"}}), "messages[1].role");
  expect_param(message({{"role", 1}, {"content", "x"}}), "messages[1].role");
  expect_param(message({{"role", "robot"}, {"content", "x"}}), "messages[1].role");
  expect_param(message({{"role", "user"}, {"content", 12}}), "messages[1].content");
  expect_param(message({{"role", "user"}, {"content", {{"text", "x"}}}}), "messages[1].content");
  expect_param(message({{"role", "user"}, {"content", json::array({"x"})}}), "messages[1].content[0]");
  expect_param(message({{"role", "user"}, {"content", json::array({{{"text", "x"}}})}}), "messages[1].content[0]");
  expect_param(message({{"role", "user"}, {"content", json::array({{{"type", 3}}})}}), "messages[1].content[0]");
  expect_param(message({{"role", "user"}, {"content", json::array({{{"type", "text"}}})}}),
               "messages[1].content[0].text");
  expect_param(message({{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", 5}}})}}),
               "messages[1].content[0].text");
  expect_param(message({{"role", "user"},
                        {"content", json::array({{{"type", "text"}, {"text", "ok"}},
                                                 {{"type", "image_url"}, {"image_url", {{"uri", "x"}}}}})}}),
               "messages[1].content[1].image_url");
  expect_param(message({{"role", "user"}, {"content", json::array({{{"type", "image_url"}}})}}),
               "messages[1].content[0].image_url");
  expect_param(message({{"role", "user"}, {"content", json::array({{{"type", "video_url"}, {"video_url", 3}}})}}),
               "messages[1].content[0].video_url");
  const ApiError e = error_for(message({{"role", "robot"}, {"content", "x"}}).dump());
  EXPECT_NE(e.message.find("robot"), std::string::npos) << e.message;
}

TEST(ChatRequest, TypedOptionalFields) {
  expect_param(with("stream", "yes"), "stream");
  expect_param(with("stream", 1), "stream");
  for (const char* key : {"max_tokens", "max_completion_tokens", "n", "seed", "top_k"}) {
    expect_param(with(key, "10"), key);
    expect_param(with(key, 1.5), key);
  }
  for (const char* key : {"max_tokens", "max_completion_tokens", "n", "top_k"}) {
    expect_param(with(key, 0), key);
    expect_param(with(key, -1), key);
  }
  for (const char* key : {"temperature", "top_p", "min_p", "presence_penalty", "frequency_penalty",
                          "repetition_penalty"}) {
    expect_param(with(key, "0.5"), key);
    expect_param(with(key, json::array()), key);
  }
  expect_param(with("temperature", -0.1), "temperature");
  expect_param(with("temperature", 2.5), "temperature");
  EXPECT_NO_THROW(parse_chat_request(with("temperature", 2).dump()));
  expect_param(with("stop", 5), "stop");
  expect_param(with("tools", json::object()), "tools");
  expect_param(with("response_format", "json"), "response_format");
  expect_param(with("stream_options", true), "stream_options");
  expect_param(with("routing", "cost"), "routing");
}

TEST(ChatRequest, StopArrayMustHoldStrings) {
  expect_param(with("stop", json::array({1, 2})), "stop");
  expect_param(with("stop", json::array({"ok", nullptr})), "stop");
}

TEST(ChatRequest, ErrorBodyHasTheOpenAiShape) {
  const ApiError e = error_for(with("n", 0).dump());
  const json body = e.body();
  ASSERT_TRUE(body.contains("error"));
  EXPECT_EQ(body["error"]["param"], "n");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_TRUE(body["error"]["message"].is_string());
  EXPECT_TRUE(body["error"].contains("code"));
}

}  // namespace
}  // namespace prism::server
