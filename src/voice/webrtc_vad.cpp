#include "voice/webrtc_vad.h"

#include <string>

#include "core/error.h"

// libwebrtc-audio-processing 0.3 exports the VAD's C API but ships no header
// for it; these are the declarations of common_audio/vad/include/webrtc_vad.h
// of that release (checked against the library's disassembly: Create takes
// no argument and returns the instance).
extern "C" {
struct WebRtcVadInst;
WebRtcVadInst* WebRtcVad_Create();
void WebRtcVad_Free(WebRtcVadInst* handle);
int WebRtcVad_Init(WebRtcVadInst* handle);
int WebRtcVad_set_mode(WebRtcVadInst* handle, int mode);
int WebRtcVad_Process(WebRtcVadInst* handle, int fs, const int16_t* audio_frame, size_t frame_length);
int WebRtcVad_ValidRateAndFrameLength(int rate, size_t frame_length);
}

namespace prism::voice {
namespace {
WebRtcVadInst* inst(void* p) { return static_cast<WebRtcVadInst*>(p); }
}  // namespace

WebRtcVad::WebRtcVad(int aggressiveness) : aggressiveness_(aggressiveness) {
  handle_ = WebRtcVad_Create();
  if (!handle_) throw Error("WebRTC VAD: out of memory");
  reset();
}

WebRtcVad::~WebRtcVad() { WebRtcVad_Free(inst(handle_)); }

void WebRtcVad::reset() {
  if (WebRtcVad_Init(inst(handle_)) != 0) throw Error("WebRTC VAD: init failed");
  set_aggressiveness(aggressiveness_);
}

void WebRtcVad::set_aggressiveness(int aggressiveness) {
  if (aggressiveness < 0 || aggressiveness > 3)
    throw InvalidInput("VAD aggressiveness must be 0..3, got " + std::to_string(aggressiveness));
  if (WebRtcVad_set_mode(inst(handle_), aggressiveness) != 0) throw Error("WebRTC VAD: set_mode failed");
  aggressiveness_ = aggressiveness;
}

bool WebRtcVad::is_speech(std::span<const int16_t> frame, int sample_rate) {
  if (WebRtcVad_ValidRateAndFrameLength(sample_rate, frame.size()) != 0)
    throw Error("WebRTC VAD: " + std::to_string(frame.size()) + " samples at " + std::to_string(sample_rate) +
                " Hz is not a 10/20/30 ms frame at 8/16/32/48 kHz");
  int result = WebRtcVad_Process(inst(handle_), sample_rate, frame.data(), frame.size());
  if (result < 0) throw Error("WebRTC VAD: process failed");
  return result == 1;
}

int aggressiveness_for_threshold(double threshold) {
  if (threshold < 0.25) return 0;
  if (threshold < 0.5) return 1;
  if (threshold < 0.75) return 2;
  return 3;
}

}  // namespace prism::voice
