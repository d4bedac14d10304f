// Router::decide: routed ("router", "router:<profile>") versus direct
// requests, profile lookup, constraint sources, default mode, and the
// decision record's fields.
#include <gtest/gtest.h>

#include "core/error.h"
#include "router/router.h"

namespace prism::router {
namespace {

using nlohmann::json;

ModelEntry model(const std::string& id, double quality, double price, double latency_hint,
                 std::set<std::string> caps = {"text"}) {
  ModelEntry m;
  m.id = id;
  m.backend = "upstream";
  m.base_url = "http://127.0.0.1:9/v1";
  m.capabilities = std::move(caps);
  m.context_window = 32000;
  m.price_input = price;
  m.price_output = price;
  m.quality = quality;
  m.latency_hint_ms = latency_hint;
  return m;
}

struct RouterFixture : ::testing::Test {
  // premium: best and dearest; budget: cheap, low quality, fast; seer: vision.
  static Catalog catalog() {
    Catalog c;
    c.add(model("premium", 0.95, 20, 2000));
    c.add(model("budget", 0.60, 0.1, 200));
    c.add(model("seer", 0.80, 2, 900, {"text", "vision"}));
    return c;
  }
  static RouterSettings settings(Mode default_mode = Mode::balanced) {
    RouterSettings s;
    s.default_mode = default_mode;
    s.profiles["best"] = parse_constraints(json{{"mode", "quality"}}, "router.profiles.best");
    s.profiles["cheap"] = parse_constraints(json{{"mode", "cost"}, {"exclude", {"seer"}}}, "router.profiles.cheap");
    return s;
  }
  std::shared_ptr<DecisionLog> log = std::make_shared<DecisionLog>(16, "");
  Router router{catalog(), settings(), log};

  static json body(const std::string& model, const std::string& text = "hello") {
    return {{"model", model}, {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
  }
  Decision decide(const json& b, std::map<std::string, std::string> headers = {}, bool stream = false) {
    RouteRequest r;
    r.body = &b;
    r.headers = std::move(headers);
    r.request_id = "req-1";
    r.stream = stream;
    return router.decide(r);
  }
};

TEST_F(RouterFixture, RoutedNames) {
  EXPECT_TRUE(is_routed_model_name("router"));
  EXPECT_TRUE(is_routed_model_name("router:fast"));
  EXPECT_FALSE(is_routed_model_name("routerx"));
  EXPECT_FALSE(is_routed_model_name("premium"));
  EXPECT_FALSE(is_routed_model_name("my-router"));
}

TEST_F(RouterFixture, RoutedRequestRanksTheWholeCatalog) {
  const json b = body("router");
  const Decision d = decide(b);
  EXPECT_EQ(d.route, "router");
  EXPECT_EQ(d.ranking.candidates.size(), 3u);
  EXPECT_EQ(d.constraints.mode, Mode::balanced);
  EXPECT_EQ(d.id.rfind("dec_", 0), 0u);
  EXPECT_EQ(d.id, d.record["id"]);
  // Each decision has its own id.
  EXPECT_NE(decide(b).id, d.id);
}

TEST_F(RouterFixture, RecordHoldsEveryField) {
  json b = body("router", "look at this");
  b["routing"] = {{"mode", "quality"}};
  RouteRequest r;
  r.body = &b;
  r.request_id = "req-42";
  r.api_key_name = "team-a";
  r.stream = true;
  const Decision d = router.decide(r);
  const json& rec = d.record;
  for (const char* key : {"id", "object", "time", "request_id", "route", "requested_model", "stream", "api_key",
                          "constraints", "analysis", "policy", "chosen", "attempts"})
    EXPECT_TRUE(rec.contains(key)) << key;
  EXPECT_EQ(rec["object"], "router.decision");
  EXPECT_EQ(rec["request_id"], "req-42");
  EXPECT_EQ(rec["route"], "router");
  EXPECT_EQ(rec["requested_model"], "router");
  EXPECT_EQ(rec["stream"], true);
  EXPECT_EQ(rec["api_key"], "team-a");
  EXPECT_EQ(rec["constraints"]["mode"], "quality");
  EXPECT_EQ(rec["analysis"]["category"], "chat");
  EXPECT_EQ(rec["policy"]["mode"], "quality");
  EXPECT_EQ(rec["policy"]["candidates"].size(), 3u);
  EXPECT_EQ(rec["chosen"], d.ranking.eligible().front()->model->id);
  EXPECT_EQ(rec["attempts"], json::array());
  const std::string time = rec["time"];
  EXPECT_EQ(time.size(), 24u) << time;  // 2026-11-26T12:00:00.123Z
  EXPECT_EQ(time.back(), 'Z');

  // Without keys the record says so with null.
  EXPECT_TRUE(decide(body("router")).record["api_key"].is_null());
}

TEST_F(RouterFixture, DirectRequestConsidersOnlyThatModel) {
  json b = body("budget");
  b["routing"] = {{"exclude", {"budget"}}};  // routing fields do not apply to a named model
  const Decision d = decide(b, {{"x-prism-min-quality", "0.99"}});
  EXPECT_EQ(d.route, "direct");
  ASSERT_EQ(d.ranking.candidates.size(), 1u);
  EXPECT_TRUE(d.ranking.candidates[0].eligible);
  EXPECT_EQ(d.record["chosen"], "budget");
  EXPECT_EQ(d.record["requested_model"], "budget");
  EXPECT_EQ(d.record["route"], "direct");
}

TEST_F(RouterFixture, DirectRequestToAModelThatCannotServeItHasNoChoice) {
  json b = {{"model", "budget"},
            {"messages", json::array({{{"role", "user"},
                                       {"content", json::array({{{"type", "image_url"},
                                                                 {"image_url", {{"url", "http://x/a.png"}}}}})}}})}};
  const Decision d = decide(b);
  ASSERT_EQ(d.ranking.candidates.size(), 1u);
  EXPECT_FALSE(d.ranking.candidates[0].eligible);
  EXPECT_NE(d.ranking.candidates[0].exclusion_reason.find("vision"), std::string::npos);
  EXPECT_TRUE(d.record["chosen"].is_null());
}

TEST_F(RouterFixture, VisionRequestIsRoutedToTheVisionModel) {
  json b = {{"model", "router"},
            {"messages", json::array({{{"role", "user"},
                                       {"content", json::array({{{"type", "text"}, {"text", "what is this?"}},
                                                                {{"type", "image_url"},
                                                                 {"image_url", {{"url", "http://x/a.png"}}}}})}}})}};
  const Decision d = decide(b);
  EXPECT_EQ(d.record["chosen"], "seer");
  EXPECT_EQ(d.ranking.eligible().size(), 1u);
}

TEST_F(RouterFixture, ProfileSetsTheConstraints) {
  Decision d = decide(body("router:best"));
  EXPECT_EQ(d.route, "router:best");
  EXPECT_EQ(d.constraints.mode, Mode::quality);
  EXPECT_EQ(d.record["chosen"], "premium");

  d = decide(body("router:cheap"));
  EXPECT_EQ(d.constraints.mode, Mode::cost);
  EXPECT_EQ(d.constraints.exclude, (std::set<std::string>{"seer"}));
  EXPECT_EQ(d.record["chosen"], "budget");
}

TEST_F(RouterFixture, UnknownProfileIsInvalidInputNamingIt) {
  try {
    decide(body("router:nonexistent"));
    FAIL() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("nonexistent"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decide(body("router:")), InvalidInput);
}

TEST_F(RouterFixture, BodyOverridesProfileAndHeadersOverrideBody) {
  json b = body("router:best");
  b["routing"] = {{"mode", "cost"}, {"min_quality", 0.7}};
  Decision d = decide(b);
  EXPECT_EQ(d.constraints.mode, Mode::cost);
  EXPECT_EQ(d.constraints.min_quality, 0.7);

  d = decide(b, {{"x-prism-routing-mode", "latency"}, {"x-prism-min-quality", "0.9"}});
  EXPECT_EQ(d.constraints.mode, Mode::latency);
  EXPECT_EQ(d.constraints.min_quality, 0.9);
  EXPECT_EQ(d.record["chosen"], "premium");  // the only model at 0.9+
}

TEST_F(RouterFixture, BadRoutingFieldsAreInvalidInput) {
  json b = body("router");
  b["routing"] = {{"max_cost_usd", "cheap"}};
  EXPECT_THROW(decide(b), InvalidInput);
  EXPECT_THROW(decide(body("router"), {{"x-prism-max-latency-ms", "soon"}}), InvalidInput);
}

TEST_F(RouterFixture, DefaultModeComesFromSettings) {
  Router cost_router(catalog(), settings(Mode::cost), log);
  const json b = body("router");
  RouteRequest r;
  r.body = &b;
  Decision d = cost_router.decide(r);
  EXPECT_EQ(d.constraints.mode, Mode::cost);
  EXPECT_EQ(d.ranking.mode, Mode::cost);
  EXPECT_EQ(d.record["chosen"], "budget");

  // A profile's or request's mode still wins over the default.
  const json best = body("router:best");
  r.body = &best;
  EXPECT_EQ(cost_router.decide(r).constraints.mode, Mode::quality);
}

TEST_F(RouterFixture, NoEligibleModelLeavesChosenNull) {
  json b = body("router");
  b["routing"] = {{"min_quality", 0.99}};
  const Decision d = decide(b);
  EXPECT_TRUE(d.ranking.eligible().empty());
  EXPECT_TRUE(d.record["chosen"].is_null());
  for (const auto& c : d.record["policy"]["candidates"]) EXPECT_TRUE(c.contains("excluded"));
}

TEST_F(RouterFixture, HealthFeedsTheDecision) {
  // budget's circuit opens: a cost-mode request moves elsewhere.
  const int threshold = router.settings().health.failure_threshold;
  for (int i = 0; i < threshold; ++i) {
    ASSERT_TRUE(router.health().try_begin("budget"));
    router.health().record_failure("budget");
  }
  json b = body("router:cheap");
  const Decision d = decide(b);
  EXPECT_NE(d.record["chosen"], "budget");
  bool found = false;
  for (const auto& c : d.record["policy"]["candidates"]) {
    if (c["model"] == "budget") {
      found = true;
      EXPECT_NE(c["excluded"].get<std::string>().find("circuit open"), std::string::npos) << c.dump();
    }
  }
  EXPECT_TRUE(found);
  // Named directly, it is still chosen (the caller asked for it).
  EXPECT_EQ(decide(body("budget")).record["chosen"], "budget");
}

TEST_F(RouterFixture, DecideDoesNotWriteTheLog) {
  const Decision d = decide(body("router"));
  EXPECT_FALSE(log->find(d.id));
  log->open(d.record);
  EXPECT_TRUE(log->find(d.id));
}

}  // namespace
}  // namespace prism::router
