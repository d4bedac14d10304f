#include "tokenizer/utf8.h"

namespace prism::tokenizer::utf8 {

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

namespace {

// Length of the valid UTF-8 sequence starting at `pos` (1..4), 0 if the bytes
// there are invalid; `*valid_prefix` receives how many bytes form a valid
// prefix (the "maximal subpart" of the Unicode standard, used for lossy
// replacement and for detecting an incomplete tail).
std::size_t sequence_length(std::string_view s, std::size_t pos, std::size_t* valid_prefix) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 < 0x80) {
    *valid_prefix = 1;
    return 1;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    *valid_prefix = 0;
    return 0;
  }
  std::size_t have = 1;
  for (std::size_t i = 1; i <= need; ++i) {
    if (pos + i >= s.size()) {
      *valid_prefix = have;
      return 0;
    }
    const auto b = static_cast<unsigned char>(s[pos + i]);
    const unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      *valid_prefix = have;
      return 0;
    }
    ++have;
  }
  *valid_prefix = have;
  return need + 1;
}

}  // namespace

char32_t next(std::string_view s, std::size_t& pos) {
  std::size_t prefix = 0;
  const std::size_t n = sequence_length(s, pos, &prefix);
  if (n == 0) {
    pos += 1;
    return 0xFFFD;
  }
  const auto b0 = static_cast<unsigned char>(s[pos]);
  char32_t cp = n == 1 ? b0 : n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
  pos += n;
  return cp;
}

std::string lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t prefix = 0;
    const std::size_t n = sequence_length(bytes, pos, &prefix);
    if (n > 0) {
      out.append(bytes.substr(pos, n));
      pos += n;
    } else {
      out += "\xEF\xBF\xBD";
      pos += prefix > 0 ? prefix : 1;
    }
  }
  return out;
}

std::size_t incomplete_tail(std::string_view bytes) {
  // A UTF-8 sequence is at most 4 bytes: only the last 3 can be incomplete.
  const std::size_t from = bytes.size() > 3 ? bytes.size() - 3 : 0;
  for (std::size_t start = from; start < bytes.size(); ++start) {
    std::size_t prefix = 0;
    if (sequence_length(bytes, start, &prefix) == 0 && prefix > 0 && start + prefix == bytes.size()) {
      return prefix;
    }
  }
  return 0;
}

bool is_valid(std::string_view bytes) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t prefix = 0;
    const std::size_t n = sequence_length(bytes, pos, &prefix);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

}  // namespace prism::tokenizer::utf8
