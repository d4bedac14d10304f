// Audio primitives: G.711 against the standard's decoding formula, base64
// strictness, resampling length and energy, WAV round trips, FFmpeg decoding.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "core/error.h"
#include "voice/audio_file_decoder.h"
#include "voice/base64.h"
#include "voice/g711.h"
#include "voice/pcm16.h"
#include "voice/resampler.h"
#include "voice/wav.h"

namespace prism::voice {
namespace {

// ITU-T G.711 decoding, written from the standard's definition rather than
// from the implementation's tables: mu-law codes are transmitted inverted;
// chord (exponent) e and step (mantissa) m give ((2m + 33) * 2^e - 33) in
// 14-bit units. A-law codes have even bits inverted; chord 0 gives 2m + 1,
// chord e > 0 gives (2m + 33) * 2^(e-1), in 13-bit units (sign bit 1 = +).
int reference_mulaw(uint8_t code) {
  int u = ~code & 0xFF;
  int e = (u >> 4) & 7, m = u & 15;
  int magnitude14 = (2 * m + 33) * (1 << e) - 33;
  return (u & 0x80 ? -1 : 1) * magnitude14 * 4;
}
int reference_alaw(uint8_t code) {
  int a = code ^ 0x55;
  int e = (a >> 4) & 7, m = a & 15;
  int magnitude13 = e == 0 ? 2 * m + 1 : (2 * m + 33) * (1 << (e - 1));
  return (a & 0x80 ? 1 : -1) * magnitude13 * 8;
}

TEST(G711, MulawDecodeMatchesTheStandardForEveryCode) {
  for (int c = 0; c < 256; ++c) EXPECT_EQ(mulaw_decode(static_cast<uint8_t>(c)), reference_mulaw(static_cast<uint8_t>(c))) << c;
  // Known reference points: 0xFF and 0x7F are the two zeros, 0x80 / 0x00 the extremes.
  EXPECT_EQ(mulaw_decode(uint8_t{0xFF}), 0);
  EXPECT_EQ(mulaw_decode(uint8_t{0x80}), reference_mulaw(0x80));
  EXPECT_EQ(mulaw_decode(uint8_t{0x80}), 32124);
  EXPECT_EQ(mulaw_decode(uint8_t{0x00}), -32124);
}

TEST(G711, AlawDecodeMatchesTheStandardForEveryCode) {
  for (int c = 0; c < 256; ++c) EXPECT_EQ(alaw_decode(static_cast<uint8_t>(c)), reference_alaw(static_cast<uint8_t>(c))) << c;
  EXPECT_EQ(alaw_decode(uint8_t{0xD5}), 8);      // smallest positive step
  EXPECT_EQ(alaw_decode(uint8_t{0xAA}), 32256);  // largest positive
}

TEST(G711, EncodingRoundTripsWithinOneStep) {
  for (int c = 0; c < 256; ++c) {
    if (c == 0x7F) continue;  // negative zero encodes back as positive zero
    EXPECT_EQ(mulaw_encode(mulaw_decode(static_cast<uint8_t>(c))), c) << c;
  }
  for (int c = 0; c < 256; ++c) EXPECT_EQ(alaw_encode(alaw_decode(static_cast<uint8_t>(c))), c) << c;
  // Every 16-bit value decodes back within one step of its chord (the level
  // is the step's midpoint; the bound leaves room for the 14/13-bit shift).
  for (int s = -32768; s < 32768; s += 7) {
    int16_t x = static_cast<int16_t>(s);
    int mu = mulaw_decode(mulaw_encode(x));
    int a = alaw_decode(alaw_encode(x));
    int mag = std::abs(s);
    // Step sizes: mu-law 2^(e+3) in 16-bit units, A-law 2^(e+4) (chords 0,1: 16).
    int mu_step = 8;
    while (mu_step < 1024 && mag + 132 >= mu_step * 16) mu_step *= 2;
    int a_step = 16;
    while (a_step < 1024 && mag >= a_step * 32) a_step *= 2;
    if (mag < 32000) {
      EXPECT_LE(std::abs(mu - s), mu_step) << s;
      EXPECT_LE(std::abs(a - s), a_step) << s;
    }
  }
}

TEST(Base64, RoundTripsAndRejectsInvalidInput) {
  std::mt19937 rng(7);
  for (size_t n = 0; n < 40; ++n) {
    std::vector<uint8_t> bytes(n);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  }
  EXPECT_EQ(base64_encode(std::string_view("Man")), "TWFu");
  EXPECT_EQ(base64_encode(std::string_view("Ma")), "TWE=");
  EXPECT_EQ(base64_encode(std::string_view("M")), "TQ==");
  for (const char* bad : {"TWF", "TW=u", "T===", "TWFu!A==", "TWE", "TQ=A", "TWF u", "TR==", "TWF=",
                          "=TWF", "TWFu\n"}) {
    EXPECT_THROW(base64_decode(bad), InvalidInput) << bad;
  }
  try {
    base64_decode("TWFu*WFu");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("offset 4"), std::string::npos) << e.what();
  }
}

std::vector<int16_t> sine(double hz, int rate, double seconds, double amplitude = 10000) {
  std::vector<int16_t> out(static_cast<size_t>(rate * seconds));
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<int16_t>(amplitude * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / rate));
  return out;
}

TEST(Resampler, KeepsLengthAndEnergyAcrossRates) {
  for (auto [from, to] : {std::pair{24000, 16000}, {16000, 24000}, {8000, 16000}, {16000, 8000}, {24000, 8000}}) {
    auto input = sine(440, from, 1.0);
    // Stream it in 20 ms chunks like the live path does.
    Resampler r(from, to);
    std::vector<int16_t> out;
    size_t chunk = static_cast<size_t>(from / 50);
    for (size_t at = 0; at < input.size(); at += chunk)
      r.process(std::span(input).subspan(at, std::min(chunk, input.size() - at)), out);
    r.flush(out);
    EXPECT_NEAR(static_cast<double>(out.size()), to, to * 0.005) << from << "->" << to;
    // Same level away from the edges (sine RMS = A / sqrt 2).
    auto middle = std::span(out).subspan(out.size() / 4, out.size() / 2);
    EXPECT_NEAR(rms_level(middle), 10000 / std::sqrt(2.0), 10000 * 0.02) << from << "->" << to;
  }
  // A tone above the target's Nyquist frequency is filtered out.
  auto high = sine(6000, 24000, 0.5);
  auto down = resample(high, 24000, 8000);
  EXPECT_LT(rms_level(std::span(down).subspan(down.size() / 4, down.size() / 2)), 500);
}

TEST(Pcm16, BytesRoundTripAndOddLengthFails) {
  std::vector<int16_t> s = {0, 1, -1, 32767, -32768, 258};
  auto bytes = pcm16_to_bytes(s);
  EXPECT_EQ(bytes[2], 1);
  EXPECT_EQ(bytes[3], 0);
  EXPECT_EQ(bytes[10], 2);
  EXPECT_EQ(bytes[11], 1);
  EXPECT_EQ(pcm16_from_bytes(bytes), s);
  std::vector<uint8_t> odd = {1, 2, 3};
  EXPECT_THROW(pcm16_from_bytes(odd), InvalidInput);
}

TEST(Wav, WriteReadRoundTripAndErrorsNameTheSource) {
  auto tone = sine(300, 16000, 0.25);
  auto file = write_wav(tone, 16000);
  ASSERT_EQ(file.size(), 44 + tone.size() * 2);
  auto back = read_wav(file, "tone.wav");
  EXPECT_EQ(back.sample_rate, 16000);
  EXPECT_EQ(back.samples, tone);
  std::vector<uint8_t> junk = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E'};
  try {
    read_wav(junk, "junk.wav");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("junk.wav"), std::string::npos);
  }
}

TEST(AudioFileDecoder, DecodesWavAtAnotherRateTo16kMono) {
  auto tone = sine(440, 24000, 0.5);
  auto file = write_wav(tone, 24000);
  auto decoded = decode_audio_file(file, "tone24k.wav");
  EXPECT_NEAR(static_cast<double>(decoded.size()), 8000, 80);
  EXPECT_NEAR(rms_level(std::span(decoded).subspan(2000, 4000)), 10000 / std::sqrt(2.0), 300);
}

TEST(AudioFileDecoder, RejectsNonAudioWithTheFilename) {
  std::string text = "this is not audio at all, just some text that FFmpeg should refuse";
  std::vector<uint8_t> bytes(text.begin(), text.end());
  try {
    decode_audio_file(bytes, "notes.txt");
    FAIL() << "decoded text as audio";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("notes.txt"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_audio_file({}, "empty.wav"), InvalidInput);
}

}  // namespace
}  // namespace prism::voice
