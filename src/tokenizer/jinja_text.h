// Python string operations used by Jinja filters and str methods. Case
// mapping covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prism::tokenizer::jinja::text {

// str.strip / lstrip / rstrip; without `chars`, Unicode whitespace.
std::string strip(const std::string& s, const std::optional<std::string>& chars, bool left, bool right);
std::string lower(const std::string& s);
std::string upper(const std::string& s);
// str.capitalize(): first character upper case, the rest lower case.
std::string capitalize(const std::string& s);
// str.title(): upper case after every non-letter, lower case elsewhere.
std::string python_title(const std::string& s);
// Jinja's |title filter: words split at whitespace, '-', '(', '{', '[', '<'.
std::string jinja_title(const std::string& s);
// str.split / str.rsplit (no separator: runs of whitespace).
std::vector<std::string> split(const std::string& s, const std::optional<std::string>& sep, int64_t maxsplit,
                               bool from_right);
std::string replace(const std::string& s, const std::string& from, const std::string& to, int64_t count);
std::size_t code_point_count(const std::string& s);
// str.isdigit / isalpha / isspace / isalnum (ASCII classes; false when empty).
bool all_of_class(const std::string& s, const std::string& method);
bool is_python_space(char32_t c);

}  // namespace prism::tokenizer::jinja::text
