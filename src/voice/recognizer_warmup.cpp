#include "voice/recognizer_warmup.h"

#include "voice/resampler.h"
#include "voice/speech_synthesizer.h"

namespace prism::voice {

void warm_recognizers(RecognizerPool& pool, size_t decoders) {
  SpeechSynthesizer tts("slt");
  auto speech = tts.synthesize("Hello, thank you for calling. How can I help you today?");
  pool.set_priming_audio(resample(speech, tts.sample_rate(), 16000));
  pool.warm(decoders);
}

}  // namespace prism::voice
