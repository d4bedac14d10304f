// When a user's turn is over. server_vad ends it after a fixed silence (the
// client's silence_duration_ms). semantic_vad ends it early when the words so
// far read as a finished utterance, and waits longer when they do not ("I'd
// like to go to ..."): the acoustic pause plus a cheap reading of the partial
// transcript, which is what lets a reply start ~150 ms after the user stops
// instead of after a fixed half second.
#pragma once

#include <string>
#include <string_view>

#include "voice/session_settings.h"

namespace prism::voice {

struct TurnWindows {
  int finished_ms;    // silence that ends a turn whose words look finished
  int unfinished_ms;  // silence that ends any turn
  int speculate_ms;   // silence after which a reply is started on the partial transcript
};

// The windows for the session's turn detection (server_vad: both windows are
// silence_duration_ms). `speculate_after_ms` caps the speculation point
// (0 = no speculation, reported as speculate_ms = 0).
TurnWindows turn_windows(const TurnDetection& td, int speculate_after_ms);

// The language model's P(</s> | last two words) at or above which a
// sentence reads as finished (EndOfTurnModel). Chosen on the development set
// bench/voice/end_of_turn_sentences.txt (bench/voice/end_of_turn_bench
// prints the trade-off): at 0.20, 62% of whole turns read finished and 10%
// of mid-sentence pause points do; at 0.14, 82% and 30%; 0.18 and 0.20 tie on
// pause points, and 0.20 keeps a margin on the side of not cutting a speaker
// off. A lower bar answers more turns quickly and cuts off more speakers.
constexpr double kFinishedEndProbability = 0.20;

// Whether a transcript reads as a finished utterance: not empty, not ending
// on a word that asks for more (a conjunction, article, preposition,
// possessive, auxiliary or filler: "and", "the", "to", "my", "is", "um" ...),
// and likely to end here by the language model.
bool looks_finished(std::string_view transcript, double min_end_probability = kFinishedEndProbability);

}  // namespace prism::voice
