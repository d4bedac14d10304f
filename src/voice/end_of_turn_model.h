// How likely a spoken sentence ends after the words heard so far, read off
// the speech recogniser's own trigram language model (pocketsphinx-en-us):
// P(</s> | the last two words). "what is the capital of france" ends with
// probability ~0.28, "i would like to book" ~0.13, "remind me to" ~0.02.
// semantic_vad uses it to tell a finished question from a pause in the
// middle of a sentence, so the reply can start ~200 ms after a finished one
// without cutting off a user who is only thinking.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

struct ngram_model_s;
struct logmath_s;

namespace prism::voice {

class EndOfTurnModel {
 public:
  // `lm_path`: a Sphinx trigram model (ARPA, DMP or trie binary); throws
  // prism::Error naming the file when it cannot be read.
  explicit EndOfTurnModel(const std::string& lm_path);
  ~EndOfTurnModel();
  EndOfTurnModel(const EndOfTurnModel&) = delete;
  EndOfTurnModel& operator=(const EndOfTurnModel&) = delete;

  // P(</s> | last two words of `transcript`), in [0, 1]; 0 for no words.
  // Case and punctuation are ignored; unknown words back off as the
  // recogniser's do.
  double end_probability(std::string_view transcript) const;

  // The model over the default en-us language model, loaded on first use.
  static const EndOfTurnModel& shared();

 private:
  logmath_s* logmath_ = nullptr;
  ngram_model_s* model_ = nullptr;
  mutable std::mutex mutex_;  // the model caches lookups internally
};

}  // namespace prism::voice
