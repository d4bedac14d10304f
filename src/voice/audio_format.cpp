#include "voice/audio_format.h"

#include "core/error.h"
#include "voice/g711.h"
#include "voice/pcm16.h"

namespace prism::voice {

AudioFormat AudioFormat::parse(const nlohmann::json& value, const std::string& field) {
  AudioFormat f;
  if (value.is_string()) {
    auto name = value.get<std::string>();
    if (name == "pcm16") return f;
    if (name == "g711_ulaw") return {Encoding::mulaw, 8000};
    if (name == "g711_alaw") return {Encoding::alaw, 8000};
    throw InvalidInput(field + ": unknown audio format \"" + name + "\" (pcm16, g711_ulaw, g711_alaw)");
  }
  if (!value.is_object() || !value.contains("type") || !value["type"].is_string())
    throw InvalidInput(field + ": expected an audio format object with a \"type\" (audio/pcm, audio/pcmu, audio/pcma)");
  auto type = value["type"].get<std::string>();
  if (type == "audio/pcmu") return {Encoding::mulaw, 8000};
  if (type == "audio/pcma") return {Encoding::alaw, 8000};
  if (type != "audio/pcm")
    throw InvalidInput(field + ".type: unknown audio format \"" + type + "\" (audio/pcm, audio/pcmu, audio/pcma)");
  if (value.contains("rate") && !value["rate"].is_null()) {
    if (!value["rate"].is_number_integer()) throw InvalidInput(field + ".rate: expected an integer");
    int rate = value["rate"].get<int>();
    // The protocol only names 24000; 8000 and 16000 are accepted as well.
    if (rate != 24000 && rate != 16000 && rate != 8000)
      throw InvalidInput(field + ".rate: " + std::to_string(rate) + " Hz is not supported (24000, 16000, 8000)");
    f.sample_rate = rate;
  }
  return f;
}

nlohmann::json AudioFormat::to_json(Dialect dialect) const {
  if (dialect == Dialect::beta) {
    switch (encoding) {
      case Encoding::mulaw: return "g711_ulaw";
      case Encoding::alaw: return "g711_alaw";
      default: return "pcm16";
    }
  }
  switch (encoding) {
    case Encoding::mulaw: return {{"type", "audio/pcmu"}};
    case Encoding::alaw: return {{"type", "audio/pcma"}};
    default: return {{"type", "audio/pcm"}, {"rate", sample_rate}};
  }
}

std::vector<int16_t> AudioFormat::decode(std::span<const uint8_t> bytes) const {
  switch (encoding) {
    case Encoding::mulaw: return mulaw_decode(bytes);
    case Encoding::alaw: return alaw_decode(bytes);
    default: return pcm16_from_bytes(bytes);
  }
}

std::vector<uint8_t> AudioFormat::encode(std::span<const int16_t> samples) const {
  switch (encoding) {
    case Encoding::mulaw: return mulaw_encode(samples);
    case Encoding::alaw: return alaw_encode(samples);
    default: return pcm16_to_bytes(samples);
  }
}

}  // namespace prism::voice
