#include "router/request_analysis.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string_view>
#include <utility>

namespace prism::router {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool contains_any(const std::string& text, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return text.find(n) != std::string::npos; });
}

// Walks one message's content (string or array of parts), collecting text and
// counting media parts.
void scan_content(const nlohmann::json& content, std::string& text, RequestFeatures& f) {
  if (content.is_string()) {
    text += content.get<std::string>();
    text += '\n';
    return;
  }
  if (!content.is_array()) return;
  for (const auto& part : content) {
    if (!part.is_object()) continue;
    const std::string type = part.value("type", "");
    if (type == "text" && part.contains("text") && part["text"].is_string()) {
      text += part["text"].get<std::string>();
      text += '\n';
    } else if (type == "image_url" || type == "image") {
      ++f.images;
    } else if (type == "video_url" || type == "video") {
      ++f.videos;
    } else if (type == "input_audio" || type == "audio") {
      ++f.audio_parts;
    }
  }
}

// Output length assumed per category when the request sets no max_tokens.
std::int64_t default_output_tokens(const std::string& category) {
  static const std::array<std::pair<std::string_view, std::int64_t>, 8> table = {{
      {"chat", 256}, {"code", 700}, {"math", 500}, {"reasoning", 600},
      {"summarization", 300}, {"extraction", 200}, {"translation", 400}, {"creative", 600},
  }};
  for (const auto& [name, tokens] : table) {
    if (name == category) return tokens;
  }
  return 256;
}

}  // namespace

const std::vector<std::string>& task_categories() {
  static const std::vector<std::string> categories = {"chat",          "code",       "math",        "reasoning",
                                                      "summarization", "extraction", "translation", "creative"};
  return categories;
}

nlohmann::json RequestFeatures::to_json() const {
  return {{"text_chars", text_chars},         {"last_user_chars", last_user_chars},
          {"messages", messages},             {"images", images},
          {"videos", videos},                 {"audio_parts", audio_parts},
          {"tools", tools},                   {"question_marks", question_marks},
          {"has_code", has_code},             {"has_math", has_math},
          {"asks_reasoning", asks_reasoning}, {"category_rule", matched_category_rule}};
}

nlohmann::json RequestAnalysis::to_json() const {
  return {{"capabilities_needed", capabilities},
          {"prompt_tokens_estimate", prompt_tokens},
          {"expected_output_tokens", expected_output_tokens},
          {"expected_output_from", output_from_max_tokens ? "max_tokens" : "category default"},
          {"category", category},
          {"complexity", std::round(complexity * 1000) / 1000},
          {"features", features.to_json()}};
}

RequestAnalysis analyze_request(const nlohmann::json& body) {
  RequestAnalysis a;
  RequestFeatures& f = a.features;
  std::string all_text;
  std::string last_user;

  const auto& messages = body.at("messages");
  for (const auto& m : messages) {
    ++f.messages;
    if (!m.is_object() || !m.contains("content")) continue;
    std::string text;
    scan_content(m["content"], text, f);
    all_text += text;
    if (m.value("role", "") == "user") last_user = text;
  }
  f.text_chars = static_cast<std::int64_t>(all_text.size());
  f.last_user_chars = static_cast<std::int64_t>(last_user.size());
  if (body.contains("tools") && body["tools"].is_array()) f.tools = static_cast<int>(body["tools"].size());

  // Capabilities.
  a.capabilities.insert("text");
  if (f.images) a.capabilities.insert("vision");
  if (f.videos) a.capabilities.insert("video");
  if (f.audio_parts) a.capabilities.insert("audio");
  if (f.tools) a.capabilities.insert("tools");
  if (body.contains("response_format") && body["response_format"].is_object() &&
      body["response_format"].value("type", "") == "json_schema")
    a.capabilities.insert("json_schema");

  // Prompt tokens: ~4 characters per token for English text, 4 tokens of
  // framing per message, fixed budgets per image / video.
  a.prompt_tokens = (f.text_chars + 3) / 4 + 4LL * f.messages + kTokensPerImage * f.images +
                    kTokensPerVideo * f.videos;

  // Features of the last user message decide the category.
  const std::string text = lower(last_user);
  f.question_marks = static_cast<int>(std::count(text.begin(), text.end(), '?'));
  f.has_code = contains_any(text, {"```", "#include", "def ", "function ", "class ", "select ", "console.log",
                                   "std::", "import ", "traceback", "stack trace", "compile", "refactor",
                                   " bug", "python", "javascript", "c++", "rust ", "typescript", "sql"});
  f.has_math = contains_any(text, {"equation", "integral", "derivative", "solve for", "prove that", "theorem",
                                   "calculate", "compute the", "probability", " sum of", "matrix", "=", "^2"});
  f.asks_reasoning = contains_any(text, {"step by step", "explain why", "why does", "why is", "reason about",
                                         "analyze", "analyse", "compare", "trade-off", "tradeoff", "pros and cons",
                                         "evaluate", "justify", "prove"});

  struct Rule {
    std::string_view name;
    std::string_view category;
    bool matches;
  };
  const Rule rules[] = {
      {"response_format json or 'extract'", "extraction",
       a.capabilities.count("json_schema") > 0 ||
           (body.contains("response_format") && body["response_format"].is_object() &&
            body["response_format"].value("type", "") == "json_object") ||
           contains_any(text, {"extract ", "parse the following", "fill in the json", "as json"})},
      {"'translate'", "translation", contains_any(text, {"translate", "translation into", " in french", " in german",
                                                         " in spanish"})},
      {"'summarize' / 'tl;dr'", "summarization", contains_any(text, {"summarize", "summarise", "summary", "tl;dr"})},
      {"code markers", "code", f.has_code},
      {"math markers", "math", f.has_math},
      {"reasoning markers", "reasoning", f.asks_reasoning},
      {"'write a story/poem'", "creative",
       contains_any(text, {"poem", "story", "lyrics", "haiku", "limerick", "creative", "fiction"})},
  };
  a.category = "chat";
  f.matched_category_rule = "default";
  for (const auto& r : rules) {
    if (r.matches) {
      a.category = std::string(r.category);
      f.matched_category_rule = std::string(r.name);
      break;
    }
  }

  // Complexity in 0..1, a sum of capped contributions (docs/ROUTING.md).
  const double length_part = 0.30 * std::min(1.0, static_cast<double>(a.prompt_tokens) / 2000.0);
  const double reasoning_part = f.asks_reasoning ? 0.20 : 0.0;
  const double code_part = f.has_code ? 0.15 : 0.0;
  const double math_part = f.has_math ? 0.15 : 0.0;
  const double questions_part = 0.10 * std::min(1.0, f.question_marks / 3.0);
  const double turns_part = 0.10 * std::min(1.0, std::max(0, f.messages - 1) / 10.0);
  a.complexity = std::clamp(length_part + reasoning_part + code_part + math_part + questions_part + turns_part, 0.0, 1.0);

  // Output length.
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (body.contains(key) && body[key].is_number_integer() && body[key].get<std::int64_t>() > 0) {
      a.expected_output_tokens = body[key].get<std::int64_t>();
      a.output_from_max_tokens = true;
      break;
    }
  }
  if (!a.output_from_max_tokens) a.expected_output_tokens = default_output_tokens(a.category);
  return a;
}

}  // namespace prism::router
