// Start-up warming of the speech recogniser pool: starts decoders ahead of
// the first turn and primes each with a synthesized sentence (see
// RecognizerPool::set_priming_audio) so the first user turn is recognised
// as well as later ones.
#pragma once

#include <cstddef>

#include "voice/speech_recognizer.h"

namespace prism::voice {

// Which audio a pool's decoders are primed with: wideband speech, or speech
// as it arrives over an 8 kHz G.711 line (narrowband.h), whose very
// different spectrum the running cepstral mean must have seen first.
enum class SpeechBand { wideband, narrowband };

void warm_recognizers(RecognizerPool& pool, size_t decoders, SpeechBand band = SpeechBand::wideband);

// The process-wide pool for audio sampled below 16 kHz (primed narrowband on
// first use; RecognizerPool::shared() is the wideband one).
RecognizerPool& narrowband_recognizers();

}  // namespace prism::voice
