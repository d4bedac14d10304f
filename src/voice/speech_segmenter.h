// Turn detection on top of the frame classifier: debounces the WebRTC VAD's
// per-frame decisions into speech_started / speech_stopped with the Realtime
// API's prefix_padding_ms and silence_duration_ms semantics. Audio is 16 kHz
// mono PCM16 in any chunk size; offsets count from the first sample fed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "voice/webrtc_vad.h"

namespace prism::voice {

struct SegmenterSettings {
  double threshold = 0.5;          // 0..1, maps to the VAD's aggressiveness
  int prefix_padding_ms = 300;     // audio kept before the detected start
  int silence_duration_ms = 500;   // silence that ends a turn
  int min_speech_ms = 60;          // voiced frames needed (within 100 ms) to start a turn
};

struct SpeechEvent {
  enum class Kind { started, stopped } kind;
  // Protocol offsets (ms since the first sample): for `started`, the start
  // of speech minus prefix_padding_ms (not before 0); for `stopped`, the end
  // of speech plus the silence window, i.e. where the turn was detected.
  int64_t audio_ms = 0;
  // Where the VAD places the speech boundary itself (first voiced frame,
  // end of the last voiced frame).
  int64_t speech_ms = 0;
};

class SpeechSegmenter {
 public:
  static constexpr int kSampleRate = 16000;
  static constexpr int kFrameMs = 20;
  static constexpr size_t kFrameSamples = kSampleRate * kFrameMs / 1000;

  explicit SpeechSegmenter(SegmenterSettings settings = {});

  void set_settings(const SegmenterSettings& settings);
  const SegmenterSettings& settings() const { return settings_; }

  // Classifies the audio and returns the turn events it completed.
  std::vector<SpeechEvent> feed(std::span<const int16_t> audio_16k);
  bool in_speech() const { return in_speech_; }
  // Silence since the last voiced frame of the turn in progress (0 outside one).
  int64_t trailing_silence_ms() const { return in_speech_ ? silent_frames_ * kFrameMs : 0; }
  // Milliseconds of audio classified so far.
  int64_t position_ms() const { return frames_ * kFrameMs; }
  // Ends the turn in progress now (semantic turn detection decided it is
  // over before silence_duration_ms): the `stopped` event, or nothing when
  // no turn is in progress.
  std::optional<SpeechEvent> end_turn();
  // Forgets a turn in progress (e.g. after input_audio_buffer.clear); the
  // clock keeps running.
  void reset_turn();

 private:
  void classify_frame(std::span<const int16_t> frame, std::vector<SpeechEvent>& events);

  SegmenterSettings settings_;
  WebRtcVad vad_;
  std::vector<int16_t> partial_frame_;
  int64_t frames_ = 0;
  bool in_speech_ = false;
  uint32_t recent_ = 0;           // bit i: frame (frames_-1-i) was voiced
  int64_t silent_frames_ = 0;      // consecutive unvoiced frames while in speech
  int64_t last_voiced_end_ms_ = 0;
  double turn_peak_rms_ = 0;       // loudest voiced frame of the turn in progress (or the last one)
};

}  // namespace prism::voice
