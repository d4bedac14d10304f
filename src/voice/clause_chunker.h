// Cuts a streamed reply (text deltas from the model) into clauses that can be
// spoken on their own, as early as possible: the first clause is released at
// the first comma or sentence end, so synthesis starts while the model is
// still generating the rest.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prism::voice {

struct ClauseChunkerOptions {
  size_t min_words_at_comma = 3;   // a comma/semicolon/colon ends a clause once it has this many words
  size_t max_words = 24;           // cut at a word boundary when no punctuation comes
  // The first clause is cut sooner: its synthesis is what the listener
  // waits for, while later clauses are synthesized during earlier audio.
  size_t first_max_words = 6;
};

class ClauseChunker {
 public:
  explicit ClauseChunker(ClauseChunkerOptions options = {}) : options_(options) {}

  // Appends a delta; returns the clauses it completed (in order).
  std::vector<std::string> push(std::string_view delta);
  // End of the stream: returns what is left (if anything speakable).
  std::optional<std::string> flush();

 private:
  std::optional<size_t> find_cut(bool end_of_stream) const;
  ClauseChunkerOptions options_;
  std::string pending_;
  size_t clauses_cut_ = 0;
};

// Removes markup that should not be read aloud (markdown emphasis, headings,
// code fences) and collapses whitespace. Returns "" when nothing is speakable.
std::string speakable_text(std::string_view text);

}  // namespace prism::voice
