#include "voice/speech_segmenter.h"

#include <algorithm>
#include <bit>

namespace prism::voice {
namespace {
constexpr int kStartWindowFrames = 5;  // 100 ms
}

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
