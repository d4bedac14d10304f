#include "voice/turn_taking.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>

#include "voice/end_of_turn_model.h"

namespace prism::voice {
namespace {

struct EagernessWindows {
  std::string_view name;
  int finished_ms;
  int unfinished_ms;
};

// Finished-looking turns end after a short pause; others wait up to the
// longer window. OpenAI states max timeouts of 8 s / 4 s / 2 s; ours are
// shorter because a coarse reading of the words errs towards waiting.
// "auto" is prism's default (OpenAI's auto is medium): a reply ~250 ms after
// a finished sentence, and a full second for a speaker who pauses mid-way
// (people's thinking pauses run 300-700 ms).
constexpr std::array<EagernessWindows, 4> kEagerness = {{
    {"high", 160, 800},
    {"medium", 320, 1500},
    {"auto", 200, 1000},
    {"low", 640, 3000},
}};

// Words after which English speakers rarely stop: a turn ending on one of
// them is most likely a pause in the middle of a sentence. Prepositions
// that often end a question ("where are you from", "what is it for",
// "bakery open" heard as "bakery up in") are left out: the list errs
// towards ending the turn, since a wrong wait costs the long window.
constexpr std::string_view kContinuationWords[] = {
    "a",     "an",    "the",   "and",   "or",     "but",   "so",     "because", "if",    "than", "that",
    "which", "whose", "to",    "of",    "into",   "onto",  "my",     "your",    "our",   "their", "his",
    "its",   "is",    "are",   "was",   "were",   "am",    "be",     "been",    "have",  "has",  "had",
    "do",    "does",  "did",   "can",   "could",  "will",  "would",  "should",  "shall", "might", "must",
    "uh",    "um",    "er",    "i",     "we",     "very"};

std::string last_word(std::string_view text) {
  size_t end = text.size();
  while (end > 0 && !std::isalnum(static_cast<unsigned char>(text[end - 1])) && text[end - 1] != '\'') --end;
  size_t begin = end;
  while (begin > 0 && (std::isalnum(static_cast<unsigned char>(text[begin - 1])) || text[begin - 1] == '\'')) --begin;
  std::string word(text.substr(begin, end - begin));
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word;
}

}  // namespace

TurnWindows turn_windows(const TurnDetection& td, int speculate_after_ms) {
  TurnWindows w{td.silence_duration_ms, td.silence_duration_ms, 0};
  if (td.type == TurnDetection::Type::semantic_vad) {
    auto it = std::find_if(kEagerness.begin(), kEagerness.end(),
                           [&](const EagernessWindows& e) { return e.name == td.eagerness; });
    if (it == kEagerness.end()) it = kEagerness.begin() + 2;  // auto
    w.finished_ms = it->finished_ms;
    w.unfinished_ms = it->unfinished_ms;
  }
  // Speculate early enough that the reply has a head start before the
  // earliest end of turn, never later than the caller allows.
  if (speculate_after_ms > 0 && td.create_response)
    w.speculate_ms = std::max(20, std::min(speculate_after_ms, w.finished_ms / 2));
  return w;
}

bool looks_finished(std::string_view transcript, double min_end_probability) {
  std::string word = last_word(transcript);
  if (word.empty()) return false;
  if (std::find(std::begin(kContinuationWords), std::end(kContinuationWords), word) != std::end(kContinuationWords))
    return false;
  return EndOfTurnModel::shared().end_probability(transcript) >= min_end_probability;
}

}  // namespace prism::voice
