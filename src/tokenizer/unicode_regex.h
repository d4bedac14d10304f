// A compiled PCRE2 pattern in UTF + Unicode-property mode, used to split text
// the way the tokenizers library's Oniguruma / regex-crate patterns do.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prism::tokenizer {

class UnicodeRegex {
 public:
  // Throws prism::Error (mentioning `what`) when the pattern does not compile.
  UnicodeRegex(const std::string& pattern, const std::string& what);
  ~UnicodeRegex();
  UnicodeRegex(UnicodeRegex&&) noexcept;
  UnicodeRegex& operator=(UnicodeRegex&&) noexcept;
  UnicodeRegex(const UnicodeRegex&) = delete;
  UnicodeRegex& operator=(const UnicodeRegex&) = delete;

  // Byte ranges [begin, end) of all non-overlapping matches, left to right.
  // `text` must be valid UTF-8.
  std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace prism::tokenizer
