#include "voice/realtime_dialect.h"

#include <map>

#include "core/error.h"

namespace prism::voice {

std::string event_name(Dialect dialect, std::string_view ga_name) {
  if (dialect != Dialect::beta) return std::string(ga_name);
  static const std::map<std::string, std::string, std::less<>> kBetaNames = {
      {"response.output_audio.delta", "response.audio.delta"},
      {"response.output_audio.done", "response.audio.done"},
      {"response.output_audio_transcript.delta", "response.audio_transcript.delta"},
      {"response.output_audio_transcript.done", "response.audio_transcript.done"},
      {"response.output_text.delta", "response.text.delta"},
      {"response.output_text.done", "response.text.done"},
      {"conversation.item.added", "conversation.item.created"},
  };
  auto it = kBetaNames.find(ga_name);
  return it == kBetaNames.end() ? std::string(ga_name) : it->second;
}

Dialect dialect_of_session_shape(const nlohmann::json& session) {
  if (!session.is_object()) return Dialect::automatic;
  if (session.contains("type") || session.contains("audio") || session.contains("output_modalities"))
    return Dialect::ga;
  for (const char* key : {"modalities", "input_audio_format", "output_audio_format", "voice", "turn_detection",
                          "input_audio_transcription", "max_response_output_tokens"})
    if (session.contains(key)) return Dialect::beta;
  return Dialect::automatic;
}

Dialect parse_dialect(std::string_view name) {
  if (name == "ga") return Dialect::ga;
  if (name == "beta") return Dialect::beta;
  if (name == "auto") return Dialect::automatic;
  throw InvalidInput("realtime dialect must be ga, beta or auto, got \"" + std::string(name) + "\"");
}

std::string_view dialect_name(Dialect dialect) {
  switch (dialect) {
    case Dialect::ga: return "ga";
    case Dialect::beta: return "beta";
    default: return "auto";
  }
}

}  // namespace prism::voice
