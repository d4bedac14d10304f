// Where a realtime session's answers come from: the server implements this
// over the router (any local or upstream model); tests use a scripted double.
//
// Contract:
// - start() may call the callbacks on any thread, even before it returns.
// - It streams on_text_delta zero or more times, then exactly one of on_done
//   or on_error, unless cancelled.
// - cancel() must return promptly and must not wait for callbacks to finish
//   (it runs on the session's event thread, which callbacks post to). After
//   cancel() the provider may still call callbacks; the session ignores them.
// - The handle may be destroyed after cancel(), or after on_done / on_error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "voice/session_settings.h"

namespace prism::voice {

struct ReplyUsage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

struct ReplyCallbacks {
  std::function<void(std::string text_delta)> on_text_delta;
  std::function<void(ReplyUsage usage)> on_done;
  std::function<void(std::string message)> on_error;
};

class ReplyHandle {
 public:
  virtual ~ReplyHandle() = default;
  virtual void cancel() = 0;
};

class ReplyProvider {
 public:
  virtual ~ReplyProvider() = default;
  // `chat_messages` is an OpenAI chat-completions "messages" array (system
  // instructions first, then the conversation: user text / transcripts,
  // assistant text as actually delivered, tool calls and results).
  // `settings` carries the model, temperature, max_output_tokens and tools.
  virtual std::unique_ptr<ReplyHandle> start(const nlohmann::json& chat_messages, const SessionSettings& settings,
                                             ReplyCallbacks callbacks) = 0;
};

}  // namespace prism::voice
