#include "voice/rest_audio.h"

#include "core/error.h"
#include "voice/audio_file_decoder.h"
#include "voice/pcm16.h"
#include "voice/resampler.h"
#include "voice/speech_recognizer.h"
#include "voice/speech_synthesizer.h"
#include "voice/wav.h"

namespace prism::voice {

std::string transcribe(std::span<const uint8_t> audio_file_bytes, std::string_view filename) {
  auto audio = decode_audio_file(audio_file_bytes, filename, 16000);
  int64_t seconds = static_cast<int64_t>(audio.size()) / 16000;
  if (seconds > kMaxTranscriptionSeconds)
    throw InvalidInput(std::string(filename) + ": " + std::to_string(seconds) + " s of audio; the limit is " +
                       std::to_string(kMaxTranscriptionSeconds) + " s");
  return recognize(audio);
}

std::vector<uint8_t> synthesize(std::string_view text, std::string_view voice, std::string_view format) {
  if (format != "wav" && format != "pcm")
    throw InvalidInput("response_format: \"" + std::string(format) + "\" is not supported (wav, pcm)");
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) throw InvalidInput("input: the text is empty");
  if (text.size() > kMaxSpeechInputChars)
    throw InvalidInput("input: " + std::to_string(text.size()) + " characters; the limit is " +
                       std::to_string(kMaxSpeechInputChars));
  SpeechSynthesizer tts(voice.empty() ? std::string_view("alloy") : voice);
  auto speech = resample(tts.synthesize(text), tts.sample_rate(), kSpeechOutputRate);
  return format == "wav" ? write_wav(speech, kSpeechOutputRate) : pcm16_to_bytes(speech);
}

}  // namespace prism::voice
