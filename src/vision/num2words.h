// English cardinal numbers in words, exactly as the Python num2words package
// (0.5.x, lang "en") writes them: "four", "twenty-one", "one hundred and
// five", "one thousand, two hundred and thirty-four". SmolVLM's video prompt
// names the frame count this way.
#pragma once

#include <cstdint>
#include <string>

namespace prism::vision {

// Supports |value| < 10^18; negative numbers are prefixed with "minus ".
std::string num2words_en(std::int64_t value);

}  // namespace prism::vision
