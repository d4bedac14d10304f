// Speech synthesis with Flite (voices slt, rms, awb), streamed in chunks as
// Flite produces them. OpenAI voice names map onto the three Flite voices.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct cst_voice_struct;

namespace prism::voice {

// Returns the Flite voice ("slt", "rms", "awb") for a Flite or OpenAI voice
// name; throws prism::InvalidInput for an unknown one.
std::string flite_voice_for(std::string_view requested);

class SpeechSynthesizer {
 public:
  // Throws prism::InvalidInput for an unknown voice.
  explicit SpeechSynthesizer(std::string_view voice = "slt");

  int sample_rate() const { return sample_rate_; }
  const std::string& voice() const { return voice_; }

  // Calls `on_chunk` with mono PCM16 at sample_rate() as synthesis proceeds;
  // returning false from on_chunk stops the synthesis early. Returns false
  // when stopped that way.
  using ChunkCallback = std::function<bool(std::span<const int16_t>)>;
  bool synthesize(std::string_view text, const ChunkCallback& on_chunk);
  std::vector<int16_t> synthesize(std::string_view text);

 private:
  std::string voice_;
  cst_voice_struct* flite_voice_ = nullptr;
  int sample_rate_ = 16000;
};

}  // namespace prism::voice
