#include "voice/base64.h"

#include <array>

#include "core/error.h"

namespace prism::voice {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_reverse() {
  std::array<int8_t, 256> r{};
  for (auto& v : r) v = -1;
  for (int i = 0; i < 64; ++i) r[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return r;
}
constexpr auto kReverse = make_reverse();

[[noreturn]] void fail(const std::string& what) { throw InvalidInput("invalid base64: " + what); }

}  // namespace

std::string base64_encode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = uint32_t(bytes[i]) << 16 | uint32_t(bytes[i + 1]) << 8 | bytes[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = uint32_t(bytes[i]) << 16 | uint32_t(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  return base64_encode(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

std::vector<uint8_t> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    fail("length " + std::to_string(text.size()) + " is not a multiple of 4");
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    size_t pads_here = last ? padding : 0;
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      auto c = static_cast<uint8_t>(text[i + j]);
      int d;
      if (j >= 4 - pads_here) {
        d = 0;  // a padding position, checked above to be '='
      } else {
        d = kReverse[c];
        if (d < 0)
          fail(c == '=' ? "padding '=' at offset " + std::to_string(i + j) + " before the end"
                        : "character " + std::to_string(int(c)) + " at offset " + std::to_string(i + j) +
                              " is not in the alphabet");
      }
      v = v << 6 | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (pads_here < 2) out.push_back(static_cast<uint8_t>((v >> 8) & 0xFF));
    if (pads_here < 1) out.push_back(static_cast<uint8_t>(v & 0xFF));
    if ((pads_here == 1 && (v & 0xFF) != 0) || (pads_here == 2 && (v & 0xFFFF) != 0))
      fail("non-zero bits before the padding at offset " + std::to_string(i));
  }
  return out;
}

}  // namespace prism::voice
