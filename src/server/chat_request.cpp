#include "server/chat_request.h"

#include <algorithm>
#include <set>

namespace prism::server {
namespace {

[[noreturn]] void reject(const std::string& message, const std::string& param) {
  throw bad_request(message, param, "invalid_type");
}

void check_content(const nlohmann::json& content, const std::string& where) {
  if (content.is_string() || content.is_null()) return;
  if (!content.is_array()) reject(where + " must be a string or an array of content parts", where);
  for (std::size_t i = 0; i < content.size(); ++i) {
    const auto& part = content[i];
    const std::string p = where + "[" + std::to_string(i) + "]";
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
      reject(p + " must be an object with a string \"type\"", p);
    const std::string type = part["type"].get<std::string>();
    if (type == "text") {
      if (!part.contains("text") || !part["text"].is_string()) reject(p + ".text must be a string", p + ".text");
    } else if (type == "image_url" || type == "video_url") {
      const auto& url = part.value(type, nlohmann::json());
      if (!(url.is_object() && url.contains("url") && url["url"].is_string()) && !url.is_string())
        reject(p + "." + type + " must be an object with a string \"url\"", p + "." + type);
    }
  }
}

}  // namespace

nlohmann::json parse_chat_request(std::string_view text) {
  nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) throw bad_request("request body is not valid JSON", std::nullopt, "invalid_json");
  if (!body.is_object()) throw bad_request("request body must be a JSON object", std::nullopt, "invalid_json");
  if (!body.contains("model")) throw bad_request("you must provide a model parameter", "model", "missing_required_parameter");
  if (!body["model"].is_string() || body["model"].get_ref<const std::string&>().empty())
    reject("model must be a non-empty string", "model");
  if (!body.contains("messages"))
    throw bad_request("missing required parameter: 'messages'", "messages", "missing_required_parameter");
  const auto& messages = body["messages"];
  if (!messages.is_array()) reject("messages must be an array", "messages");
  if (messages.empty()) throw bad_request("messages must contain at least one message", "messages", "empty_array");
  static const std::set<std::string> roles = {"system", "developer", "user", "assistant", "tool", "function"};
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) reject(where + " must be an object", where);
    if (!m.contains("role") || !m["role"].is_string()) reject(where + ".role must be a string", where + ".role");
    if (!roles.count(m["role"].get<std::string>()))
      throw bad_request(where + ".role \"" + m["role"].get<std::string>() +
                            "\" is not one of system, developer, user, assistant, tool, function",
                        where + ".role", "invalid_value");
    if (m.contains("content")) check_content(m["content"], where + ".content");
  }
  auto check = [&](const char* key, bool ok, const char* what) {
    if (body.contains(key) && !body[key].is_null() && !ok) reject(std::string(key) + " must be " + what, key);
  };
  check("stream", body.value("stream", nlohmann::json()).is_boolean(), "a boolean");
  for (const char* key : {"max_tokens", "max_completion_tokens", "n", "seed", "top_k"}) {
    const auto& v = body.value(key, nlohmann::json());
    check(key, v.is_number_integer(), "an integer");
    if (v.is_number_integer() && std::string_view(key) != "seed" && v.get<std::int64_t>() < 1)
      throw bad_request(std::string(key) + " must be at least 1", key, "invalid_value");
  }
  for (const char* key : {"temperature", "top_p", "min_p", "presence_penalty", "frequency_penalty",
                          "repetition_penalty"}) {
    check(key, body.value(key, nlohmann::json()).is_number(), "a number");
  }
  if (body.contains("temperature") && body["temperature"].is_number()) {
    const double t = body["temperature"].get<double>();
    if (t < 0 || t > 2) throw bad_request("temperature must be within 0..2", "temperature", "invalid_value");
  }
  const auto& stop = body.value("stop", nlohmann::json());
  const bool stop_ok = stop.is_string() || (stop.is_array() && std::all_of(stop.begin(), stop.end(),
                                                                            [](const auto& s) { return s.is_string(); }));
  check("stop", stop_ok, "a string or an array of strings");
  check("tools", body.value("tools", nlohmann::json()).is_array(), "an array");
  check("response_format", body.value("response_format", nlohmann::json()).is_object(), "an object");
  check("stream_options", body.value("stream_options", nlohmann::json()).is_object(), "an object");
  check("routing", body.value("routing", nlohmann::json()).is_object(), "an object");
  return body;
}

}  // namespace prism::server
