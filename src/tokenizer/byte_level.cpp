#include "tokenizer/byte_level.h"

#include <array>
#include <unordered_map>

#include "tokenizer/utf8.h"

namespace prism::tokenizer::byte_level {

namespace {

struct Alphabet {
  std::array<std::string, 256> byte_to_char;
  std::unordered_map<char32_t, unsigned char> char_to_byte;

  Alphabet() {
    // Printable bytes keep their own code point; the others are shifted to
    // 256 + n in byte order (bytes_to_unicode() of GPT-2).
    char32_t shifted = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : shifted++;
      utf8::append(byte_to_char[b], cp);
      char_to_byte[cp] = static_cast<unsigned char>(b);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet instance;
  return instance;
}

}  // namespace

std::string encode(std::string_view bytes) {
  const auto& a = alphabet();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += a.byte_to_char[b];
  return out;
}

std::string token_bytes(std::string_view token) {
  const auto& a = alphabet();
  std::string out;
  out.reserve(token.size());
  std::size_t pos = 0;
  while (pos < token.size()) {
    const char32_t cp = utf8::next(token, pos);
    const auto it = a.char_to_byte.find(cp);
    if (it == a.char_to_byte.end()) return std::string(token);
    out += static_cast<char>(it->second);
  }
  return out;
}

}  // namespace prism::tokenizer::byte_level
