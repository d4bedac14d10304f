// Deterministic analysis of a chat request: what it needs (capabilities,
// context), how long its answer is likely to be, what kind of task it is and
// how hard. Every figure is derived from documented features of the request
// (docs/ROUTING.md), so a person can recompute it.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace prism::router {

struct RequestFeatures {
  std::int64_t text_chars = 0;       // all text content, every message
  std::int64_t last_user_chars = 0;
  int messages = 0;
  int images = 0;
  int videos = 0;
  int audio_parts = 0;
  int tools = 0;
  int question_marks = 0;            // in the last user message
  bool has_code = false;             // code fences or code keywords
  bool has_math = false;             // equations or math vocabulary
  bool asks_reasoning = false;       // "step by step", "explain why", "prove", ...
  std::string matched_category_rule; // which rule chose the category

  nlohmann::json to_json() const;
};

struct RequestAnalysis {
  std::set<std::string> capabilities;      // needed by the request
  std::int64_t prompt_tokens = 0;          // estimate
  std::int64_t expected_output_tokens = 0; // max_tokens if given, else by category
  bool output_from_max_tokens = false;
  std::string category;                    // chat, code, math, reasoning, summarization, extraction, translation, creative
  double complexity = 0;                   // 0..1
  RequestFeatures features;

  nlohmann::json to_json() const;
};

// Tokens assumed for one image / one video when estimating prompt length.
constexpr std::int64_t kTokensPerImage = 850;
constexpr std::int64_t kTokensPerVideo = 4000;

// The task categories the analysis knows (quality may be set per category).
const std::vector<std::string>& task_categories();

// `body` is an OpenAI chat completion request already validated for shape.
RequestAnalysis analyze_request(const nlohmann::json& body);

}  // namespace prism::router
