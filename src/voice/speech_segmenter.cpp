#include "voice/speech_segmenter.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace prism::voice {
namespace {
constexpr int kStartWindowFrames = 5;  // 100 ms
// The WebRTC VAD keeps saying "speech" for ~100 ms after a voice stops (its
// hangover), even on digital silence. A frame 40 dB below the loudest frame
// of the current (or last) turn is silence whatever the VAD says: on clean
// audio the end of speech is then found within a frame of where it is, and
// the hangover cannot start a phantom turn right after a short silence
// window ends one. In noise (a floor above that) the VAD alone decides.
constexpr double kQuietBelowPeak = 0.01;  // -40 dB
constexpr double kDigitalSilenceRms = 2.0;

double frame_rms(std::span<const int16_t> frame) {
  double sum = 0;
  for (int16_t s : frame) sum += static_cast<double>(s) * s;
  return frame.empty() ? 0 : std::sqrt(sum / static_cast<double>(frame.size()));
}
}  // namespace

SpeechSegmenter::SpeechSegmenter(SegmenterSettings settings)
    : settings_(settings), vad_(aggressiveness_for_threshold(settings.threshold)) {}

void SpeechSegmenter::set_settings(const SegmenterSettings& settings) {
  settings_ = settings;
  vad_.set_aggressiveness(aggressiveness_for_threshold(settings.threshold));
}

void SpeechSegmenter::reset_turn() {
  in_speech_ = false;
  recent_ = 0;
  silent_frames_ = 0;
}

std::optional<SpeechEvent> SpeechSegmenter::end_turn() {
  if (!in_speech_) return std::nullopt;
  in_speech_ = false;
  recent_ = 0;
  silent_frames_ = 0;
  return SpeechEvent{SpeechEvent::Kind::stopped, position_ms(), last_voiced_end_ms_};
}

std::vector<SpeechEvent> SpeechSegmenter::feed(std::span<const int16_t> audio) {
  std::vector<SpeechEvent> events;
  if (!partial_frame_.empty()) {
    size_t take = std::min(kFrameSamples - partial_frame_.size(), audio.size());
    partial_frame_.insert(partial_frame_.end(), audio.begin(), audio.begin() + static_cast<ptrdiff_t>(take));
    audio = audio.subspan(take);
    if (partial_frame_.size() < kFrameSamples) return events;
    classify_frame(partial_frame_, events);
    partial_frame_.clear();
  }
  while (audio.size() >= kFrameSamples) {
    classify_frame(audio.first(kFrameSamples), events);
    audio = audio.subspan(kFrameSamples);
  }
  partial_frame_.assign(audio.begin(), audio.end());
  return events;
}

void SpeechSegmenter::classify_frame(std::span<const int16_t> frame, std::vector<SpeechEvent>& events) {
  bool voiced = vad_.is_speech(frame, kSampleRate);
  double rms = frame_rms(frame);
  if (in_speech_ && voiced) turn_peak_rms_ = std::max(turn_peak_rms_, rms);
  const bool audible = rms >= std::max(kDigitalSilenceRms, turn_peak_rms_ * kQuietBelowPeak);
  voiced = voiced && audible;
  int64_t frame_start_ms = frames_ * kFrameMs;
  ++frames_;
  recent_ = (recent_ << 1) | (voiced ? 1u : 0u);
  if (!in_speech_) {
    uint32_t window = recent_ & ((1u << kStartWindowFrames) - 1);
    int needed = std::max(1, settings_.min_speech_ms / kFrameMs);
    if (voiced && std::popcount(window) >= needed) {
      // The turn starts at the oldest voiced frame of the window.
      int oldest = 31 - std::countl_zero(window);
      int64_t start_ms = frame_start_ms - static_cast<int64_t>(oldest) * kFrameMs;
      in_speech_ = true;
      silent_frames_ = 0;
      turn_peak_rms_ = rms;
      last_voiced_end_ms_ = frame_start_ms + kFrameMs;
      events.push_back({SpeechEvent::Kind::started, std::max<int64_t>(0, start_ms - settings_.prefix_padding_ms),
                        start_ms});
    }
    return;
  }
  if (voiced) {
    silent_frames_ = 0;
    last_voiced_end_ms_ = frame_start_ms + kFrameMs;
    return;
  }
  ++silent_frames_;
  if (silent_frames_ * kFrameMs >= settings_.silence_duration_ms) {
    in_speech_ = false;
    recent_ = 0;
    events.push_back({SpeechEvent::Kind::stopped, frame_start_ms + kFrameMs, last_voiced_end_ms_});
  }
}

}  // namespace prism::voice
