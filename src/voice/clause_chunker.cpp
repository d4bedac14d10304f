#include "voice/clause_chunker.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace prism::voice {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Words that end with a period without ending the sentence.
bool is_abbreviation(std::string_view word) {
  static constexpr std::array<std::string_view, 14> kAbbreviations = {
      "mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "jr", "sr", "no", "approx"};
  std::string lower;
  for (char c : word) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(kAbbreviations.begin(), kAbbreviations.end(), lower) != kAbbreviations.end();
}

size_t count_words(std::string_view text) {
  size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (is_space(c)) in_word = false;
    else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

}  // namespace

std::optional<size_t> ClauseChunker::find_cut(bool end_of_stream) const {
  const std::string& t = pending_;
  size_t word_start = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (is_space(c)) {
      if (c == '\n' && count_words(std::string_view(t).substr(0, i)) > 0) return i + 1;
      word_start = i + 1;
      continue;
    }
    bool sentence_end = c == '.' || c == '!' || c == '?';
    bool clause_end = c == ',' || c == ';' || c == ':';
    if (!sentence_end && !clause_end) continue;
    // Punctuation ends a clause only when followed by a space (or the end of
    // the stream): "3.5" and "e.g." inside a word must wait for more text.
    size_t next = i + 1;
    while (next < t.size() && (t[next] == '"' || t[next] == '\'' || t[next] == ')' || t[next] == '.' ||
                               t[next] == '!' || t[next] == '?'))
      ++next;
    bool followed_by_space = next < t.size() && is_space(t[next]);
    if (!followed_by_space && !(end_of_stream && next == t.size())) continue;
    std::string_view clause = std::string_view(t).substr(0, next);
    if (sentence_end) {
      if (c == '.' && is_abbreviation(std::string_view(t).substr(word_start, i - word_start))) continue;
      if (count_words(clause) > 0) return next;
    } else if (count_words(clause) >= options_.min_words_at_comma) {
      return next;
    }
  }
  // No punctuation for a long stretch: cut at the last complete word.
  const size_t max_words = clauses_cut_ == 0 ? std::min(options_.first_max_words, options_.max_words) : options_.max_words;
  if (count_words(t) > max_words) {
    size_t words = 0;
    bool in_word = false;
    for (size_t i = 0; i < t.size(); ++i) {
      if (is_space(t[i])) {
        if (in_word && words >= max_words) return i + 1;
        in_word = false;
      } else if (!in_word) {
        in_word = true;
        ++words;
      }
    }
  }
  return std::nullopt;
}

std::vector<std::string> ClauseChunker::push(std::string_view delta) {
  pending_.append(delta);
  std::vector<std::string> clauses;
  while (auto cut = find_cut(false)) {
    std::string clause = speakable_text(std::string_view(pending_).substr(0, *cut));
    pending_.erase(0, *cut);
    if (clause.empty()) continue;
    ++clauses_cut_;
    clauses.push_back(std::move(clause));
  }
  return clauses;
}

std::optional<std::string> ClauseChunker::flush() {
  std::string clause = speakable_text(pending_);
  pending_.clear();
  if (clause.empty()) return std::nullopt;
  return clause;
}

std::string speakable_text(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '*' || c == '#' || c == '`' || c == '_' || c == '~') continue;
    if (is_space(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  bool has_alnum = std::any_of(out.begin(), out.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
  return has_alnum ? out : std::string();
}

}  // namespace prism::voice
