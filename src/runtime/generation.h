// The token-level generation loop of one sequence alone: prefill the prompt
// (with image features merged at the <image> positions), then one token per
// step through its own KV cache until EOS, the token budget, the context
// window, or the caller stops. The batching engine (batch_engine.h) serves
// requests; this plain loop is what its answers are checked against.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "models/smolvlm.h"
#include "runtime/sampler.h"

namespace prism::runtime {

enum class TokenVerdict { Continue, Stop, Cancel };

struct TokenLoopParams {
  SamplingParams sampling;
  std::optional<std::uint64_t> seed;
  int max_tokens = 256;
  std::vector<std::int32_t> eos_token_ids;
};

struct TokenLoopResult {
  std::vector<std::int32_t> output_ids;  // generated ids (EOS included when it ended the loop)
  std::string finish_reason;             // "stop" | "length" | "cancelled"
  std::vector<float> prompt_last_logits; // logits at the last prompt position, before any processing
};

// on_token sees each generated id (an EOS id too, before the loop ends on it).
// Throws prism::InvalidInput when the prompt does not fit the context window.
TokenLoopResult run_token_loop(const models::SmolVlmModel& model, const std::vector<std::int32_t>& input_ids,
                               const tensor::Tensor* image_features, const TokenLoopParams& params,
                               const std::function<TokenVerdict(std::int32_t)>& on_token);

}  // namespace prism::runtime
