#include "voice/g711.h"

#include <array>

namespace prism::voice {
namespace {

// Segment end points of the 8 chords (14-bit magnitude for mu-law with the
// bias added, 13-bit for A-law), as in the ITU reference implementation.
constexpr std::array<int, 8> kMulawSegmentEnd = {0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
constexpr std::array<int, 8> kAlawSegmentEnd = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};

constexpr int segment_of(int value, const std::array<int, 8>& ends) {
  for (int i = 0; i < 8; ++i)
    if (value <= ends[i]) return i;
  return 8;
}

constexpr uint8_t mulaw_encode_slow(int16_t sample) {
  constexpr int kBias = 0x84 >> 2;  // 33 in 14-bit units
  constexpr int kClip = 8159;
  int pcm = sample >> 2;
  int mask = 0xFF;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7F;
  }
  if (pcm > kClip) pcm = kClip;
  pcm += kBias;
  int seg = segment_of(pcm, kMulawSegmentEnd);
  if (seg >= 8) return static_cast<uint8_t>(0x7F ^ mask);
  int code = (seg << 4) | ((pcm >> (seg + 1)) & 0xF);
  return static_cast<uint8_t>(code ^ mask);
}

constexpr uint8_t alaw_encode_slow(int16_t sample) {
  int pcm = sample >> 3;
  int mask = 0xD5;  // sign bit set = positive in A-law, even bits inverted
  if (pcm < 0) {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  int seg = segment_of(pcm, kAlawSegmentEnd);
  if (seg >= 8) return static_cast<uint8_t>(0x7F ^ mask);
  int code = seg << 4;
  code |= seg < 2 ? (pcm >> 1) & 0xF : (pcm >> seg) & 0xF;
  return static_cast<uint8_t>(code ^ mask);
}

constexpr int16_t mulaw_decode_slow(uint8_t code) {
  int u = ~code & 0xFF;
  int exponent = (u >> 4) & 7;
  int mantissa = u & 0xF;
  int magnitude = ((((mantissa << 1) + 33) << exponent) - 33) << 2;
  return static_cast<int16_t>((u & 0x80) ? -magnitude : magnitude);
}

constexpr int16_t alaw_decode_slow(uint8_t code) {
  int a = code ^ 0x55;
  int exponent = (a >> 4) & 7;
  int mantissa = a & 0xF;
  int magnitude = exponent == 0 ? ((mantissa << 1) + 1) << 3 : ((mantissa << 1) + 33) << (exponent + 2);
  return static_cast<int16_t>((a & 0x80) ? magnitude : -magnitude);
}

struct Tables {
  std::array<int16_t, 256> mulaw_to_linear{};
  std::array<int16_t, 256> alaw_to_linear{};
  std::array<uint8_t, 65536> linear_to_mulaw{};
  std::array<uint8_t, 65536> linear_to_alaw{};
  Tables() {
    for (int c = 0; c < 256; ++c) {
      mulaw_to_linear[c] = mulaw_decode_slow(static_cast<uint8_t>(c));
      alaw_to_linear[c] = alaw_decode_slow(static_cast<uint8_t>(c));
    }
    for (int s = -32768; s < 32768; ++s) {
      linear_to_mulaw[static_cast<uint16_t>(s)] = mulaw_encode_slow(static_cast<int16_t>(s));
      linear_to_alaw[static_cast<uint16_t>(s)] = alaw_encode_slow(static_cast<int16_t>(s));
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

uint8_t mulaw_encode(int16_t sample) { return tables().linear_to_mulaw[static_cast<uint16_t>(sample)]; }
int16_t mulaw_decode(uint8_t code) { return tables().mulaw_to_linear[code]; }
uint8_t alaw_encode(int16_t sample) { return tables().linear_to_alaw[static_cast<uint16_t>(sample)]; }
int16_t alaw_decode(uint8_t code) { return tables().alaw_to_linear[code]; }

std::vector<int16_t> mulaw_decode(std::span<const uint8_t> codes) {
  const auto& t = tables().mulaw_to_linear;
  std::vector<int16_t> out(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) out[i] = t[codes[i]];
  return out;
}

std::vector<uint8_t> mulaw_encode(std::span<const int16_t> samples) {
  const auto& t = tables().linear_to_mulaw;
  std::vector<uint8_t> out(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) out[i] = t[static_cast<uint16_t>(samples[i])];
  return out;
}

std::vector<int16_t> alaw_decode(std::span<const uint8_t> codes) {
  const auto& t = tables().alaw_to_linear;
  std::vector<int16_t> out(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) out[i] = t[codes[i]];
  return out;
}

std::vector<uint8_t> alaw_encode(std::span<const int16_t> samples) {
  const auto& t = tables().linear_to_alaw;
  std::vector<uint8_t> out(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) out[i] = t[static_cast<uint16_t>(samples[i])];
  return out;
}

}  // namespace prism::voice
