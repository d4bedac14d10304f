// Decodes any audio file FFmpeg understands (WAV, MP3, FLAC, Ogg, M4A...)
// from memory to 16 kHz mono PCM16, for /v1/audio/transcriptions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace prism::voice {

// Throws prism::InvalidInput naming `filename` when the bytes are not audio
// FFmpeg can decode.
std::vector<int16_t> decode_audio_file(std::span<const uint8_t> bytes, std::string_view filename,
                                       int output_rate = 16000);

}  // namespace prism::voice
