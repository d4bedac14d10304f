// Streaming sample-rate conversion of mono PCM16 with libsoxr: feed chunks as
// they arrive, flush at the end of a stream. Same in/out rate passes through.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

struct soxr;

namespace prism::voice {

class Resampler {
 public:
  Resampler(int input_rate, int output_rate);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Converts a chunk; appends whatever output is ready to `out`.
  void process(std::span<const int16_t> input, std::vector<int16_t>& out);
  // Drains the filter's delay line at the end of a stream; the resampler can
  // then start a new stream.
  void flush(std::vector<int16_t>& out);

  int input_rate() const { return input_rate_; }
  int output_rate() const { return output_rate_; }

 private:
  int input_rate_;
  int output_rate_;
  soxr* soxr_ = nullptr;
};

// Whole-buffer convenience.
std::vector<int16_t> resample(std::span<const int16_t> input, int input_rate, int output_rate);

}  // namespace prism::voice
