// GPT-2 byte-level alphabet: every byte is shown as one printable Unicode
// character so that BPE can work on text without ever seeing raw bytes.
#pragma once

#include <string>
#include <string_view>

namespace prism::tokenizer::byte_level {

// Maps every byte of `bytes` to its alphabet character (UTF-8 encoded).
std::string encode(std::string_view bytes);

// The bytes a token string stands for, as the ByteLevel decoder of Hugging
// Face tokenizers computes them: if every character of the token belongs to
// the alphabet, the bytes they stand for; otherwise the token's own UTF-8
// bytes (this is how added tokens such as "<image>" decode to themselves).
std::string token_bytes(std::string_view token);

}  // namespace prism::tokenizer::byte_level
