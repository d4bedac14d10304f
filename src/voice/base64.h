// Base64 (RFC 4648, standard alphabet, padded) as the Realtime API carries
// audio. Decoding is strict: any character outside the alphabet, a length
// that is not a multiple of 4, misplaced padding or non-zero trailing bits
// is an error (prism::InvalidInput naming the offset).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace prism::voice {

std::string base64_encode(std::span<const uint8_t> bytes);
std::string base64_encode(std::string_view bytes);
std::vector<uint8_t> base64_decode(std::string_view text);

}  // namespace prism::voice
