// Picks the next token from logits, in the order transformers applies its
// processors: repetition penalty, then (when sampling) temperature, top-k,
// top-p, min-p. Temperature 0 means greedy (argmax after the penalty).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

namespace prism::runtime {

struct SamplingParams {
  float temperature = 0.0f;         // 0 = greedy
  int top_k = 0;                    // 0 = off
  float top_p = 1.0f;               // 1 = off
  float min_p = 0.0f;               // 0 = off
  float repetition_penalty = 1.0f;  // 1 = off; applies to prompt and generated ids, like transformers
};

class Sampler {
 public:
  // Throws prism::InvalidInput on out-of-range parameters.
  Sampler(const SamplingParams& params, std::optional<std::uint64_t> seed);

  // `logits` is modified in place. `context` holds the prompt and generated ids.
  std::int32_t sample(std::span<float> logits, std::span<const std::int32_t> context);

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::int32_t> order_;
  std::vector<float> probs_;
};

}  // namespace prism::runtime
