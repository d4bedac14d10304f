#include "voice/turn_timing.h"

namespace prism::voice {

nlohmann::json TurnTiming::to_json() const {
  using Ms = std::chrono::duration<double, std::milli>;
  Point origin = speech_end ? speech_end : turn_detected ? turn_detected : request_sent;
  nlohmann::json timeline = nlohmann::json::object();
  auto add = [&](const char* name, const Point& p) {
    if (p && origin) timeline[name] = Ms(*p - *origin).count();
  };
  add("speech_end", speech_end);
  add("turn_detected", turn_detected);
  add("final_transcript", final_transcript);
  add("request_sent", request_sent);
  add("first_token", first_token);
  add("first_clause", first_clause);
  add("first_audio_synthesized", first_audio_synthesized);
  add("first_audio_sent", first_audio_sent);
  nlohmann::json out = {{"timeline_ms", timeline},
                        {"speech_end_audio_ms", speech_end_audio_ms},
                        {"turn_detected_audio_ms", turn_detected_audio_ms}};
  if (turn_detected && first_audio_sent)
    out["turn_detected_to_first_audio_ms"] = Ms(*first_audio_sent - *turn_detected).count();
  if (speech_end && first_audio_sent)
    out["speech_end_to_first_audio_ms"] = Ms(*first_audio_sent - *speech_end).count();
  return out;
}

}  // namespace prism::voice
