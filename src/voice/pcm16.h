// PCM16 little-endian helpers: the wire format of the Realtime API's
// "audio/pcm" and of WAV files. Samples are host int16_t; bytes are LE.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace prism::voice {

// Throws prism::InvalidInput when the byte count is odd (half a sample).
std::vector<int16_t> pcm16_from_bytes(std::span<const uint8_t> bytes);
void append_pcm16_bytes(std::span<const int16_t> samples, std::string& out);
std::vector<uint8_t> pcm16_to_bytes(std::span<const int16_t> samples);

// Root mean square level of the samples, in int16 units (0 for none).
double rms_level(std::span<const int16_t> samples);

// Milliseconds of audio held by `samples` at `rate` Hz (rounded down).
inline int64_t samples_to_ms(int64_t samples, int rate) { return samples * 1000 / rate; }
inline int64_t ms_to_samples(int64_t ms, int rate) { return ms * rate / 1000; }

}  // namespace prism::voice
