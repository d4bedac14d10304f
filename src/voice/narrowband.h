// Conditioning of telephone-band audio for the recogniser. PocketSphinx's
// en-us model is trained on 16 kHz speech; 8 kHz G.711 audio resampled to
// 16 kHz has a digitally empty 4-8 kHz band and digitally silent pauses,
// which the model has never seen. A whisper of white noise (sigma 8, about
// -72 dBFS) fills them: on 8 kHz mu-law Flite speech the word error rate
// fell from 40-68% to 28-38% (10 sentences; sigma 5-15 all help, 30 less).
// The decoders must also have been primed with such audio
// (narrowband_recognizers() in recognizer_warmup.h).
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace prism::voice {

class NarrowbandConditioner {
 public:
  // In place, on 16 kHz samples that came from audio sampled below 16 kHz.
  void condition(std::span<int16_t> samples_16k);

 private:
  std::minstd_rand random_{0x5eed};
  std::normal_distribution<float> noise_{0.0f, 8.0f};
};

// 16 kHz speech as it would arrive over an 8 kHz mu-law line, conditioned as
// above: for priming decoders and for tests.
std::vector<int16_t> as_telephone_speech(std::span<const int16_t> speech_16k);

}  // namespace prism::voice
