#include "tokenizer/jinja_lexer.h"

#include <cctype>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace prism::tokenizer::jinja {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class Lexer {
 public:
  Lexer(std::string source, const std::string& name, const LexOptions& options)
      : src_(std::move(source)), name_(name), options_(options) {}

  std::vector<Token> run() {
    bool line_starting = true;
    while (pos_ < src_.size()) {
      const std::size_t tag = find_tag(pos_);
      std::string text = src_.substr(pos_, (tag == std::string::npos ? src_.size() : tag) - pos_);
      if (tag == std::string::npos) {
        push_text(text, pos_);
        break;
      }
      const char kind = src_[tag + 1];
      const char marker = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (marker == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if (marker != '+' && options_.lstrip_blocks && kind != '{') {
        // Blank space between the line start and a block/comment tag goes.
        const std::size_t line_start = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
        if (line_start > 0 || line_starting) {
          bool blank = true;
          for (std::size_t i = line_start; i < text.size(); ++i) blank = blank && is_space(text[i]);
          if (blank) text.resize(line_start);
        }
      }
      push_text(text, pos_);
      pos_ = tag + 2 + (marker == '-' || marker == '+' ? 1 : 0);
      if (kind == '#') {
        line_starting = skip_comment(tag);
      } else if (kind == '%' && try_raw_block(tag)) {
        line_starting = last_end_consumed_newline_;
      } else {
        line_starting = lex_tag(tag, kind == '%');
      }
    }
    tokens_.push_back(make(Token::Kind::kEnd, "", src_.size()));
    return std::move(tokens_);
  }

 private:
  std::size_t find_tag(std::size_t from) const {
    for (std::size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return std::string::npos;
  }

  // Line and column of a byte offset; offsets arrive mostly in increasing
  // order, so the scan resumes from the previous answer.
  void location(std::size_t offset, int* line, int* column) const {
    if (offset < cached_offset_) {
      cached_offset_ = 0;
      cached_line_ = cached_column_ = 1;
    }
    for (std::size_t i = cached_offset_; i < offset && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++cached_line_;
        cached_column_ = 1;
      } else if ((static_cast<unsigned char>(src_[i]) & 0xC0) != 0x80) {
        ++cached_column_;
      }
    }
    cached_offset_ = offset;
    *line = cached_line_;
    *column = cached_column_;
  }

  [[noreturn]] void fail(std::size_t offset, const std::string& message) const {
    int line, column;
    location(offset, &line, &column);
    throw Error(name_ + ": line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message);
  }

  Token make(Token::Kind kind, std::string value, std::size_t offset) const {
    Token t{kind, std::move(value)};
    location(offset, &t.line, &t.column);
    return t;
  }

  void push_text(const std::string& text, std::size_t offset) {
    if (!text.empty()) tokens_.push_back(make(Token::Kind::kText, text, offset));
  }

  // After a tag end: "-" strips all following whitespace; otherwise
  // trim_blocks drops one newline after block and comment tags. Returns
  // whether a newline was consumed (the next text then starts a line).
  bool after_tag_end(bool strip, bool keep, bool is_block) {
    const std::size_t before = pos_;
    if (strip) {
      while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
    } else if (is_block && !keep && options_.trim_blocks && pos_ < src_.size() && src_[pos_] == '\n') {
      ++pos_;
    }
    return pos_ > before && src_[pos_ - 1] == '\n';
  }

  bool skip_comment(std::size_t tag) {
    const std::size_t end = src_.find("#}", pos_);
    if (end == std::string::npos) fail(tag, "unclosed comment (missing '#}')");
    const bool strip = end > pos_ && src_[end - 1] == '-';
    const bool keep = end > pos_ && src_[end - 1] == '+';
    pos_ = end + 2;
    return after_tag_end(strip, keep, true);
  }

  // {% raw %}...{% endraw %} emits its body as text, unparsed.
  bool try_raw_block(std::size_t tag) {
    std::size_t p = pos_;
    while (p < src_.size() && is_space(src_[p])) ++p;
    if (src_.compare(p, 3, "raw") != 0) return false;
    p += 3;
    while (p < src_.size() && is_space(src_[p])) ++p;
    bool strip = false;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) strip = src_[p++] == '-';
    if (src_.compare(p, 2, "%}") != 0) return false;
    pos_ = p + 2;
    after_tag_end(strip, false, true);
    for (std::size_t search = pos_;;) {
      const std::size_t open = src_.find("{%", search);
      if (open == std::string::npos) fail(tag, "unclosed raw block (missing '{% endraw %}')");
      std::size_t q = open + 2;
      const bool strip_before = q < src_.size() && src_[q] == '-';
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) ++q;
      while (q < src_.size() && is_space(src_[q])) ++q;
      if (src_.compare(q, 6, "endraw") != 0) {
        search = open + 2;
        continue;
      }
      q += 6;
      while (q < src_.size() && is_space(src_[q])) ++q;
      bool strip_after = false, keep = false;
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) {
        strip_after = src_[q] == '-';
        keep = src_[q] == '+';
        ++q;
      }
      if (src_.compare(q, 2, "%}") != 0) fail(open, "malformed endraw tag");
      std::string body = src_.substr(pos_, open - pos_);
      if (strip_before) {
        while (!body.empty() && is_space(body.back())) body.pop_back();
      }
      push_text(body, pos_);
      pos_ = q + 2;
      last_end_consumed_newline_ = after_tag_end(strip_after, keep, true);
      return true;
    }
  }

  // Lexes the inside of {{ }} or {% %}; returns whether the tag end consumed a newline.
  bool lex_tag(std::size_t tag, bool is_block) {
    tokens_.push_back(make(is_block ? Token::Kind::kBlockBegin : Token::Kind::kVarBegin, "", tag));
    const std::string close = is_block ? "%}" : "}}";
    int depth = 0;  // brackets, so that "}}" inside a dict literal is not an end
    while (true) {
      while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
      if (pos_ >= src_.size()) fail(tag, std::string("unclosed tag (missing '") + close + "')");
      const char c = src_[pos_];
      if (depth == 0) {
        bool strip = false, keep = false;
        std::size_t end = pos_;
        if ((c == '-' || c == '+') && src_.compare(pos_ + 1, 2, close) == 0) {
          strip = c == '-';
          keep = c == '+';
          end = pos_ + 1;
        }
        if (src_.compare(end, 2, close) == 0) {
          tokens_.push_back(make(is_block ? Token::Kind::kBlockEnd : Token::Kind::kVarEnd, "", pos_));
          pos_ = end + 2;
          return after_tag_end(strip, keep, is_block);
        }
      }
      const std::size_t start = pos_;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (pos_ < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) ++pos_;
        tokens_.push_back(make(Token::Kind::kName, src_.substr(start, pos_ - start), start));
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        lex_number(start);
      } else if (c == '\'' || c == '"') {
        lex_string(start, c);
      } else {
        static const char* two_char[] = {"==", "!=", "<=", ">=", "//", "**"};
        std::string op(1, c);
        for (const char* candidate : two_char) {
          if (src_.compare(pos_, 2, candidate) == 0) op = candidate;
        }
        if (op.size() == 1 && std::string("+-*/%~<>=()[]{}.,:|!").find(c) == std::string::npos) {
          fail(start, std::string("unexpected character '") + c + "'");
        }
        if (op == "(" || op == "[" || op == "{") ++depth;
        if ((op == ")" || op == "]" || op == "}") && depth > 0) --depth;
        pos_ += op.size();
        tokens_.push_back(make(Token::Kind::kOperator, op, start));
      }
    }
  }

  void lex_number(std::size_t start) {
    bool is_float = false;
    auto digits = [&] {
      while (pos_ < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) ++pos_;
    };
    digits();
    if (pos_ + 1 < src_.size() && src_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(src_[pos_ + 1]))) {
      is_float = true;
      ++pos_;
      digits();
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      std::size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && std::isdigit(static_cast<unsigned char>(src_[p]))) {
        is_float = true;
        pos_ = p;
        digits();
      }
    }
    std::string text;
    for (std::size_t i = start; i < pos_; ++i) {
      if (src_[i] != '_') text += src_[i];
    }
    tokens_.push_back(make(is_float ? Token::Kind::kFloat : Token::Kind::kInt, text, start));
  }

  void lex_string(std::size_t start, char quote) {
    std::string value;
    ++pos_;
    while (true) {
      if (pos_ >= src_.size()) fail(start, "unterminated string literal");
      const char c = src_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (pos_ >= src_.size()) fail(start, "unterminated string literal");
      const char e = src_[pos_++];
      switch (e) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case '0':
          value += '\0';
          break;
        case '\\':
        case '\'':
        case '"':
          value += e;
          break;
        case '\n':
          break;
        case 'u':
        case 'x':
        case 'U': {
          const std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (pos_ + n > src_.size()) fail(start, "truncated escape in string literal");
          char32_t cp = 0;
          for (std::size_t i = 0; i < n; ++i) {
            const char h = src_[pos_ + i];
            if (!std::isxdigit(static_cast<unsigned char>(h))) fail(start, "bad escape in string literal");
            cp = cp * 16 + static_cast<char32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          pos_ += n;
          utf8::append(value, cp);
          break;
        }
        default:
          // Python keeps unknown escapes verbatim.
          value += '\\';
          value += e;
      }
    }
    tokens_.push_back(make(Token::Kind::kString, value, start));
  }

  std::string src_;
  const std::string& name_;
  LexOptions options_;
  std::size_t pos_ = 0;
  bool last_end_consumed_newline_ = false;
  mutable std::size_t cached_offset_ = 0;
  mutable int cached_line_ = 1, cached_column_ = 1;
  std::vector<Token> tokens_;
};

// Jinja2 reads templates with universal newlines and drops one final "\n".
std::string normalize_newlines(const std::string& source, bool keep_trailing_newline) {
  std::string out;
  out.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

std::vector<Token> lex(const std::string& source, const std::string& name, const LexOptions& options) {
  return Lexer(normalize_newlines(source, options.keep_trailing_newline), name, options).run();
}

}  // namespace prism::tokenizer::jinja
