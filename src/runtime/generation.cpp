#include "runtime/generation.h"

#include <algorithm>

#include "core/error.h"

namespace prism::runtime {

TokenLoopResult run_token_loop(const models::SmolVlmModel& model, const std::vector<std::int32_t>& input_ids,
                               const tensor::Tensor* image_features, const TokenLoopParams& params,
                               const std::function<TokenVerdict(std::int32_t)>& on_token) {
  const auto& text_cfg = model.config().text;
  const auto context = static_cast<std::size_t>(text_cfg.max_position_embeddings);
  if (input_ids.empty()) throw InvalidInput("the prompt is empty");
  if (input_ids.size() >= context)
    throw InvalidInput("the prompt is " + std::to_string(input_ids.size()) +
                       " tokens long but the model's context window is " + std::to_string(context));
  if (params.max_tokens < 0) throw InvalidInput("max_tokens must be >= 0");

  Sampler sampler(params.sampling, params.seed);
  models::KvCache cache = model.make_cache();
  const std::int64_t vocab = text_cfg.vocab_size;
  TokenLoopResult result;
  result.finish_reason = "length";

  tensor::Tensor embeds = model.embed_prompt(input_ids, image_features);
  tensor::Tensor hidden = model.text().forward(model.pool(), embeds, cache);
  std::vector<float> logits(static_cast<std::size_t>(vocab));
  model.text().logits(model.pool(), hidden.row(hidden.dim(0) - 1), 1, logits.data());
  result.prompt_last_logits = logits;

  std::vector<std::int32_t> seen = input_ids;
  for (int step = 0; step < params.max_tokens; ++step) {
    if (seen.size() >= context) break;  // the window is full: "length"
    const std::int32_t next = sampler.sample(logits, seen);
    result.output_ids.push_back(next);
    seen.push_back(next);
    const TokenVerdict verdict = on_token(next);
    if (verdict == TokenVerdict::Cancel) {
      result.finish_reason = "cancelled";
      break;
    }
    if (verdict == TokenVerdict::Stop ||
        std::find(params.eos_token_ids.begin(), params.eos_token_ids.end(), next) != params.eos_token_ids.end()) {
      result.finish_reason = "stop";
      break;
    }
    if (step + 1 == params.max_tokens) break;  // no forward pass for a token nobody will read
    // A generated token is looked up in the embedding table even when it is
    // <image> (as transformers does: image features join the prompt only);
    // embed_prompt would refuse an <image> without features.
    tensor::Tensor e = model.text().embed(&next, 1);
    tensor::Tensor h = model.text().forward(model.pool(), e, cache);
    model.text().logits(model.pool(), h.data(), 1, logits.data());
  }
  return result;
}

}  // namespace prism::runtime
