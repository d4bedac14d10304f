// What `prism bench` measures on a loaded engine, with the same code paths a
// request takes: prompt processing (prefill) and generation speed, an
// image's encoding per tile, time to first token, and several streams at
// once. Every figure is taken over `reps` repetitions: the median and the
// spread (min, max) are reported. The memory bandwidth is measured in the
// same run, so generation can be set against its floor (bandwidth / bytes
// of weights read per token).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/vlm_engine.h"

namespace prism::runtime {

struct BenchmarkOptions {
  int prompt_tokens = 512;  // random text tokens, prefilled in one forward pass
  int gen_tokens = 128;     // greedy tokens after the prompt
  int reps = 3;
  std::optional<std::filesystem::path> image;  // encoded as a request would (its tiles); adds to time to first token
  std::vector<int> parallel;                   // stream counts; each decodes gen_tokens after a short prompt
  bool measure_bandwidth = true;
  std::function<void(const std::string&)> progress;  // one line per step
};

struct Spread {
  double median = 0, min = 0, max = 0;
};

struct ParallelResult {
  int streams = 0;
  Spread tokens_per_s;  // all streams together
};

struct BenchmarkReport {
  int prompt_tokens = 0, gen_tokens = 0, reps = 0, threads = 0;
  Spread prompt_tokens_per_s, gen_tokens_per_s, time_to_first_token_ms;
  int image_tiles = 0;  // 0 without an image
  Spread image_encode_ms_per_tile;
  std::vector<ParallelResult> parallel;
  double peak_rss_mb = 0;
  std::uint64_t weights_bytes_per_token = 0;  // text decoder matrices read for one generated token
  double bandwidth_gbs = 0;                   // 0 when not measured
  std::string weights_format;                 // the decoder matrices' dtype(s), e.g. "Q8_0" or "BF16"
};

// Throws prism::InvalidInput when the prompt does not fit the context or a
// count is out of range.
BenchmarkReport run_benchmark(const VlmEngine& engine, const BenchmarkOptions& options);

}  // namespace prism::runtime
