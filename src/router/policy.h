// Routing policy: hard constraints exclude candidates (each with a reason in
// words and numbers), then the mode's formula scores and ranks the rest.
// The formulas are documented in docs/ROUTING.md; this file is their source
// of truth.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "router/catalog.h"
#include "router/constraints.h"
#include "router/health.h"
#include "router/request_analysis.h"

namespace prism::router {

struct PolicySettings {
  double quality_band = 0.10;         // balanced: base width of the band below the best quality
  double default_latency_ms = 2000;   // assumed when a model has no observations and no hint
};

struct Candidate {
  const ModelEntry* model = nullptr;
  bool eligible = false;
  std::string exclusion_reason;      // when not eligible
  double quality = 0;                // for the request's category
  double estimated_cost_usd = 0;
  double expected_latency_ms = 0;
  std::string latency_source;        // "observed p90 ttft", "latency_hint_ms", "default"
  bool in_quality_band = false;      // balanced mode
  double score = 0;
  int rank = 0;                      // 1 = first choice; 0 when excluded

  nlohmann::json to_json() const;
};

struct RankingInput {
  const Catalog* catalog = nullptr;
  const RequestAnalysis* analysis = nullptr;
  Constraints constraints;
  bool stream = false;
  // Models this caller may use (API key); nullopt = all.
  std::optional<std::set<std::string>> permitted;
  // Health of each model, by id (missing = no observations).
  std::map<std::string, HealthSnapshot> health;
  // Direct requests: consider only this model, and do not exclude it for
  // its health (the caller asked for it by name).
  std::optional<std::string> only_model;
};

struct Ranking {
  std::vector<Candidate> candidates;  // ranked eligible first (rank 1..n), then the excluded in catalog order
  Mode mode = Mode::balanced;
  double quality_band = 0;            // effective band (balanced)
  double best_quality = 0;

  std::vector<const Candidate*> eligible() const;
  nlohmann::json to_json() const;
};

Ranking rank_candidates(const RankingInput& input, const PolicySettings& settings);

}  // namespace prism::router
