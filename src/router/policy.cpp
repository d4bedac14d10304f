#include "router/policy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace prism::router {
namespace {

std::string fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Latency the caller should expect: streaming requests care about the first
// token, others about the whole answer. Observed p90 first, then the hint.
void expected_latency(Candidate& c, const HealthSnapshot* h, bool stream, const PolicySettings& settings) {
  if (h && (stream ? h->ttft_p90_ms : h->total_p90_ms)) {
    c.expected_latency_ms = *(stream ? h->ttft_p90_ms : h->total_p90_ms);
    c.latency_source = stream ? "observed p90 time to first token" : "observed p90 total time";
  } else if (c.model->latency_hint_ms) {
    c.expected_latency_ms = *c.model->latency_hint_ms;
    c.latency_source = "latency_hint_ms (no observations yet)";
  } else {
    c.expected_latency_ms = settings.default_latency_ms;
    c.latency_source = "default (no observations yet)";
  }
  if (h && h->queue_wait_ms > 0) {  // a saturated local engine: its queue comes first
    c.expected_latency_ms += h->queue_wait_ms;
    c.latency_source += " + " + fmt(h->queue_wait_ms, 0) + " ms expected queue wait";
  }
}

// The first hard constraint the candidate breaks, in words and numbers; empty if none.
std::string exclusion_reason(const Candidate& c, const RankingInput& in, const HealthSnapshot* h) {
  const ModelEntry& m = *c.model;
  const RequestAnalysis& a = *in.analysis;
  const Constraints& k = in.constraints;
  if (in.permitted && !in.permitted->count(m.id)) return "not permitted for this API key";
  if (k.models && !k.models->count(m.id)) return "not in the request's allow-list (routing.models)";
  if (k.exclude.count(m.id)) return "excluded by the request (routing.exclude)";
  std::set<std::string> needed = a.capabilities;
  needed.insert(k.require.begin(), k.require.end());
  for (const auto& cap : needed) {
    if (!m.capabilities.count(cap))
      return "lacks capability '" + cap + "' (has: " + join(m.capabilities) + ")";
  }
  const std::int64_t tokens = a.prompt_tokens + a.expected_output_tokens;
  if (tokens > m.context_window)
    return "needs ~" + std::to_string(tokens) + " tokens (" + std::to_string(a.prompt_tokens) + " prompt + " +
           std::to_string(a.expected_output_tokens) + " output) but its context window is " +
           std::to_string(m.context_window);
  if (k.min_quality && c.quality < *k.min_quality)
    return "quality " + fmt(c.quality, 2) + " for '" + a.category + "' is below min_quality " + fmt(*k.min_quality, 2);
  if (k.max_cost_usd && c.estimated_cost_usd > *k.max_cost_usd)
    return "estimated cost $" + fmt(c.estimated_cost_usd, 6) + " exceeds max_cost_usd $" + fmt(*k.max_cost_usd, 6);
  if (k.max_latency_ms && c.expected_latency_ms > *k.max_latency_ms)
    return "expected latency " + fmt(c.expected_latency_ms, 0) + " ms (" + c.latency_source +
           ") exceeds max_latency_ms " + fmt(*k.max_latency_ms, 0);
  if (in.only_model) return "";
  if (h && h->unavailable_for_ms)
    return h->unavailable_reason + "; available again in " + fmt(std::max(0.0, *h->unavailable_for_ms) / 1000, 1) + " s";
  if (h && m.max_concurrency && h->in_flight >= *m.max_concurrency)
    return "at max_concurrency " + std::to_string(*m.max_concurrency) + " (" + std::to_string(h->in_flight) +
           " in flight)";
  return "";
}

struct Weights {
  double quality, cost, latency;
};

// Score = wq·quality + wc·cost_score + wl·latency_score, each term in 0..1.
// cost_score and latency_score place a candidate between the best and the
// worst of the compared set on a log scale (prices and latencies spread over
// orders of magnitude): 1 for the best, 0 for the worst. The compared set is
// every eligible candidate, or in balanced mode the quality band.
Weights weights_for(Mode mode) {
  switch (mode) {
    case Mode::quality: return {0.96, 0.02, 0.02};  // a 0.05 quality lead outweighs any price or speed
    case Mode::cost: return {0.15, 0.80, 0.05};
    case Mode::latency: return {0.15, 0.05, 0.80};
    case Mode::balanced: return {0.10, 0.80, 0.10};  // applied inside the quality band
  }
  return {0.10, 0.80, 0.10};
}

constexpr double kCostFloorUsd = 1e-6;  // keeps a free model's log finite
constexpr double kLatencyFloorMs = 1.0;

double relative_score(double value, double best, double worst, double floor) {
  if (worst <= best) return 1.0;
  const double score = 1.0 - std::log((value + floor) / (best + floor)) / std::log((worst + floor) / (best + floor));
  return std::clamp(score, 0.0, 1.0);
}

}  // namespace

nlohmann::json Candidate::to_json() const {
  nlohmann::json j = {{"model", model->id}, {"backend", model->backend}, {"eligible", eligible}};
  j["quality"] = std::round(quality * 1000) / 1000;
  j["estimated_cost_usd"] = estimated_cost_usd;
  j["expected_latency_ms"] = std::round(expected_latency_ms * 10) / 10;
  j["latency_source"] = latency_source;
  if (eligible) {
    j["score"] = std::round(score * 10000) / 10000;
    j["rank"] = rank;
    j["in_quality_band"] = in_quality_band;
  } else {
    j["excluded"] = exclusion_reason;
  }
  return j;
}

std::vector<const Candidate*> Ranking::eligible() const {
  std::vector<const Candidate*> out;
  for (const auto& c : candidates) {
    if (c.eligible) out.push_back(&c);
  }
  return out;
}

nlohmann::json Ranking::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : candidates) list.push_back(c.to_json());
  nlohmann::json j = {{"mode", to_string(mode)}, {"candidates", list}};
  if (mode == Mode::balanced) {
    j["best_quality"] = std::round(best_quality * 1000) / 1000;
    j["quality_band"] = std::round(quality_band * 1000) / 1000;
  }
  return j;
}

Ranking rank_candidates(const RankingInput& in, const PolicySettings& settings) {
  Ranking r;
  r.mode = in.constraints.mode.value_or(Mode::balanced);
  const RequestAnalysis& a = *in.analysis;

  std::vector<Candidate> eligible, excluded;
  for (const auto& m : in.catalog->models()) {
    if (in.only_model && m.id != *in.only_model) continue;
    Candidate c;
    c.model = &m;
    c.quality = m.quality_for(a.category);
    c.estimated_cost_usd = m.estimated_cost_usd(a.prompt_tokens, a.expected_output_tokens);
    auto hit = in.health.find(m.id);
    const HealthSnapshot* h = hit == in.health.end() ? nullptr : &hit->second;
    expected_latency(c, h, in.stream, settings);
    c.exclusion_reason = exclusion_reason(c, in, h);
    c.eligible = c.exclusion_reason.empty();
    (c.eligible ? eligible : excluded).push_back(std::move(c));
  }

  if (!eligible.empty()) {
    for (const auto& c : eligible) r.best_quality = std::max(r.best_quality, c.quality);
    // Balanced: harder requests narrow the band, so they stay near the best model.
    r.quality_band = settings.quality_band * (1.0 - 0.5 * a.complexity);
    for (auto& c : eligible) c.in_quality_band = c.quality >= r.best_quality - r.quality_band - 1e-12;
    double min_cost = 0, max_cost = 0, min_latency = 0, max_latency = 0;
    bool first = true;
    for (const auto& c : eligible) {
      if (r.mode == Mode::balanced && !c.in_quality_band) continue;
      min_cost = first ? c.estimated_cost_usd : std::min(min_cost, c.estimated_cost_usd);
      max_cost = first ? c.estimated_cost_usd : std::max(max_cost, c.estimated_cost_usd);
      min_latency = first ? c.expected_latency_ms : std::min(min_latency, c.expected_latency_ms);
      max_latency = first ? c.expected_latency_ms : std::max(max_latency, c.expected_latency_ms);
      first = false;
    }
    const Weights w = weights_for(r.mode);
    for (auto& c : eligible) {
      const double cost_score = relative_score(c.estimated_cost_usd, min_cost, max_cost, kCostFloorUsd);
      const double latency_score = relative_score(c.expected_latency_ms, min_latency, max_latency, kLatencyFloorMs);
      c.score = w.quality * c.quality + w.cost * cost_score + w.latency * latency_score;
    }
    const bool balanced = r.mode == Mode::balanced;
    std::sort(eligible.begin(), eligible.end(), [&](const Candidate& x, const Candidate& y) {
      if (balanced && x.in_quality_band != y.in_quality_band) return x.in_quality_band;
      if (balanced && !x.in_quality_band) {
        if (x.quality != y.quality) return x.quality > y.quality;
      } else if (x.score != y.score) {
        return x.score > y.score;
      }
      // Deterministic ties: higher quality, lower cost, lower latency, then id.
      if (x.quality != y.quality) return x.quality > y.quality;
      if (x.estimated_cost_usd != y.estimated_cost_usd) return x.estimated_cost_usd < y.estimated_cost_usd;
      if (x.expected_latency_ms != y.expected_latency_ms) return x.expected_latency_ms < y.expected_latency_ms;
      return x.model->id < y.model->id;
    });
    for (std::size_t i = 0; i < eligible.size(); ++i) eligible[i].rank = static_cast<int>(i + 1);
  }
  r.candidates = std::move(eligible);
  for (auto& c : excluded) r.candidates.push_back(std::move(c));
  return r;
}

}  // namespace prism::router
