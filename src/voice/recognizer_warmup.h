// Start-up warming of the speech recogniser pool: starts decoders ahead of
// the first turn and primes each with a synthesized sentence (see
// RecognizerPool::set_priming_audio) so the first user turn is recognised
// as well as later ones.
#pragma once

#include <cstddef>

#include "voice/speech_recognizer.h"

namespace prism::voice {

void warm_recognizers(RecognizerPool& pool, size_t decoders);

}  // namespace prism::voice
