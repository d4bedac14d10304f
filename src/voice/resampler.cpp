#include "voice/resampler.h"

#include <soxr.h>

#include "core/error.h"

namespace prism::voice {

Resampler::Resampler(int input_rate, int output_rate) : input_rate_(input_rate), output_rate_(output_rate) {
  if (input_rate <= 0 || output_rate <= 0)
    throw InvalidInput("resampler rates must be positive (got " + std::to_string(input_rate) + " -> " +
                       std::to_string(output_rate) + ")");
  if (input_rate == output_rate) return;
  soxr_error_t error = nullptr;
  soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
  // Medium quality: a short filter (few ms of delay) that keeps speech clean.
  soxr_quality_spec_t quality = soxr_quality_spec(SOXR_MQ, 0);
  soxr_ = soxr_create(input_rate, output_rate, 1, &error, &io, &quality, nullptr);
  if (error) throw Error(std::string("libsoxr: ") + error);
}

Resampler::~Resampler() {
  if (soxr_) soxr_delete(soxr_);
}

void Resampler::process(std::span<const int16_t> input, std::vector<int16_t>& out) {
  if (!soxr_) {
    out.insert(out.end(), input.begin(), input.end());
    return;
  }
  // soxr may hold back input when the output buffer fills: loop until all
  // of the chunk is consumed.
  while (!input.empty()) {
    size_t capacity = input.size() * static_cast<size_t>(output_rate_) / static_cast<size_t>(input_rate_) + 256;
    size_t at = out.size();
    out.resize(at + capacity);
    size_t consumed = 0, produced = 0;
    soxr_error_t error =
        soxr_process(soxr_, input.data(), input.size(), &consumed, out.data() + at, capacity, &produced);
    out.resize(at + produced);
    if (error) throw Error(std::string("libsoxr: ") + error);
    if (consumed == 0 && produced == 0) break;
    input = input.subspan(consumed);
  }
}

void Resampler::flush(std::vector<int16_t>& out) {
  if (!soxr_) return;
  for (;;) {
    size_t at = out.size();
    constexpr size_t kChunk = 1024;
    out.resize(at + kChunk);
    size_t produced = 0;
    soxr_error_t error = soxr_process(soxr_, nullptr, 0, nullptr, out.data() + at, kChunk, &produced);
    out.resize(at + produced);
    if (error) throw Error(std::string("libsoxr: ") + error);
    if (produced < kChunk) break;
  }
  soxr_clear(soxr_);
}

std::vector<int16_t> resample(std::span<const int16_t> input, int input_rate, int output_rate) {
  Resampler r(input_rate, output_rate);
  std::vector<int16_t> out;
  out.reserve(input.size() * static_cast<size_t>(output_rate) / static_cast<size_t>(input_rate) + 64);
  r.process(input, out);
  r.flush(out);
  return out;
}

}  // namespace prism::voice
