// Routing policy: every mode's ranking, deterministic ties, every exclusion
// reason with its numbers, and direct (named-model) requests. Expected
// scores are recomputed here from the documented formula (policy.cpp, docs/ROUTING.md):
//   score = wq·quality + wc·rel(cost) + wl·rel(latency), where
//   rel(v) = 1 - ln((v + floor) / (best + floor)) / ln((worst + floor) / (best + floor)),
//   floors 1e-6 USD and 1 ms, best/worst over the eligible (balanced: the quality band).
//   (minimums over the eligible candidates); balanced (0.10, 0.80, 0.10) inside
//   the band best - band·(1 - 0.5·complexity), quality (0.96, 0.02, 0.02),
//   cost (0.15, 0.80, 0.05), latency (0.15, 0.05, 0.80).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <string>
#include <vector>

#include "router/policy.h"

namespace prism::router {
namespace {

ModelEntry model(const std::string& id, double quality, double price_in, double price_out,
                 std::optional<double> latency_hint_ms, std::set<std::string> caps = {"text"},
                 std::int64_t context_window = 128000) {
  ModelEntry m;
  m.id = id;
  m.backend = "upstream";
  m.base_url = "http://127.0.0.1:9/v1";
  m.upstream_model = id;
  m.capabilities = std::move(caps);
  m.context_window = context_window;
  m.price_input = price_in;
  m.price_output = price_out;
  m.quality = quality;
  m.latency_hint_ms = latency_hint_ms;
  return m;
}

RequestAnalysis analysis(std::int64_t prompt = 1000, std::int64_t output = 500, double complexity = 0,
                         std::string category = "chat") {
  RequestAnalysis a;
  a.capabilities = {"text"};
  a.prompt_tokens = prompt;
  a.expected_output_tokens = output;
  a.category = std::move(category);
  a.complexity = complexity;
  return a;
}

// Four models whose trade-offs differ. With 1000 prompt + 500 output tokens:
// cost big 0.025, mid 0.0025, small 0.00025, free 0; latency hints 3000,
// 1000, 300, 5000 ms.
Catalog four_models() {
  Catalog c;
  c.add(model("big", 0.95, 10, 30, 3000));
  c.add(model("mid", 0.88, 1, 3, 1000));
  c.add(model("small", 0.70, 0.1, 0.3, 300));
  c.add(model("free", 0.50, 0, 0, 5000));
  return c;
}

std::vector<std::string> order(const Ranking& r) {
  std::vector<std::string> ids;
  for (const auto* c : r.eligible()) ids.push_back(c->model->id);
  return ids;
}

const Candidate& find(const Ranking& r, const std::string& id) {
  for (const auto& c : r.candidates) {
    if (c.model->id == id) return c;
  }
  throw std::runtime_error("no candidate " + id);
}

struct Fixture : ::testing::Test {
  Catalog catalog = four_models();
  RequestAnalysis a = analysis();
  PolicySettings settings;

  Ranking rank(Constraints k, std::map<std::string, HealthSnapshot> health = {}, bool stream = false,
               std::optional<std::set<std::string>> permitted = std::nullopt,
               std::optional<std::string> only = std::nullopt) {
    RankingInput in;
    in.catalog = &catalog;
    in.analysis = &a;
    in.constraints = std::move(k);
    in.health = std::move(health);
    in.stream = stream;
    in.permitted = std::move(permitted);
    in.only_model = std::move(only);
    return rank_candidates(in, settings);
  }
  static Constraints mode(Mode m) {
    Constraints k;
    k.mode = m;
    return k;
  }
};

using Policy = Fixture;

TEST_F(Policy, CostAndLatencyEstimatesPerCandidate) {
  const Ranking r = rank(mode(Mode::quality));
  EXPECT_DOUBLE_EQ(find(r, "big").estimated_cost_usd, (1000 * 10.0 + 500 * 30.0) / 1e6);
  EXPECT_DOUBLE_EQ(find(r, "mid").estimated_cost_usd, (1000 * 1.0 + 500 * 3.0) / 1e6);
  EXPECT_DOUBLE_EQ(find(r, "free").estimated_cost_usd, 0.0);
  EXPECT_DOUBLE_EQ(find(r, "small").expected_latency_ms, 300);
  EXPECT_NE(find(r, "small").latency_source.find("latency_hint_ms"), std::string::npos);
}

TEST_F(Policy, ScoresFollowTheFormulaInEveryMode) {
  struct W {
    Mode mode;
    double q, c, l;
  };
  for (const W w : {W{Mode::quality, 0.96, 0.02, 0.02}, W{Mode::cost, 0.15, 0.80, 0.05},
                    W{Mode::latency, 0.15, 0.05, 0.80}, W{Mode::balanced, 0.10, 0.80, 0.10}}) {
    const Ranking r = rank(mode(w.mode));
    ASSERT_EQ(r.eligible().size(), 4u);
    double min_cost = 1e300, max_cost = -1, min_latency = 1e300, max_latency = -1;
    for (const auto* c : r.eligible()) {
      if (w.mode == Mode::balanced && !c->in_quality_band) continue;
      min_cost = std::min(min_cost, c->estimated_cost_usd);
      max_cost = std::max(max_cost, c->estimated_cost_usd);
      min_latency = std::min(min_latency, c->expected_latency_ms);
      max_latency = std::max(max_latency, c->expected_latency_ms);
    }
    auto rel = [](double v, double best, double worst, double floor) {
      if (worst <= best) return 1.0;
      return std::clamp(1.0 - std::log((v + floor) / (best + floor)) / std::log((worst + floor) / (best + floor)), 0.0, 1.0);
    };
    for (const auto& c : r.candidates) {
      const double expected = w.q * c.model->quality + w.c * rel(c.estimated_cost_usd, min_cost, max_cost, 1e-6) +
                              w.l * rel(c.expected_latency_ms, min_latency, max_latency, 1.0);
      EXPECT_NEAR(c.score, expected, 1e-12) << to_string(w.mode) << " " << c.model->id;
    }
  }
}

TEST_F(Policy, QualityModePrefersQualityWhenOtherTermsAreEqual) {
  catalog = Catalog{};
  catalog.add(model("a", 0.60, 1, 1, 1000));
  catalog.add(model("b", 0.90, 1, 1, 1000));
  catalog.add(model("c", 0.75, 1, 1, 1000));
  EXPECT_EQ(order(rank(mode(Mode::quality))), (std::vector<std::string>{"b", "c", "a"}));
}

TEST_F(Policy, QualityModeRanking) {
  // quality: big .912+0+.02·.1=.914, mid .8448+0+.02·.3=.8508, small .672+0+.02=.692,
  // free .48+.02+.02·.06=.5012 -> by quality.
  EXPECT_EQ(order(rank(mode(Mode::quality))), (std::vector<std::string>{"big", "mid", "small", "free"}));
}

TEST_F(Policy, QualityModeLeadOutweighsPriceAndSpeed) {
  // A 0.05 quality lead beats a model that is 100x cheaper and 10x faster.
  catalog = Catalog{};
  catalog.add(model("cheap-fast", 0.80, 0.1, 0.1, 100));
  catalog.add(model("better", 0.85, 10, 10, 1000));
  EXPECT_EQ(order(rank(mode(Mode::quality))), (std::vector<std::string>{"better", "cheap-fast"}));
}

TEST_F(Policy, CostModeRanking) {
  // cost: free .075+.8+.05·.06=.878 first.
  EXPECT_EQ(order(rank(mode(Mode::cost))).front(), "free");
}

TEST_F(Policy, CostModeOrdersPaidFallbacksByCostEvenWithAFreeModel) {
  // The fallbacks after "free" should be cheapest first: small 0.00025, mid 0.0025, big 0.025.
  // The formula gives big .1425+.05·.1=.1475 above mid .132+.05·.3=.147.
  EXPECT_EQ(order(rank(mode(Mode::cost))), (std::vector<std::string>{"free", "small", "mid", "big"}));
}

TEST_F(Policy, CostModePicksTheFreeModelWhenLatencyIsEqual) {
  catalog = Catalog{};
  catalog.add(model("paid", 0.9, 1, 1, 1000));
  catalog.add(model("free", 0.5, 0, 0, 1000));
  EXPECT_EQ(order(rank(mode(Mode::cost))), (std::vector<std::string>{"free", "paid"}));
}

TEST_F(Policy, LatencyModeRanking) {
  // latency: small .105+0+.8=.905, mid .132+0+.24=.372, big .1425+0+.08=.2225, free .075+.05+.048=.173.
  EXPECT_EQ(order(rank(mode(Mode::latency))), (std::vector<std::string>{"small", "mid", "big", "free"}));
}

TEST_F(Policy, BalancedPicksTheCheapInsideTheBandThenTheRestByQuality) {
  // band = 0.10 at complexity 0: big (.95) and mid (.88) are within .85; mid is far cheaper.
  const Ranking r = rank(mode(Mode::balanced));
  EXPECT_DOUBLE_EQ(r.best_quality, 0.95);
  EXPECT_DOUBLE_EQ(r.quality_band, 0.10);
  EXPECT_TRUE(find(r, "big").in_quality_band);
  EXPECT_TRUE(find(r, "mid").in_quality_band);
  EXPECT_FALSE(find(r, "small").in_quality_band);
  EXPECT_FALSE(find(r, "free").in_quality_band);
  // Outside the band: by quality, even though "free" costs nothing.
  EXPECT_EQ(order(r), (std::vector<std::string>{"mid", "big", "small", "free"}));
  EXPECT_EQ(find(r, "mid").rank, 1);
  EXPECT_EQ(find(r, "free").rank, 4);
}

TEST_F(Policy, BalancedPicksTheCheapestInTheBandEvenWhenAFreeModelIsOutsideIt) {
  // In the band (.85..95): "dear" costs 10x "fair"; "free" (.5) is outside it.
  catalog = Catalog{};
  catalog.add(model("dear", 0.95, 10, 30, 1000));
  catalog.add(model("fair", 0.90, 1, 3, 3000));
  catalog.add(model("free", 0.50, 0, 0, 5000));
  EXPECT_EQ(order(rank(mode(Mode::balanced))), (std::vector<std::string>{"fair", "dear", "free"}));
}

TEST_F(Policy, BalancedPicksTheCheapestInTheBand) {
  // Without a free model the same pair ranks by cost: fair .09+.8+.1/3, dear .095+.08+.1.
  catalog = Catalog{};
  catalog.add(model("dear", 0.95, 10, 30, 1000));
  catalog.add(model("fair", 0.90, 1, 3, 3000));
  catalog.add(model("poor", 0.50, 2, 6, 5000));
  EXPECT_EQ(order(rank(mode(Mode::balanced))), (std::vector<std::string>{"fair", "dear", "poor"}));
}

TEST_F(Policy, BalancedBandNarrowsWithComplexity) {
  // complexity 1 halves the band to 0.05: only big (.95) stays in (mid .88 < .90).
  a = analysis(1000, 500, 1.0);
  const Ranking r = rank(mode(Mode::balanced));
  EXPECT_DOUBLE_EQ(r.quality_band, 0.05);
  EXPECT_FALSE(find(r, "mid").in_quality_band);
  EXPECT_EQ(order(r), (std::vector<std::string>{"big", "mid", "small", "free"}));

  // complexity 0.5: band 0.075, .95-.075=.875 <= .88, mid is back in.
  a = analysis(1000, 500, 0.5);
  const Ranking half = rank(mode(Mode::balanced));
  EXPECT_DOUBLE_EQ(half.quality_band, 0.075);
  EXPECT_EQ(order(half).front(), "mid");

  // A wider configured band lets "small" (.70) in; it is the cheapest there.
  a = analysis();
  settings.quality_band = 0.30;
  EXPECT_EQ(order(rank(mode(Mode::balanced))).front(), "small");
}

TEST_F(Policy, BestQualityIsAmongTheEligibleOnly) {
  Constraints k = mode(Mode::balanced);
  k.exclude = {"big"};
  const Ranking r = rank(k);
  EXPECT_DOUBLE_EQ(r.best_quality, 0.88);
  // band .78..88: only mid.
  EXPECT_EQ(order(r), (std::vector<std::string>{"mid", "small", "free"}));
}

TEST_F(Policy, DefaultModeIsBalanced) {
  const Ranking r = rank(Constraints{});
  EXPECT_EQ(r.mode, Mode::balanced);
  EXPECT_EQ(r.to_json()["mode"], "balanced");
  EXPECT_TRUE(r.to_json().contains("quality_band"));
  EXPECT_FALSE(rank(mode(Mode::cost)).to_json().contains("quality_band"));
}

TEST_F(Policy, TiesBreakByQualityThenCostThenLatencyThenId) {
  // Identical models: by id, whatever the catalog order.
  catalog = Catalog{};
  catalog.add(model("zeta", 0.8, 1, 1, 500));
  catalog.add(model("alpha", 0.8, 1, 1, 500));
  catalog.add(model("mu", 0.8, 1, 1, 500));
  for (Mode m : {Mode::balanced, Mode::quality, Mode::cost, Mode::latency})
    EXPECT_EQ(order(rank(mode(m))), (std::vector<std::string>{"alpha", "mu", "zeta"})) << to_string(m);

  // Outside the balanced band candidates are ordered by quality, so equal
  // quality falls through to cost, then latency, then id.
  catalog = Catalog{};
  catalog.add(model("top", 0.99, 50, 50, 100));
  catalog.add(model("slow-cheap", 0.5, 0.1, 0.1, 2000));
  catalog.add(model("fast-cheap", 0.5, 0.1, 0.1, 1000));
  catalog.add(model("dear", 0.5, 0.2, 0.2, 100));
  catalog.add(model("b-same", 0.5, 0.1, 0.1, 1000));
  EXPECT_EQ(order(rank(mode(Mode::balanced))),
            (std::vector<std::string>{"top", "b-same", "fast-cheap", "slow-cheap", "dear"}));

  // The same input always gives the same ranking.
  const auto first = rank(mode(Mode::balanced)).to_json();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rank(mode(Mode::balanced)).to_json(), first);
}

TEST_F(Policy, AllFreeModelsScoreFullCost) {
  catalog = Catalog{};
  catalog.add(model("x", 0.6, 0, 0, 1000));
  catalog.add(model("y", 0.7, 0, 0, 1000));
  const Ranking r = rank(mode(Mode::cost));
  // cost_score 1 when every model is free; equal latency -> latency_score 1.
  EXPECT_NEAR(find(r, "x").score, 0.15 * 0.6 + 0.80 + 0.05, 1e-12);
  EXPECT_EQ(order(r), (std::vector<std::string>{"y", "x"}));
}

TEST_F(Policy, CategoryQualityOverridesOverall) {
  catalog = Catalog{};
  ModelEntry coder = model("coder", 0.6, 1, 1, 1000);
  coder.quality_by_category["code"] = 0.95;
  catalog.add(coder);
  catalog.add(model("general", 0.8, 1, 1, 1000));
  a = analysis(1000, 500, 0, "code");
  EXPECT_EQ(order(rank(mode(Mode::quality))).front(), "coder");
  EXPECT_DOUBLE_EQ(find(rank(mode(Mode::quality)), "coder").quality, 0.95);
  a = analysis(1000, 500, 0, "chat");
  EXPECT_EQ(order(rank(mode(Mode::quality))).front(), "general");
}

// --- exclusions ------------------------------------------------------------

TEST_F(Policy, ExcludedCandidatesComeAfterTheEligibleInCatalogOrder) {
  Constraints k;
  k.exclude = {"big", "small"};
  const Ranking r = rank(k);
  ASSERT_EQ(r.candidates.size(), 4u);
  EXPECT_TRUE(r.candidates[0].eligible);
  EXPECT_TRUE(r.candidates[1].eligible);
  EXPECT_EQ(r.candidates[2].model->id, "big");
  EXPECT_EQ(r.candidates[3].model->id, "small");
  EXPECT_EQ(r.candidates[2].rank, 0);
  const auto j = r.to_json()["candidates"][2];
  EXPECT_EQ(j["eligible"], false);
  EXPECT_EQ(j["excluded"], "excluded by the request (routing.exclude)");
  EXPECT_FALSE(j.contains("score"));
}

TEST_F(Policy, ExcludedByPermission) {
  const Ranking r = rank(Constraints{}, {}, false, std::set<std::string>{"mid"});
  EXPECT_EQ(order(r), (std::vector<std::string>{"mid"}));
  EXPECT_EQ(find(r, "big").exclusion_reason, "not permitted for this API key");
}

TEST_F(Policy, ExcludedByAllowList) {
  Constraints k;
  k.models = std::set<std::string>{"small", "free"};
  const Ranking r = rank(k);
  EXPECT_EQ(order(r).size(), 2u);
  EXPECT_EQ(find(r, "big").exclusion_reason, "not in the request's allow-list (routing.models)");
}

TEST_F(Policy, ExcludedForMissingCapability) {
  catalog = Catalog{};
  catalog.add(model("eyes", 0.5, 1, 1, 100, {"text", "vision"}));
  catalog.add(model("blind", 0.9, 1, 1, 100, {"text", "tools"}));
  a.capabilities = {"text", "vision"};
  Ranking r = rank(Constraints{});
  EXPECT_EQ(order(r), (std::vector<std::string>{"eyes"}));
  EXPECT_EQ(find(r, "blind").exclusion_reason, "lacks capability 'vision' (has: text, tools)");

  // A capability the caller requires counts like one the request needs.
  a.capabilities = {"text"};
  Constraints k;
  k.require = {"tools"};
  r = rank(k);
  EXPECT_EQ(order(r), (std::vector<std::string>{"blind"}));
  EXPECT_EQ(find(r, "eyes").exclusion_reason, "lacks capability 'tools' (has: text, vision)");
}

TEST_F(Policy, ExcludedByContextWindowWithTheNumbers) {
  catalog = Catalog{};
  catalog.add(model("tiny", 0.5, 1, 1, 100, {"text"}, 1499));
  catalog.add(model("exact", 0.5, 1, 1, 100, {"text"}, 1500));
  const Ranking r = rank(Constraints{});
  EXPECT_EQ(order(r), (std::vector<std::string>{"exact"}));  // prompt + output = window is fine
  EXPECT_EQ(find(r, "tiny").exclusion_reason,
            "needs ~1500 tokens (1000 prompt + 500 output) but its context window is 1499");
}

TEST_F(Policy, ExcludedByMinQuality) {
  Constraints k;
  k.min_quality = 0.88;
  const Ranking r = rank(k);
  EXPECT_EQ(order(r), (std::vector<std::string>{"mid", "big"}));  // .88 itself passes
  EXPECT_EQ(find(r, "small").exclusion_reason, "quality 0.70 for 'chat' is below min_quality 0.88");
}

TEST_F(Policy, ExcludedByMaxCost) {
  Constraints k;
  k.max_cost_usd = 0.0025;  // mid costs exactly this: allowed
  const Ranking r = rank(k);
  EXPECT_TRUE(find(r, "mid").eligible);
  EXPECT_EQ(find(r, "big").exclusion_reason, "estimated cost $0.025000 exceeds max_cost_usd $0.002500");
}

TEST_F(Policy, ExcludedByMaxLatencyUsingHintDefaultOrObservation) {
  catalog = Catalog{};
  catalog.add(model("hinted", 0.5, 1, 1, 1200));
  catalog.add(model("unknown", 0.5, 1, 1, std::nullopt));
  catalog.add(model("observed", 0.5, 1, 1, 100));  // hint ignored once observed
  HealthSnapshot h;
  h.ttft_p90_ms = 400;
  h.total_p90_ms = 1600;
  h.samples = 10;
  Constraints k;
  k.max_latency_ms = 1000;

  Ranking r = rank(k, {{"observed", h}}, /*stream=*/false);
  EXPECT_EQ(find(r, "hinted").exclusion_reason,
            "expected latency 1200 ms (latency_hint_ms (no observations yet)) exceeds max_latency_ms 1000");
  EXPECT_EQ(find(r, "unknown").exclusion_reason,
            "expected latency 2000 ms (default (no observations yet)) exceeds max_latency_ms 1000");
  EXPECT_EQ(find(r, "observed").exclusion_reason,
            "expected latency 1600 ms (observed p90 total time) exceeds max_latency_ms 1000");

  // Streaming requests are judged on the time to first token.
  r = rank(k, {{"observed", h}}, /*stream=*/true);
  EXPECT_TRUE(find(r, "observed").eligible);
  EXPECT_DOUBLE_EQ(find(r, "observed").expected_latency_ms, 400);
  EXPECT_EQ(find(r, "observed").latency_source, "observed p90 time to first token");

  // The configured default applies to models with neither.
  settings.default_latency_ms = 900;
  EXPECT_TRUE(find(rank(k), "unknown").eligible);
}

TEST_F(Policy, ExcludedWhileTheCircuitIsOpenOrRateLimited) {
  HealthSnapshot open;
  open.circuit = CircuitState::open;
  open.unavailable_for_ms = 12500;
  open.unavailable_reason = "circuit open after 5 consecutive failures";
  HealthSnapshot limited;
  limited.unavailable_for_ms = 3000;
  limited.unavailable_reason = "rate limited by the upstream (429 Retry-After)";
  const Ranking r = rank(Constraints{}, {{"big", open}, {"mid", limited}});
  EXPECT_EQ(find(r, "big").exclusion_reason,
            "circuit open after 5 consecutive failures; available again in 12.5 s");
  EXPECT_EQ(find(r, "mid").exclusion_reason,
            "rate limited by the upstream (429 Retry-After); available again in 3.0 s");
  EXPECT_EQ(order(r), (std::vector<std::string>{"small", "free"}));
}

TEST_F(Policy, ExcludedAtMaxConcurrency) {
  catalog = Catalog{};
  ModelEntry m = model("busy", 0.9, 1, 1, 100);
  m.max_concurrency = 2;
  catalog.add(m);
  catalog.add(model("other", 0.5, 1, 1, 100));
  HealthSnapshot h;
  h.in_flight = 1;
  EXPECT_TRUE(find(rank(Constraints{}, {{"busy", h}}), "busy").eligible);
  h.in_flight = 2;
  EXPECT_EQ(find(rank(Constraints{}, {{"busy", h}}), "busy").exclusion_reason, "at max_concurrency 2 (2 in flight)");
  // Without a limit, any number in flight is fine.
  EXPECT_TRUE(find(rank(Constraints{}, {{"other", h}}), "other").eligible);
}

TEST_F(Policy, FirstBrokenConstraintIsTheReason) {
  // Not permitted and excluded and lacking vision: permission is reported.
  a.capabilities = {"text", "vision"};
  Constraints k;
  k.exclude = {"big"};
  Ranking r = rank(k, {}, false, std::set<std::string>{"mid"});
  EXPECT_EQ(find(r, "big").exclusion_reason, "not permitted for this API key");
  r = rank(k);
  EXPECT_EQ(find(r, "big").exclusion_reason, "excluded by the request (routing.exclude)");
  EXPECT_TRUE(r.eligible().empty());
}

TEST_F(Policy, NoCandidatesLeft) {
  Constraints k;
  k.min_quality = 0.99;
  const Ranking r = rank(k);
  EXPECT_TRUE(r.eligible().empty());
  EXPECT_EQ(r.candidates.size(), 4u);
  for (const auto& c : r.candidates) EXPECT_FALSE(c.exclusion_reason.empty());
}

// --- direct requests ---------------------------------------------------------

TEST_F(Policy, DirectRequestConsidersOnlyTheNamedModelAndIgnoresItsHealth) {
  HealthSnapshot open;
  open.circuit = CircuitState::open;
  open.unavailable_for_ms = 1000;
  open.unavailable_reason = "circuit open after 5 consecutive failures";
  const Ranking r = rank(Constraints{}, {{"big", open}}, false, std::nullopt, std::string("big"));
  ASSERT_EQ(r.candidates.size(), 1u);
  EXPECT_TRUE(r.candidates[0].eligible);
  EXPECT_EQ(r.candidates[0].rank, 1);
}

TEST_F(Policy, DirectRequestStillHonoursHardLimits) {
  a.capabilities = {"text", "vision"};
  Ranking r = rank(Constraints{}, {}, false, std::nullopt, std::string("mid"));
  ASSERT_EQ(r.candidates.size(), 1u);
  EXPECT_EQ(r.candidates[0].exclusion_reason, "lacks capability 'vision' (has: text)");

  a.capabilities = {"text"};
  r = rank(Constraints{}, {}, false, std::set<std::string>{"small"}, std::string("mid"));
  EXPECT_EQ(r.candidates[0].exclusion_reason, "not permitted for this API key");

  r = rank(Constraints{}, {}, false, std::nullopt, std::string("no-such-model"));
  EXPECT_TRUE(r.candidates.empty());
}

}  // namespace
}  // namespace prism::router
