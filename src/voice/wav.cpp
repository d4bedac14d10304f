#include "voice/wav.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.h"

namespace prism::voice {
namespace {

uint32_t u32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }
uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

}  // namespace

bool looks_like_wav(std::span<const uint8_t> bytes) {
  return bytes.size() >= 12 && std::memcmp(bytes.data(), "RIFF", 4) == 0 &&
         std::memcmp(bytes.data() + 8, "WAVE", 4) == 0;
}

MonoAudio read_wav(std::span<const uint8_t> bytes, const std::string& source) {
  auto fail = [&](const std::string& what) -> void { throw InvalidInput(source + ": " + what); };
  if (!looks_like_wav(bytes)) fail("not a RIFF/WAVE file");
  size_t at = 12;
  int channels = 0, rate = 0, bits = 0;
  bool have_format = false;
  const uint8_t* data = nullptr;
  size_t data_size = 0;
  while (at + 8 <= bytes.size()) {
    const uint8_t* chunk = bytes.data() + at;
    uint32_t size = u32(chunk + 4);
    size_t body = at + 8;
    size_t available = bytes.size() - body;
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (size < 16 || size > available) fail("fmt chunk is truncated");
      uint16_t tag = u16(chunk + 8);
      channels = u16(chunk + 10);
      rate = static_cast<int>(u32(chunk + 12));
      bits = u16(chunk + 22);
      if (tag == 0xFFFE && size >= 26) tag = u16(chunk + 32);  // WAVE_FORMAT_EXTENSIBLE sub-format
      if (tag != 1) fail("format tag " + std::to_string(tag) + " is not PCM");
      have_format = true;
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      data = chunk + 8;
      data_size = std::min<size_t>(size, available);  // streamed WAVs carry a bogus size
      break;
    }
    at = body + size + (size & 1);
  }
  if (!have_format) fail("no fmt chunk before the data");
  if (!data) fail("no data chunk");
  if (bits != 16) fail(std::to_string(bits) + "-bit samples are not supported (16-bit PCM only)");
  if (channels < 1 || channels > 16) fail("channel count " + std::to_string(channels) + " is invalid");
  if (rate < 1000 || rate > 384000) fail("sample rate " + std::to_string(rate) + " is invalid");
  size_t frames = data_size / (2 * static_cast<size_t>(channels));
  MonoAudio out;
  out.sample_rate = rate;
  out.samples.resize(frames);
  for (size_t f = 0; f < frames; ++f) {
    int sum = 0;
    for (int c = 0; c < channels; ++c)
      sum += static_cast<int16_t>(u16(data + 2 * (f * channels + static_cast<size_t>(c))));
    out.samples[f] = static_cast<int16_t>(sum / channels);
  }
  return out;
}

MonoAudio read_wav_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidInput(path + ": cannot open");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return read_wav(bytes, path);
}

std::vector<uint8_t> write_wav(std::span<const int16_t> samples, int sample_rate) {
  std::vector<uint8_t> out;
  uint32_t data_bytes = static_cast<uint32_t>(samples.size() * 2);
  out.reserve(44 + data_bytes);
  out.insert(out.end(), {'R', 'I', 'F', 'F'});
  put32(out, 36 + data_bytes);
  out.insert(out.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put32(out, 16);
  put16(out, 1);  // PCM
  put16(out, 1);  // mono
  put32(out, static_cast<uint32_t>(sample_rate));
  put32(out, static_cast<uint32_t>(sample_rate) * 2);
  put16(out, 2);
  put16(out, 16);
  out.insert(out.end(), {'d', 'a', 't', 'a'});
  put32(out, data_bytes);
  for (int16_t s : samples) put16(out, static_cast<uint16_t>(s));
  return out;
}

}  // namespace prism::voice
