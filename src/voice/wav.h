// WAV (RIFF) files holding 16-bit PCM, the format of /v1/audio/speech and of
// the test recordings. Reading mixes multi-channel audio down to mono.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace prism::voice {

struct MonoAudio {
  std::vector<int16_t> samples;
  int sample_rate = 0;
};

// Throws prism::InvalidInput naming `source` and what is wrong.
MonoAudio read_wav(std::span<const uint8_t> bytes, const std::string& source = "WAV data");
MonoAudio read_wav_file(const std::string& path);
std::vector<uint8_t> write_wav(std::span<const int16_t> samples, int sample_rate);

// True when the bytes start like a RIFF/WAVE file.
bool looks_like_wav(std::span<const uint8_t> bytes);

}  // namespace prism::voice
