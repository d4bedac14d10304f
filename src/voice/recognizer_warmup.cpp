#include "voice/recognizer_warmup.h"

#include "voice/narrowband.h"
#include "voice/resampler.h"
#include "voice/speech_synthesizer.h"

namespace prism::voice {
namespace {

std::vector<int16_t> priming_audio(SpeechBand band) {
  SpeechSynthesizer tts("slt");
  auto speech = resample(tts.synthesize("Hello, thank you for calling. How can I help you today?"), tts.sample_rate(), 16000);
  return band == SpeechBand::narrowband ? as_telephone_speech(speech) : speech;
}

}  // namespace

void warm_recognizers(RecognizerPool& pool, size_t decoders, SpeechBand band) {
  pool.set_priming_audio(priming_audio(band));
  pool.warm(decoders);
}

RecognizerPool& narrowband_recognizers() {
  struct NarrowbandPool {
    RecognizerPool pool;
    NarrowbandPool() { pool.set_priming_audio(priming_audio(SpeechBand::narrowband)); }
  };
  static NarrowbandPool narrowband;
  return narrowband.pool;
}

}  // namespace prism::voice
