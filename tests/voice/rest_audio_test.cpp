// The REST companions: text -> speech -> bytes, and audio files -> text.
#include <gtest/gtest.h>

#include "core/error.h"
#include "voice/pcm16.h"
#include "voice/resampler.h"
#include "voice/rest_audio.h"
#include "voice/wav.h"
#include "voice/word_error_rate.h"

namespace prism::voice {
namespace {

TEST(RestAudio, SpeechAsWavAndPcmThenBackToText) {
  const std::string text = "please call me back when you have time tomorrow morning";
  auto wav = synthesize(text, "alloy", "wav");
  auto decoded = read_wav(wav, "speech.wav");
  EXPECT_EQ(decoded.sample_rate, 24000);
  EXPECT_GT(decoded.samples.size(), 24000u * 2);
  EXPECT_GT(rms_level(decoded.samples), 500);
  auto pcm = synthesize(text, "alloy", "pcm");
  EXPECT_EQ(pcm.size(), decoded.samples.size() * 2) << "pcm is the wav without its header";
  // The WAV goes through FFmpeg (24 kHz -> 16 kHz) and PocketSphinx.
  std::string heard = transcribe(wav, "speech.wav");
  WordErrors e = word_errors(text, heard);
  std::printf("[ measured ] /v1/audio/speech -> /v1/audio/transcriptions WER %.1f%%: \"%s\"\n", 100 * e.rate(),
              heard.c_str());
  EXPECT_LT(e.rate(), 0.3);
}

TEST(RestAudio, BadRequestsNameWhatIsWrong) {
  auto message = [](auto fn) {
    try {
      fn();
    } catch (const InvalidInput& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([] { synthesize("hello", "alloy", "mp3"); }).find("response_format"), std::string::npos);
  EXPECT_NE(message([] { synthesize("   ", "alloy", "wav"); }).find("input"), std::string::npos);
  EXPECT_NE(message([] { synthesize(std::string(5000, 'a'), "alloy", "wav"); }).find("4096"), std::string::npos);
  EXPECT_NE(message([] { synthesize("hello", "robot", "wav"); }).find("robot"), std::string::npos);
  std::vector<uint8_t> junk(1000, 0x42);
  EXPECT_NE(message([&] { transcribe(junk, "upload.mp3"); }).find("upload.mp3"), std::string::npos);
}

}  // namespace
}  // namespace prism::voice
