// The two spellings of the OpenAI Realtime protocol: the GA protocol
// ("response.output_audio.delta", audio formats as {"type": "audio/pcm",
// "rate": 24000}, session.type) and the earlier beta ("response.audio.delta",
// "pcm16"). A session answers in the dialect its client speaks.
//
// How the dialect is chosen: the server passes it in SessionOptions, derived
// from the handshake (header "OpenAI-Beta: realtime=v1" or the subprotocol
// "openai-beta.realtime-v1" mean beta; anything else GA). With
// Dialect::automatic the session starts in GA (session.created in the GA
// shape) and switches to beta when the client's first event is a
// session.update with the beta shape (top-level "modalities",
// "input_audio_format", "voice", "turn_detection" or
// "input_audio_transcription", and no "type" / "audio").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace prism::voice {

enum class Dialect { ga, beta, automatic };

// Server event names that differ between the dialects, named by their GA
// spelling.
std::string event_name(Dialect dialect, std::string_view ga_name);

// Guesses the dialect from a session.update's "session" object; returns
// Dialect::automatic when the shape says nothing either way.
Dialect dialect_of_session_shape(const nlohmann::json& session);

// Parses the value of a dialect option ("ga", "beta", "auto").
Dialect parse_dialect(std::string_view name);
std::string_view dialect_name(Dialect dialect);

}  // namespace prism::voice
