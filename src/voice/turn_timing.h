// One spoken turn's latency timeline, from the end of the user's speech to
// the first audio byte of the answer. Sent to the client as the
// prism-specific event "prism.turn.timing" (other clients ignore unknown
// events), logged, and handed to SessionOptions::on_turn_timing for metrics.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace prism::voice {

struct TurnTiming {
  using Clock = std::chrono::steady_clock;
  using Point = std::optional<Clock::time_point>;

  // Estimated wall time at which speech ended in the audio: the arrival of
  // the frame holding it, assuming the client streams in real time.
  Point speech_end;
  Point turn_detected;       // VAD decided the turn ended (or the client committed)
  Point final_transcript;    // recogniser's final hypothesis
  Point request_sent;        // reply provider started
  Point first_token;         // first text delta from the model
  Point first_clause;        // first speakable clause handed to synthesis
  Point first_audio_synthesized;
  Point first_audio_sent;    // first audio delta handed to the transport
  int64_t speech_end_audio_ms = -1;     // offsets in the session's input audio
  int64_t turn_detected_audio_ms = -1;

  // {"speech_end_audio_ms", "turn_detected_audio_ms",
  //  "timeline_ms": {"<stage>": ms since speech_end (or since turn_detected
  //  when speech_end is unknown)}, "turn_detected_to_first_audio_ms",
  //  "speech_end_to_first_audio_ms"}; stages not reached are absent.
  nlohmann::json to_json() const;
};

}  // namespace prism::voice
