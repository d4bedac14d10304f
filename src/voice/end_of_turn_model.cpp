#include "voice/end_of_turn_model.h"

#include <sphinxbase/logmath.h>
#include <sphinxbase/ngram_model.h>

#include <filesystem>
#include <vector>

#include "core/error.h"
#include "voice/word_error_rate.h"

namespace prism::voice {
namespace {

constexpr const char* kDefaultLanguageModel = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";

}  // namespace

EndOfTurnModel::EndOfTurnModel(const std::string& lm_path) {
  if (!std::filesystem::exists(lm_path))
    throw Error("language model missing: " + lm_path + " (install pocketsphinx-en-us)");
  // The base PocketSphinx uses for its log arithmetic.
  logmath_ = logmath_init(1.0001, 0, 0);
  model_ = ngram_model_read(nullptr, lm_path.c_str(), NGRAM_AUTO, logmath_);
  if (!model_) {
    logmath_free(logmath_);
    throw Error("cannot read the language model " + lm_path);
  }
}

EndOfTurnModel::~EndOfTurnModel() {
  ngram_model_free(model_);
  logmath_free(logmath_);
}

double EndOfTurnModel::end_probability(std::string_view transcript) const {
  // Lower-cased, as the model's vocabulary is.
  const std::vector<std::string> words = normalized_words(transcript);
  if (words.empty()) return 0.0;
  std::lock_guard lock(mutex_);
  const int32 end = ngram_wid(model_, "</s>");
  const int32 last = ngram_wid(model_, words.back().c_str());
  const int32 before = ngram_wid(model_, words.size() > 1 ? words[words.size() - 2].c_str() : "<s>");
  int32 n_used = 0;
  const int32 score = ngram_tg_score(model_, end, last, before, &n_used);
  return logmath_exp(logmath_, ngram_score_to_prob(model_, score));
}

const EndOfTurnModel& EndOfTurnModel::shared() {
  static const EndOfTurnModel model(kDefaultLanguageModel);
  return model;
}

}  // namespace prism::voice
