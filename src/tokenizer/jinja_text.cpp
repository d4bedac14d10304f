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
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
bool ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
}  // namespace

std::string lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = ascii_lower(c);
  return out;
}

std::string upper(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = ascii_upper(c);
  return out;
}

std::string capitalize(const std::string& s) {
  std::string out = lower(s);
  if (!out.empty()) out[0] = ascii_upper(out[0]);
  return out;
}

std::string python_title(const std::string& s) {
  std::string out = s;
  bool previous_cased = false;
  for (char& c : out) {
    const bool alpha = ascii_alpha(c);
    if (alpha) c = previous_cased ? ascii_lower(c) : ascii_upper(c);
    // Non-ASCII bytes count as cased letters would in Python only if they
    // are letters; treating them as separators is the ASCII approximation.
    previous_cased = alpha;
  }
  return out;
}

std::string jinja_title(const std::string& s) {
  std::string out;
  bool word_start = true;
  for (char c : s) {
    const bool separator = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '-' ||
                           c == '(' || c == '{' || c == '[' || c == '<';
    if (separator) {
      out += c;
      word_start = true;
    } else {
      out += word_start ? ascii_upper(c) : ascii_lower(c);
      word_start = false;
    }
  }
  return out;
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
