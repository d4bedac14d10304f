#include "tokenizer/jinja_text.h"

#include "core/error.h"
#include "tokenizer/jinja_value.h"
#include "tokenizer/utf8.h"

namespace prism::tokenizer::jinja::text {

bool is_python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string strip(const std::string& s, const std::optional<std::string>& chars, bool left, bool right) {
  const std::u32string cps = to_code_points(s);
  const std::u32string set = chars ? to_code_points(*chars) : std::u32string();
  auto strippable = [&](char32_t c) { return chars ? set.find(c) != std::u32string::npos : is_python_space(c); };
  std::size_t begin = 0, end = cps.size();
  if (left) {
    while (begin < end && strippable(cps[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strippable(cps[end - 1])) --end;
  }
  return from_code_points(cps.substr(begin, end - begin));
}

namespace {

// Simple case mapping for the scripts chat templates meet in practice:
// ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (one-to-one mappings).
char32_t to_lower_cp(char32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
  if (c == 0x178) return 0xFF;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17F) {
    const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
    return c;
  }
  if ((c >= 0x391 && c <= 0x3A9 && c != 0x3A2)) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

char32_t to_upper_cp(char32_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17F) {
    const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper ? (c % 2 == 0) : (c % 2 == 1)) return c - 1;
    return c;
  }
  if (c == 0x3C2) return 0x3A3;  // final sigma
  if (c >= 0x3B1 && c <= 0x3C9) return c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

bool is_cased(char32_t c) { return to_lower_cp(c) != c || to_upper_cp(c) != c; }

template <typename Map>
std::string map_code_points(const std::string& s, Map map) {
  std::u32string cps = to_code_points(s);
  for (std::size_t i = 0; i < cps.size(); ++i) cps[i] = map(i, cps[i]);
  return from_code_points(cps);
}

}  // namespace

std::string lower(const std::string& s) {
  return map_code_points(s, [](std::size_t, char32_t c) { return to_lower_cp(c); });
}

std::string upper(const std::string& s) {
  return map_code_points(s, [](std::size_t, char32_t c) { return to_upper_cp(c); });
}

std::string capitalize(const std::string& s) {
  return map_code_points(s, [](std::size_t i, char32_t c) { return i == 0 ? to_upper_cp(c) : to_lower_cp(c); });
}

std::string python_title(const std::string& s) {
  std::u32string cps = to_code_points(s);
  bool previous_cased = false;
  for (char32_t& c : cps) {
    const bool cased = is_cased(c);
    if (cased) c = previous_cased ? to_lower_cp(c) : to_upper_cp(c);
    previous_cased = cased;
  }
  return from_code_points(cps);
}

std::string jinja_title(const std::string& s) {
  std::u32string cps = to_code_points(s);
  bool word_start = true;
  for (char32_t& c : cps) {
    const bool separator = is_python_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (separator) {
      word_start = true;
    } else {
      c = word_start ? to_upper_cp(c) : to_lower_cp(c);
      word_start = false;
    }
  }
  return from_code_points(cps);
}

std::vector<std::string> split(const std::string& s, const std::optional<std::string>& sep, int64_t maxsplit,
                               bool from_right) {
  std::vector<std::string> parts;
  if (sep) {
    if (sep->empty()) throw Error("split(): empty separator");
    if (!from_right) {
      std::size_t start = 0;
      for (auto at = s.find(*sep); at != std::string::npos && (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit);
           at = s.find(*sep, start)) {
        parts.push_back(s.substr(start, at - start));
        start = at + sep->size();
      }
      parts.push_back(s.substr(start));
    } else {
      std::size_t end = s.size();
      while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
        if (end < sep->size()) break;
        const auto at = s.rfind(*sep, end - sep->size());
        if (at == std::string::npos) break;
        parts.insert(parts.begin(), s.substr(at + sep->size(), end - at - sep->size()));
        end = at;
      }
      parts.insert(parts.begin(), s.substr(0, end));
    }
    return parts;
  }
  // Whitespace splitting: runs of whitespace separate, ends are ignored.
  const std::u32string cps = to_code_points(s);
  std::vector<std::pair<std::size_t, std::size_t>> words;  // [begin, end) in code points
  for (std::size_t i = 0; i < cps.size();) {
    while (i < cps.size() && is_python_space(cps[i])) ++i;
    if (i >= cps.size()) break;
    std::size_t j = i;
    while (j < cps.size() && !is_python_space(cps[j])) ++j;
    words.emplace_back(i, j);
    i = j;
  }
  const std::size_t n = words.size();
  if (maxsplit < 0 || n <= static_cast<std::size_t>(maxsplit) + 1) {
    for (const auto& [b, e] : words) parts.push_back(from_code_points(cps.substr(b, e - b)));
    return parts;
  }
  const auto k = static_cast<std::size_t>(maxsplit);
  if (!from_right) {
    // The first k words, then the rest of the text (trailing space dropped).
    for (std::size_t w = 0; w < k; ++w) parts.push_back(from_code_points(cps.substr(words[w].first, words[w].second - words[w].first)));
    parts.push_back(from_code_points(cps.substr(words[k].first, words[n - 1].second - words[k].first)));
  } else {
    parts.push_back(from_code_points(cps.substr(words[0].first, words[n - k - 1].second - words[0].first)));
    for (std::size_t w = n - k; w < n; ++w) parts.push_back(from_code_points(cps.substr(words[w].first, words[w].second - words[w].first)));
  }
  return parts;
}

std::string replace(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  if (from.empty()) {
    // Python inserts `to` between every character (and at both ends).
    std::string out;
    int64_t done = 0;
    std::size_t pos = 0;
    while (pos <= s.size()) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      if (pos == s.size()) break;
      const std::size_t start = pos;
      utf8::next(s, pos);
      out.append(s, start, pos - start);
    }
    return out;
  }
  std::string out;
  std::size_t start = 0;
  int64_t done = 0;
  for (auto at = s.find(from); at != std::string::npos && (count < 0 || done < count); at = s.find(from, start)) {
    out.append(s, start, at - start);
    out += to;
    start = at + from.size();
    ++done;
  }
  out.append(s, start, std::string::npos);
  return out;
}

std::size_t code_point_count(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool all_of_class(const std::string& s, const std::string& method) {
  if (s.empty()) return false;
  for (const char32_t c : to_code_points(s)) {
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool ok = false;
    if (method == "isdigit") ok = digit;
    if (method == "isalpha") ok = alpha;
    if (method == "isalnum") ok = digit || alpha;
    if (method == "isspace") ok = is_python_space(c);
    if (!ok) return false;
  }
  return true;
}

}  // namespace prism::tokenizer::jinja::text
