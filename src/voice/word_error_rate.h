// Word error rate (substitutions + deletions + insertions over reference
// words) after normalising case and punctuation: the accuracy figure for the
// speech recogniser, reported by tests and benchmarks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace prism::voice {

// Lower-case words with punctuation removed (apostrophes kept).
std::vector<std::string> normalized_words(std::string_view text);

struct WordErrors {
  size_t errors = 0;
  size_t reference_words = 0;
  double rate() const { return reference_words ? static_cast<double>(errors) / reference_words : 0.0; }
};

WordErrors word_errors(std::string_view reference, std::string_view hypothesis);

}  // namespace prism::voice
