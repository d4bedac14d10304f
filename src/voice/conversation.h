// A realtime session's conversation: the ordered items the protocol's
// conversation.item.* events manage, and their rendering as chat messages
// for the model.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "voice/realtime_dialect.h"

namespace prism::voice {

struct ContentPart {
  // input_text, input_audio, output_text, output_audio (GA names; beta
  // prints assistant parts as "text" / "audio").
  std::string type;
  std::string text;                       // input_text / output_text
  std::optional<std::string> transcript;  // audio parts (null until known)
  int64_t audio_ms = 0;                   // audio parts: duration held
};

struct ConversationItem {
  std::string id;
  std::string type = "message";  // message, function_call, function_call_output
  std::string role;              // message: user, assistant, system
  std::string status = "completed";
  std::vector<ContentPart> content;
  std::string call_id, name, arguments, output;  // function_call(_output)

  nlohmann::json to_json(Dialect dialect) const;
  // Throws prism::InvalidInput naming the field; `id` is assigned by the
  // caller when the client gave none.
  static ConversationItem from_client_json(const nlohmann::json& item);
};

class Conversation {
 public:
  // Inserts after `previous_item_id` ("" = at the end, "root" = first).
  // Returns the id of the item now before it ("" when first).
  std::string insert(ConversationItem item, const std::string& previous_item_id = "");
  ConversationItem* find(const std::string& id);
  bool erase(const std::string& id);
  std::string last_id() const { return items_.empty() ? std::string() : items_.back().id; }
  size_t size() const { return items_.size(); }
  const std::vector<ConversationItem>& items() const { return items_; }

  // Chat-completions messages: system instructions, then every item.
  nlohmann::json to_chat_messages(const std::string& instructions) const;

 private:
  std::vector<ConversationItem> items_;
};

}  // namespace prism::voice
