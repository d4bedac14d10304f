// Frame-level voice activity classifier: the WebRTC VAD (GMM on sub-band
// energies) from Debian's libwebrtc-audio-processing. Classifies 10/20/30 ms
// frames at 8/16/32/48 kHz; the turn logic lives in SpeechSegmenter.
#pragma once

#include <cstdint>
#include <span>

namespace prism::voice {

class WebRtcVad {
 public:
  // aggressiveness 0 (quality) .. 3 (very aggressive: fewest false alarms).
  explicit WebRtcVad(int aggressiveness = 2);
  ~WebRtcVad();
  WebRtcVad(const WebRtcVad&) = delete;
  WebRtcVad& operator=(const WebRtcVad&) = delete;

  void set_aggressiveness(int aggressiveness);
  // Throws prism::Error when the rate / frame length pair is not supported.
  bool is_speech(std::span<const int16_t> frame, int sample_rate);
  void reset();

 private:
  void* handle_ = nullptr;
  int aggressiveness_;
};

// Maps the Realtime API's server_vad `threshold` (0..1, higher = needs
// louder / clearer speech) onto the WebRTC VAD's four aggressiveness modes.
int aggressiveness_for_threshold(double threshold);

}  // namespace prism::voice
