// A realtime session's configuration as session.update sets it, with the
// protocol's defaults, parsed from and printed in either dialect.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "voice/audio_format.h"
#include "voice/realtime_dialect.h"

namespace prism::voice {

struct TurnDetection {
  // semantic_vad: the same acoustic detector, with the end of turn decided
  // by eagerness and the words so far (turn_taking.h).
  enum class Type { none, server_vad, semantic_vad } type = Type::semantic_vad;
  std::string eagerness = "auto";  // semantic_vad: low | medium | high | auto
  double threshold = 0.5;
  int prefix_padding_ms = 300;
  int silence_duration_ms = 500;
  bool create_response = true;
  bool interrupt_response = true;
  std::optional<int> idle_timeout_ms;  // accepted and echoed; not acted on
};

struct SessionSettings {
  std::string model;  // what the router should answer with ("" = router default)
  std::string instructions;
  std::string voice = "alloy";
  AudioFormat input_format;
  AudioFormat output_format;
  TurnDetection turn_detection;
  bool transcribe_input = false;  // emit input_audio_transcription events
  std::string transcription_model = "pocketsphinx-en-us";
  std::optional<std::string> transcription_language;
  bool output_audio = true;  // output modalities: audio (+ its transcript) or text only
  nlohmann::json tools = nlohmann::json::array();
  nlohmann::json tool_choice = "auto";
  std::optional<double> temperature;
  std::optional<int64_t> max_output_tokens;  // nullopt = "inf"
  nlohmann::json noise_reduction = nullptr;   // accepted and echoed

  // Applies a session.update "session" object. Throws prism::InvalidInput
  // naming the field ("session.audio.input.format.rate: ..."); on a throw
  // the settings are unchanged.
  void apply_update(const nlohmann::json& session, Dialect dialect);
  nlohmann::json to_json(Dialect dialect, const std::string& session_id) const;
};

}  // namespace prism::voice
