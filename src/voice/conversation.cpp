#include "voice/conversation.h"

#include <algorithm>

#include "core/error.h"

namespace prism::voice {

using nlohmann::json;

json ConversationItem::to_json(Dialect dialect) const {
  json j = {{"id", id}, {"object", "realtime.item"}, {"type", type}, {"status", status}};
  if (type == "function_call") {
    j["call_id"] = call_id;
    j["name"] = name;
    j["arguments"] = arguments;
    return j;
  }
  if (type == "function_call_output") {
    j["call_id"] = call_id;
    j["output"] = output;
    return j;
  }
  j["role"] = role;
  json parts = json::array();
  for (const auto& p : content) {
    std::string t = p.type;
    if (dialect == Dialect::beta) {
      if (t == "output_text") t = "text";
      if (t == "output_audio") t = "audio";
    }
    json part = {{"type", t}};
    if (p.type == "input_text" || p.type == "output_text") part["text"] = p.text;
    else part["transcript"] = p.transcript ? json(*p.transcript) : json(nullptr);
    parts.push_back(part);
  }
  j["content"] = parts;
  return j;
}

ConversationItem ConversationItem::from_client_json(const json& item) {
  auto bad = [](const std::string& field, const std::string& what) -> void { throw InvalidInput(field + ": " + what); };
  if (!item.is_object()) bad("item", "expected an object");
  ConversationItem out;
  if (item.contains("id") && !item["id"].is_null()) {
    if (!item["id"].is_string() || item["id"].get<std::string>().empty() || item["id"].get<std::string>().size() > 64)
      bad("item.id", "expected a string of 1..64 characters");
    out.id = item["id"].get<std::string>();
  }
  if (!item.contains("type") || !item["type"].is_string()) bad("item.type", "missing (message, function_call, function_call_output)");
  out.type = item["type"].get<std::string>();
  auto str = [&](const char* key, std::string& into) {
    if (!item.contains(key) || !item[key].is_string()) bad(std::string("item.") + key, "missing or not a string");
    into = item[key].get<std::string>();
  };
  if (out.type == "function_call") {
    str("call_id", out.call_id);
    str("name", out.name);
    str("arguments", out.arguments);
    return out;
  }
  if (out.type == "function_call_output") {
    str("call_id", out.call_id);
    str("output", out.output);
    return out;
  }
  if (out.type != "message") bad("item.type", "\"" + out.type + "\" is not supported (message, function_call, function_call_output)");
  str("role", out.role);
  if (out.role != "user" && out.role != "assistant" && out.role != "system")
    bad("item.role", "\"" + out.role + "\" is not one of user, assistant, system");
  if (!item.contains("content") || !item["content"].is_array() || item["content"].empty())
    bad("item.content", "expected a non-empty array");
  for (size_t i = 0; i < item["content"].size(); ++i) {
    const json& c = item["content"][i];
    std::string field = "item.content[" + std::to_string(i) + "]";
    if (!c.is_object() || !c.contains("type") || !c["type"].is_string()) bad(field + ".type", "missing");
    ContentPart part;
    part.type = c["type"].get<std::string>();
    if (part.type == "text") part.type = out.role == "assistant" ? "output_text" : "input_text";
    if (part.type == "audio") part.type = out.role == "assistant" ? "output_audio" : "input_audio";
    if (part.type == "input_text" || part.type == "output_text") {
      if (!c.contains("text") || !c["text"].is_string()) bad(field + ".text", "missing or not a string");
      part.text = c["text"].get<std::string>();
    } else if (part.type == "input_audio" || part.type == "output_audio") {
      if (c.contains("transcript") && c["transcript"].is_string()) part.transcript = c["transcript"].get<std::string>();
      // The audio itself (base64) is decoded and transcribed by the session.
    } else {
      bad(field + ".type", "\"" + part.type + "\" is not supported (input_text, input_audio, output_text, output_audio)");
    }
    bool user_side = part.type.rfind("input_", 0) == 0;
    if ((out.role == "assistant") == user_side)
      bad(field + ".type", "\"" + part.type + "\" does not fit role " + out.role);
    out.content.push_back(std::move(part));
  }
  return out;
}

std::string Conversation::insert(ConversationItem item, const std::string& previous_item_id) {
  if (previous_item_id.empty()) {
    std::string previous = last_id();
    items_.push_back(std::move(item));
    return previous;
  }
  if (previous_item_id == "root") {
    items_.insert(items_.begin(), std::move(item));
    return "";
  }
  auto it = std::find_if(items_.begin(), items_.end(), [&](const auto& i) { return i.id == previous_item_id; });
  if (it == items_.end()) throw InvalidInput("previous_item_id: no item \"" + previous_item_id + "\" in the conversation");
  items_.insert(it + 1, std::move(item));
  return previous_item_id;
}

ConversationItem* Conversation::find(const std::string& id) {
  auto it = std::find_if(items_.begin(), items_.end(), [&](const auto& i) { return i.id == id; });
  return it == items_.end() ? nullptr : &*it;
}

bool Conversation::erase(const std::string& id) {
  auto it = std::find_if(items_.begin(), items_.end(), [&](const auto& i) { return i.id == id; });
  if (it == items_.end()) return false;
  items_.erase(it);
  return true;
}

json Conversation::to_chat_messages(const std::string& instructions) const {
  json messages = json::array();
  if (!instructions.empty()) messages.push_back({{"role", "system"}, {"content", instructions}});
  for (const auto& item : items_) {
    if (item.type == "function_call") {
      messages.push_back({{"role", "assistant"},
                          {"content", nullptr},
                          {"tool_calls", json::array({{{"id", item.call_id},
                                                       {"type", "function"},
                                                       {"function", {{"name", item.name}, {"arguments", item.arguments}}}}})}});
      continue;
    }
    if (item.type == "function_call_output") {
      messages.push_back({{"role", "tool"}, {"tool_call_id", item.call_id}, {"content", item.output}});
      continue;
    }
    std::string text;
    for (const auto& p : item.content) {
      const std::string& piece = p.transcript ? *p.transcript : p.text;
      if (piece.empty()) continue;
      if (!text.empty()) text += ' ';
      text += piece;
    }
    if (text.empty()) continue;  // e.g. audio whose transcript is not known
    messages.push_back({{"role", item.role}, {"content", text}});
  }
  return messages;
}

}  // namespace prism::voice
