#include "voice/pcm16.h"

#include <cmath>

#include "core/error.h"

namespace prism::voice {

std::vector<int16_t> pcm16_from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() % 2 != 0)
    throw InvalidInput("PCM16 audio has an odd number of bytes (" + std::to_string(bytes.size()) +
                       "): every sample is 2 bytes");
  std::vector<int16_t> samples(bytes.size() / 2);
  for (size_t i = 0; i < samples.size(); ++i)
    samples[i] = static_cast<int16_t>(static_cast<uint16_t>(bytes[2 * i]) |
                                      static_cast<uint16_t>(bytes[2 * i + 1]) << 8);
  return samples;
}

void append_pcm16_bytes(std::span<const int16_t> samples, std::string& out) {
  size_t at = out.size();
  out.resize(at + samples.size() * 2);
  for (int16_t s : samples) {
    auto u = static_cast<uint16_t>(s);
    out[at++] = static_cast<char>(u & 0xFF);
    out[at++] = static_cast<char>(u >> 8);
  }
}

std::vector<uint8_t> pcm16_to_bytes(std::span<const int16_t> samples) {
  std::vector<uint8_t> out(samples.size() * 2);
  for (size_t i = 0; i < samples.size(); ++i) {
    auto u = static_cast<uint16_t>(samples[i]);
    out[2 * i] = static_cast<uint8_t>(u & 0xFF);
    out[2 * i + 1] = static_cast<uint8_t>(u >> 8);
  }
  return out;
}

double rms_level(std::span<const int16_t> samples) {
  if (samples.empty()) return 0.0;
  double sum = 0;
  for (int16_t s : samples) sum += static_cast<double>(s) * s;
  return std::sqrt(sum / static_cast<double>(samples.size()));
}

}  // namespace prism::voice
