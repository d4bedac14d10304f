#include "voice/speech_synthesizer.h"

extern "C" {
#include <flite/flite.h>
cst_voice* register_cmu_us_slt(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
}

#include <map>
#include <mutex>

#include "core/error.h"

namespace prism::voice {
namespace {

// Flite registers each voice once per process (a global), and synthesis with
// one voice is not documented as thread-safe: one mutex per voice, held for
// a clause at a time.
struct FliteVoice {
  cst_voice* voice = nullptr;
  std::mutex mutex;
};

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

FliteVoice& flite_voice(const std::string& name) {
  static std::map<std::string, FliteVoice> voices;
  std::lock_guard lock(registry_mutex());
  static bool initialised = false;
  if (!initialised) {
    flite_init();
    initialised = true;
  }
  FliteVoice& v = voices[name];
  if (!v.voice) {
    if (name == "slt") v.voice = register_cmu_us_slt(nullptr);
    else if (name == "rms") v.voice = register_cmu_us_rms(nullptr);
    else if (name == "awb") v.voice = register_cmu_us_awb(nullptr);
    if (!v.voice) throw Error("Flite: cannot register voice " + name);
  }
  return v;
}

struct StreamState {
  const SpeechSynthesizer::ChunkCallback* on_chunk;
  bool stopped = false;
  bool any = false;
};

int stream_chunk(const cst_wave* w, int start, int size, int last, cst_audio_streaming_info* asi) {
  auto* state = static_cast<StreamState*>(asi->userdata);
  state->any = true;
  if (state->stopped) return CST_AUDIO_STREAM_STOP;
  if (size > 0 && !(*state->on_chunk)(std::span<const int16_t>(w->samples + start, static_cast<size_t>(size)))) {
    state->stopped = true;
    return CST_AUDIO_STREAM_STOP;
  }
  return CST_AUDIO_STREAM_CONT;
}

}  // namespace

std::string flite_voice_for(std::string_view requested) {
  static const std::map<std::string, std::string, std::less<>> kVoices = {
      {"slt", "slt"},      {"rms", "rms"},     {"awb", "awb"},
      // OpenAI's voices, by their timbre.
      {"alloy", "slt"},    {"coral", "slt"},   {"shimmer", "slt"}, {"sage", "slt"}, {"marin", "slt"},
      {"nova", "slt"},     {"echo", "rms"},    {"ash", "rms"},     {"verse", "rms"}, {"cedar", "rms"},
      {"onyx", "rms"},     {"ballad", "awb"},  {"fable", "awb"},
  };
  auto it = kVoices.find(requested);
  if (it == kVoices.end())
    throw InvalidInput("unknown voice \"" + std::string(requested) +
                       "\" (supported: slt, rms, awb and the OpenAI voice names)");
  return it->second;
}

SpeechSynthesizer::SpeechSynthesizer(std::string_view voice) : voice_(flite_voice_for(voice)) {
  FliteVoice& v = flite_voice(voice_);
  flite_voice_ = reinterpret_cast<cst_voice_struct*>(v.voice);
  sample_rate_ = get_param_int(v.voice->features, "sample_rate", 16000);
}

bool SpeechSynthesizer::synthesize(std::string_view text, const ChunkCallback& on_chunk) {
  std::string input(text);
  if (input.find_first_not_of(" \t\r\n") == std::string::npos) return true;
  FliteVoice& v = flite_voice(voice_);
  std::lock_guard lock(v.mutex);
  StreamState state{&on_chunk};
  cst_audio_streaming_info* asi = new_audio_streaming_info();
  asi->asc = &stream_chunk;
  asi->userdata = &state;
  asi->min_buffsize = 1600;  // ~100 ms at 16 kHz: small first chunk, few calls
  cst_utterance* utt = new_utterance();
  utt_set_input_text(utt, input.c_str());
  // On the utterance, not the shared voice: other sessions use the voice too.
  feat_set(utt->features, "streaming_info", audio_streaming_info_val(asi));
  utt = flite_do_synth(utt, v.voice, utt_synth);  // links the voice's features; deletes utt on failure
  bool completed = !state.stopped;
  if (utt && !state.any && completed) {
    // Voices without streaming support leave the whole wave on the utterance.
    if (cst_wave* w = utt_wave(utt); w && w->num_samples > 0)
      completed = on_chunk(std::span<const int16_t>(w->samples, static_cast<size_t>(w->num_samples)));
  }
  if (utt) delete_utterance(utt);  // also frees asi, held as a feature value
  return completed;
}

std::vector<int16_t> SpeechSynthesizer::synthesize(std::string_view text) {
  std::vector<int16_t> out;
  synthesize(text, [&](std::span<const int16_t> chunk) {
    out.insert(out.end(), chunk.begin(), chunk.end());
    return true;
  });
  return out;
}

}  // namespace prism::voice
