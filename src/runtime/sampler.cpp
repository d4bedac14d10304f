#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace prism::runtime {

namespace {
constexpr float kRemoved = -std::numeric_limits<float>::infinity();
}

Sampler::Sampler(const SamplingParams& params, std::optional<std::uint64_t> seed)
    : params_(params), rng_(seed ? *seed : std::random_device{}()) {
  if (!(params.temperature >= 0.0f) || !std::isfinite(params.temperature))
    throw InvalidInput("temperature must be >= 0, got " + std::to_string(params.temperature));
  if (params.top_k < 0) throw InvalidInput("top_k must be >= 0, got " + std::to_string(params.top_k));
  if (!(params.top_p > 0.0f && params.top_p <= 1.0f))
    throw InvalidInput("top_p must be in (0, 1], got " + std::to_string(params.top_p));
  if (!(params.min_p >= 0.0f && params.min_p <= 1.0f))
    throw InvalidInput("min_p must be in [0, 1], got " + std::to_string(params.min_p));
  if (!(params.repetition_penalty > 0.0f) || !std::isfinite(params.repetition_penalty))
    throw InvalidInput("repetition_penalty must be > 0, got " + std::to_string(params.repetition_penalty));
}

std::int32_t Sampler::sample(std::span<float> logits, std::span<const std::int32_t> context) {
  const auto n = static_cast<std::int64_t>(logits.size());
  if (params_.repetition_penalty != 1.0f) {
    // transformers gathers each id's score once, then scatters: repeats in
    // the context are penalised once.
    std::vector<std::int32_t> seen(context.begin(), context.end());
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (auto id : seen) {
      if (id < 0 || id >= n) continue;
      float& s = logits[id];
      s = s < 0 ? s * params_.repetition_penalty : s / params_.repetition_penalty;
    }
  }
  if (params_.temperature == 0.0f)
    return static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());

  for (auto& s : logits) s /= params_.temperature;

  order_.resize(static_cast<std::size_t>(n));
  std::iota(order_.begin(), order_.end(), 0);
  std::stable_sort(order_.begin(), order_.end(), [&](std::int32_t a, std::int32_t b) { return logits[a] > logits[b]; });

  if (params_.top_k > 0 && params_.top_k < n) {
    const float kth = logits[order_[params_.top_k - 1]];
    for (auto& s : logits)
      if (s < kth) s = kRemoved;  // ties with the k-th survive, as in transformers
  }
  auto softmax_in_order = [&] {
    probs_.assign(static_cast<std::size_t>(n), 0.0f);
    const float mx = logits[order_[0]];
    double sum = 0;
    for (std::int64_t i = 0; i < n; ++i) sum += (probs_[i] = std::exp(logits[order_[i]] - mx));
    for (auto& p : probs_) p = static_cast<float>(p / sum);
  };
  if (params_.top_p < 1.0f) {
    // Keep the smallest head of the sorted list whose mass reaches top_p.
    softmax_in_order();
    double cum = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      if (cum >= params_.top_p && i > 0) logits[order_[i]] = kRemoved;
      cum += probs_[i];
    }
  }
  if (params_.min_p > 0.0f) {
    softmax_in_order();
    const float threshold = params_.min_p * probs_[0];
    for (std::int64_t i = 1; i < n; ++i)
      if (probs_[i] < threshold) logits[order_[i]] = kRemoved;
  }
  softmax_in_order();
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double r = u(rng_);
  double cum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    cum += probs_[i];
    if (r < cum) return order_[i];
  }
  // Rounding left r past the total: take the last token still allowed.
  for (std::int64_t i = n - 1; i >= 0; --i)
    if (probs_[i] > 0) return order_[i];
  return order_[0];
}

}  // namespace prism::runtime
