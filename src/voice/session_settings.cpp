#include "voice/session_settings.h"

#include "core/error.h"
#include "voice/speech_synthesizer.h"

namespace prism::voice {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& field, const std::string& what) { throw InvalidInput(field + ": " + what); }

std::string string_field(const json& v, const std::string& field) {
  if (!v.is_string()) bad(field, "expected a string");
  return v.get<std::string>();
}

double number_field(const json& v, const std::string& field, double lo, double hi) {
  if (!v.is_number()) bad(field, "expected a number");
  double d = v.get<double>();
  if (d < lo || d > hi) bad(field, std::to_string(d) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return d;
}

int int_field(const json& v, const std::string& field, int lo, int hi) {
  if (!v.is_number_integer()) bad(field, "expected an integer");
  auto i = v.get<int64_t>();
  if (i < lo || i > hi) bad(field, std::to_string(i) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<int>(i);
}

bool bool_field(const json& v, const std::string& field) {
  if (!v.is_boolean()) bad(field, "expected true or false");
  return v.get<bool>();
}

void apply_turn_detection(const json& v, const std::string& field, TurnDetection& td) {
  if (v.is_null()) {
    td.type = TurnDetection::Type::none;
    return;
  }
  if (!v.is_object()) bad(field, "expected an object or null");
  TurnDetection next = td;
  if (v.contains("type") && !v["type"].is_null()) {
    auto type = string_field(v["type"], field + ".type");
    if (type == "server_vad") next.type = TurnDetection::Type::server_vad;
    else if (type == "semantic_vad") next.type = TurnDetection::Type::semantic_vad;
    else bad(field + ".type", "\"" + type + "\" is not supported (server_vad, semantic_vad, or null for none)");
  } else if (next.type == TurnDetection::Type::none ||
             (v.contains("silence_duration_ms") && !v["silence_duration_ms"].is_null())) {
    // No type: a silence window only means something to server_vad, so a
    // client that sets one (as older clients do without naming the type)
    // gets server_vad rather than the semantic default.
    next.type = TurnDetection::Type::server_vad;
  }
  if (v.contains("eagerness") && !v["eagerness"].is_null()) {
    auto eagerness = string_field(v["eagerness"], field + ".eagerness");
    if (eagerness != "low" && eagerness != "medium" && eagerness != "high" && eagerness != "auto")
      bad(field + ".eagerness", "\"" + eagerness + "\" is not one of low, medium, high, auto");
    next.eagerness = eagerness;
  }
  if (v.contains("threshold") && !v["threshold"].is_null())
    next.threshold = number_field(v["threshold"], field + ".threshold", 0.0, 1.0);
  if (v.contains("prefix_padding_ms") && !v["prefix_padding_ms"].is_null())
    next.prefix_padding_ms = int_field(v["prefix_padding_ms"], field + ".prefix_padding_ms", 0, 5000);
  if (v.contains("silence_duration_ms") && !v["silence_duration_ms"].is_null())
    next.silence_duration_ms = int_field(v["silence_duration_ms"], field + ".silence_duration_ms", 20, 10000);
  if (v.contains("create_response") && !v["create_response"].is_null())
    next.create_response = bool_field(v["create_response"], field + ".create_response");
  if (v.contains("interrupt_response") && !v["interrupt_response"].is_null())
    next.interrupt_response = bool_field(v["interrupt_response"], field + ".interrupt_response");
  if (v.contains("idle_timeout_ms")) {
    if (v["idle_timeout_ms"].is_null()) next.idle_timeout_ms.reset();
    else next.idle_timeout_ms = int_field(v["idle_timeout_ms"], field + ".idle_timeout_ms", 5000, 30000);
  }
  td = next;
}

void apply_transcription(const json& v, const std::string& field, SessionSettings& s) {
  if (v.is_null()) {
    s.transcribe_input = false;
    return;
  }
  if (!v.is_object()) bad(field, "expected an object or null");
  s.transcribe_input = true;
  if (v.contains("model") && !v["model"].is_null()) s.transcription_model = string_field(v["model"], field + ".model");
  if (v.contains("language") && !v["language"].is_null()) {
    auto lang = string_field(v["language"], field + ".language");
    if (lang != "en" && lang.rfind("en-", 0) != 0) bad(field + ".language", "only English (en) is recognised, got \"" + lang + "\"");
    s.transcription_language = lang;
  }
}

void apply_modalities(const json& v, const std::string& field, SessionSettings& s) {
  if (!v.is_array() || v.empty()) bad(field, "expected a non-empty array of \"text\" / \"audio\"");
  bool audio = false;
  for (const auto& m : v) {
    auto name = string_field(m, field + "[]");
    if (name == "audio") audio = true;
    else if (name != "text") bad(field, "unknown modality \"" + name + "\"");
  }
  s.output_audio = audio;
}

void apply_max_tokens(const json& v, const std::string& field, SessionSettings& s) {
  if (v.is_string() && v.get<std::string>() == "inf") s.max_output_tokens.reset();
  else s.max_output_tokens = int_field(v, field, 1, 4096);
}

}  // namespace

void SessionSettings::apply_update(const json& session, Dialect dialect) {
  if (!session.is_object()) bad("session", "expected an object");
  SessionSettings next = *this;  // all or nothing
  const json& s = session;
  if (s.contains("type") && !s["type"].is_null()) {
    auto type = string_field(s["type"], "session.type");
    if (type != "realtime") bad("session.type", "\"" + type + "\" sessions are not supported (realtime)");
  }
  if (s.contains("model") && !s["model"].is_null()) next.model = string_field(s["model"], "session.model");
  if (s.contains("instructions") && !s["instructions"].is_null())
    next.instructions = string_field(s["instructions"], "session.instructions");
  if (s.contains("tools") && !s["tools"].is_null()) {
    if (!s["tools"].is_array()) bad("session.tools", "expected an array");
    next.tools = s["tools"];
  }
  if (s.contains("tool_choice") && !s["tool_choice"].is_null()) next.tool_choice = s["tool_choice"];
  if (s.contains("temperature") && !s["temperature"].is_null())
    next.temperature = number_field(s["temperature"], "session.temperature", 0.0, 2.0);

  if (dialect == Dialect::beta) {
    if (s.contains("voice")) next.voice = string_field(s["voice"], "session.voice");
    if (s.contains("input_audio_format")) next.input_format = AudioFormat::parse(s["input_audio_format"], "session.input_audio_format");
    if (s.contains("output_audio_format")) next.output_format = AudioFormat::parse(s["output_audio_format"], "session.output_audio_format");
    if (s.contains("turn_detection")) apply_turn_detection(s["turn_detection"], "session.turn_detection", next.turn_detection);
    if (s.contains("input_audio_transcription"))
      apply_transcription(s["input_audio_transcription"], "session.input_audio_transcription", next);
    if (s.contains("input_audio_noise_reduction")) next.noise_reduction = s["input_audio_noise_reduction"];
    if (s.contains("modalities")) apply_modalities(s["modalities"], "session.modalities", next);
    if (s.contains("max_response_output_tokens")) apply_max_tokens(s["max_response_output_tokens"], "session.max_response_output_tokens", next);
  } else {
    if (s.contains("output_modalities")) apply_modalities(s["output_modalities"], "session.output_modalities", next);
    if (s.contains("max_output_tokens")) apply_max_tokens(s["max_output_tokens"], "session.max_output_tokens", next);
    if (s.contains("audio") && !s["audio"].is_null()) {
      const json& audio = s["audio"];
      if (!audio.is_object()) bad("session.audio", "expected an object");
      if (audio.contains("input") && !audio["input"].is_null()) {
        const json& in = audio["input"];
        if (!in.is_object()) bad("session.audio.input", "expected an object");
        if (in.contains("format") && !in["format"].is_null())
          next.input_format = AudioFormat::parse(in["format"], "session.audio.input.format");
        if (in.contains("turn_detection"))
          apply_turn_detection(in["turn_detection"], "session.audio.input.turn_detection", next.turn_detection);
        if (in.contains("transcription")) apply_transcription(in["transcription"], "session.audio.input.transcription", next);
        if (in.contains("noise_reduction")) next.noise_reduction = in["noise_reduction"];
      }
      if (audio.contains("output") && !audio["output"].is_null()) {
        const json& out = audio["output"];
        if (!out.is_object()) bad("session.audio.output", "expected an object");
        if (out.contains("format") && !out["format"].is_null())
          next.output_format = AudioFormat::parse(out["format"], "session.audio.output.format");
        if (out.contains("voice") && !out["voice"].is_null()) next.voice = string_field(out["voice"], "session.audio.output.voice");
      }
    }
  }
  try {
    flite_voice_for(next.voice);
  } catch (const InvalidInput& e) {
    bad(dialect == Dialect::beta ? "session.voice" : "session.audio.output.voice", e.what());
  }
  *this = std::move(next);
}

json SessionSettings::to_json(Dialect dialect, const std::string& session_id) const {
  json td = nullptr;
  if (turn_detection.type == TurnDetection::Type::semantic_vad) {
    td = {{"type", "semantic_vad"},
          {"eagerness", turn_detection.eagerness},
          {"create_response", turn_detection.create_response},
          {"interrupt_response", turn_detection.interrupt_response}};
  } else if (turn_detection.type == TurnDetection::Type::server_vad) {
    td = {{"type", "server_vad"},
          {"threshold", turn_detection.threshold},
          {"prefix_padding_ms", turn_detection.prefix_padding_ms},
          {"silence_duration_ms", turn_detection.silence_duration_ms},
          {"create_response", turn_detection.create_response},
          {"interrupt_response", turn_detection.interrupt_response}};
    td["idle_timeout_ms"] = turn_detection.idle_timeout_ms ? json(*turn_detection.idle_timeout_ms) : json(nullptr);
  }
  json transcription = nullptr;
  if (transcribe_input) {
    transcription = {{"model", transcription_model}};
    transcription["language"] = transcription_language ? json(*transcription_language) : json(nullptr);
  }
  json modalities = output_audio ? json::array({"audio"}) : json::array({"text"});
  json max_tokens = max_output_tokens ? json(*max_output_tokens) : json("inf");
  json out = {{"id", session_id}, {"object", "realtime.session"}, {"model", model},
              {"instructions", instructions}, {"tools", tools}, {"tool_choice", tool_choice}};
  if (dialect == Dialect::beta) {
    out["modalities"] = output_audio ? json::array({"text", "audio"}) : json::array({"text"});
    out["voice"] = voice;
    out["input_audio_format"] = input_format.to_json(dialect);
    out["output_audio_format"] = output_format.to_json(dialect);
    out["input_audio_transcription"] = transcription;
    out["turn_detection"] = td;
    out["input_audio_noise_reduction"] = noise_reduction;
    out["temperature"] = temperature.value_or(0.8);
    out["max_response_output_tokens"] = max_tokens;
  } else {
    out["type"] = "realtime";
    out["output_modalities"] = modalities;
    out["max_output_tokens"] = max_tokens;
    out["audio"] = {{"input",
                     {{"format", input_format.to_json(dialect)},
                      {"transcription", transcription},
                      {"noise_reduction", noise_reduction},
                      {"turn_detection", td}}},
                    {"output", {{"format", output_format.to_json(dialect)}, {"voice", voice}, {"speed", 1.0}}}};
  }
  return out;
}

}  // namespace prism::voice
