// The session's input / output audio formats: PCM16 LE (24 kHz by default),
// G.711 mu-law or A-law (8 kHz). Parses and prints both protocol dialects.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "voice/realtime_dialect.h"

namespace prism::voice {

struct AudioFormat {
  enum class Encoding { pcm16, mulaw, alaw } encoding = Encoding::pcm16;
  int sample_rate = 24000;

  // GA: {"type": "audio/pcm", "rate": 24000} | {"type": "audio/pcmu"} | {"type": "audio/pcma"};
  // beta: "pcm16" | "g711_ulaw" | "g711_alaw". Throws prism::InvalidInput naming `field`.
  static AudioFormat parse(const nlohmann::json& value, const std::string& field);
  nlohmann::json to_json(Dialect dialect) const;

  // Wire bytes -> samples at sample_rate (throws prism::InvalidInput on a
  // partial PCM16 sample).
  std::vector<int16_t> decode(std::span<const uint8_t> bytes) const;
  std::vector<uint8_t> encode(std::span<const int16_t> samples) const;
  size_t bytes_per_sample() const { return encoding == Encoding::pcm16 ? 2 : 1; }

  bool operator==(const AudioFormat&) const = default;
};

}  // namespace prism::voice
