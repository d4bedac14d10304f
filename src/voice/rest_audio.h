// The speech stack behind the REST companions of the realtime API:
// POST /v1/audio/transcriptions and POST /v1/audio/speech. The server owns
// HTTP and multipart parsing; these take and return bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace prism::voice {

constexpr size_t kMaxSpeechInputChars = 4096;     // as OpenAI's /v1/audio/speech
constexpr int64_t kMaxTranscriptionSeconds = 600;  // one request's audio
constexpr int kSpeechOutputRate = 24000;           // OpenAI's wav / pcm output rate

// Any audio file FFmpeg decodes (WAV, MP3, FLAC, Ogg, M4A...) -> English text.
// Throws prism::InvalidInput naming `filename` for undecodable or too long
// audio.
std::string transcribe(std::span<const uint8_t> audio_file_bytes, std::string_view filename);

// Text -> speech as "wav" (RIFF, PCM16 mono 24 kHz) or "pcm" (raw PCM16 LE
// mono 24 kHz, no header). `voice`: slt, rms, awb or an OpenAI voice name.
// Throws prism::InvalidInput for empty / too long text, an unknown voice or
// format.
std::vector<uint8_t> synthesize(std::string_view text, std::string_view voice, std::string_view format);

}  // namespace prism::voice
