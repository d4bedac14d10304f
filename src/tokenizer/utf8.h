// Small UTF-8 helpers shared by the tokenizer and the template engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace prism::tokenizer::utf8 {

// Appends the UTF-8 encoding of a code point.
void append(std::string& out, char32_t cp);

// Decodes the code point at `pos`, advancing it; invalid bytes yield U+FFFD
// and advance by one byte.
char32_t next(std::string_view s, std::size_t& pos);

// Converts arbitrary bytes to valid UTF-8 the way Rust's
// String::from_utf8_lossy does: each maximal invalid subsequence becomes U+FFFD.
std::string lossy(std::string_view bytes);

// Length of a trailing, still-incomplete (but so far valid) UTF-8 sequence at
// the end of `bytes`: 0 when the text ends on a character boundary or with an
// invalid sequence that no further byte could complete.
std::size_t incomplete_tail(std::string_view bytes);

bool is_valid(std::string_view bytes);

}  // namespace prism::tokenizer::utf8
