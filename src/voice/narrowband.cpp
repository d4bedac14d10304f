#include "voice/narrowband.h"

#include <algorithm>
#include <cmath>

#include "voice/audio_format.h"
#include "voice/resampler.h"

namespace prism::voice {

void NarrowbandConditioner::condition(std::span<int16_t> samples) {
  for (int16_t& s : samples) {
    float v = static_cast<float>(s) + noise_(random_);
    s = static_cast<int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
  }
}

std::vector<int16_t> as_telephone_speech(std::span<const int16_t> speech_16k) {
  AudioFormat ulaw{AudioFormat::Encoding::mulaw, 8000};
  auto line = ulaw.decode(ulaw.encode(resample(speech_16k, 16000, 8000)));
  auto out = resample(line, 8000, 16000);
  NarrowbandConditioner().condition(out);
  return out;
}

}  // namespace prism::voice
