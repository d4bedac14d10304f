// Routing constraints: the body's "routing" object, the x-prism-* headers,
// and the merge order profile < body < headers.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "router/constraints.h"

namespace prism::router {
namespace {

using nlohmann::json;

// The InvalidInput message for `routing`, or "" when it parses.
std::string error_of(const json& routing) {
  try {
    parse_constraints(routing);
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

std::string header_error_of(const std::map<std::string, std::string>& headers) {
  try {
    parse_constraint_headers(headers);
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

TEST(Constraints, EveryBodyFieldParses) {
  const auto c = parse_constraints(json{{"mode", "cost"},
                                        {"max_latency_ms", 1500},
                                        {"max_cost_usd", 0.02},
                                        {"min_quality", 0.7},
                                        {"require", {"vision", "tools"}},
                                        {"models", {"a", "b"}},
                                        {"exclude", {"c"}}});
  EXPECT_EQ(c.mode, Mode::cost);
  EXPECT_EQ(c.max_latency_ms, 1500.0);
  EXPECT_EQ(c.max_cost_usd, 0.02);
  EXPECT_EQ(c.min_quality, 0.7);
  EXPECT_EQ(c.require, (std::set<std::string>{"vision", "tools"}));
  ASSERT_TRUE(c.models.has_value());
  EXPECT_EQ(*c.models, (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(c.exclude, (std::set<std::string>{"c"}));
}

TEST(Constraints, AbsentOrNullRoutingIsEmpty) {
  for (const json& routing : {json(nullptr), json::object()}) {
    const auto c = parse_constraints(routing);
    EXPECT_FALSE(c.mode);
    EXPECT_FALSE(c.max_latency_ms);
    EXPECT_FALSE(c.max_cost_usd);
    EXPECT_FALSE(c.min_quality);
    EXPECT_TRUE(c.require.empty());
    EXPECT_FALSE(c.models);
    EXPECT_TRUE(c.exclude.empty());
  }
}

TEST(Constraints, AllModesParse) {
  EXPECT_EQ(parse_constraints(json{{"mode", "balanced"}}).mode, Mode::balanced);
  EXPECT_EQ(parse_constraints(json{{"mode", "quality"}}).mode, Mode::quality);
  EXPECT_EQ(parse_constraints(json{{"mode", "cost"}}).mode, Mode::cost);
  EXPECT_EQ(parse_constraints(json{{"mode", "latency"}}).mode, Mode::latency);
  for (Mode m : {Mode::balanced, Mode::quality, Mode::cost, Mode::latency}) EXPECT_EQ(parse_mode(to_string(m), "f"), m);
}

TEST(Constraints, WrongTypesNameTheField) {
  const std::pair<json, const char*> cases[] = {
      {json{{"mode", 3}}, "routing.mode"},
      {json{{"mode", "fastest"}}, "routing.mode"},
      {json{{"max_latency_ms", "100"}}, "routing.max_latency_ms"},
      {json{{"max_latency_ms", 0}}, "routing.max_latency_ms"},
      {json{{"max_latency_ms", -5}}, "routing.max_latency_ms"},
      {json{{"max_cost_usd", true}}, "routing.max_cost_usd"},
      {json{{"max_cost_usd", -0.01}}, "routing.max_cost_usd"},
      {json{{"min_quality", "high"}}, "routing.min_quality"},
      {json{{"min_quality", 1.5}}, "routing.min_quality"},
      {json{{"min_quality", -0.1}}, "routing.min_quality"},
      {json{{"require", "vision"}}, "routing.require"},
      {json{{"require", {1}}}, "routing.require"},
      {json{{"require", {"teleport"}}}, "routing.require"},
      {json{{"models", "gpt"}}, "routing.models"},
      {json{{"models", {"a", nullptr}}}, "routing.models"},
      {json{{"exclude", {{"a", 1}}}}, "routing.exclude"},
      {json{{"exclude", 7}}, "routing.exclude"},
      {json{{"temperature", 1}}, "routing.temperature"},
      {json::array({1}), "routing"},
      {json("cost"), "routing"},
  };
  for (const auto& [routing, field] : cases) {
    const std::string message = error_of(routing);
    EXPECT_NE(message.find(field), std::string::npos) << routing.dump() << " -> \"" << message << "\"";
  }
}

TEST(Constraints, MessagesSayWhatIsWrong) {
  EXPECT_NE(error_of(json{{"mode", "fastest"}}).find("\"fastest\""), std::string::npos);
  EXPECT_NE(error_of(json{{"require", {"teleport"}}}).find("teleport"), std::string::npos);
  EXPECT_NE(error_of(json{{"colour", "red"}}).find("not a known routing field"), std::string::npos);
  // A profile is parsed with its own location in messages.
  try {
    parse_constraints(json{{"mode", 1}}, "router.profiles.fast");
    FAIL() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("router.profiles.fast.mode"), std::string::npos) << e.what();
  }
}

TEST(Constraints, ZeroCostAndZeroQualityAreAllowed) {
  const auto c = parse_constraints(json{{"max_cost_usd", 0}});
  EXPECT_EQ(c.max_cost_usd, 0.0);
  EXPECT_EQ(parse_constraints(json{{"min_quality", 1}}).min_quality, 1.0);
  EXPECT_EQ(parse_constraints(json{{"min_quality", 0}}).min_quality, 0.0);
}

TEST(Constraints, HeadersParse) {
  const auto c = parse_constraint_headers({{"x-prism-routing-mode", "latency"},
                                           {"x-prism-max-latency-ms", "250"},
                                           {"x-prism-max-cost-usd", "0.005"},
                                           {"x-prism-min-quality", "0.6"},
                                           {"x-unrelated", "whatever"}});
  EXPECT_EQ(c.mode, Mode::latency);
  EXPECT_EQ(c.max_latency_ms, 250.0);
  EXPECT_EQ(c.max_cost_usd, 0.005);
  EXPECT_EQ(c.min_quality, 0.6);
  EXPECT_TRUE(c.require.empty());
  EXPECT_FALSE(c.models);

  const auto none = parse_constraint_headers({});
  EXPECT_FALSE(none.mode);
  EXPECT_FALSE(none.max_latency_ms);
}

TEST(Constraints, BadHeadersNameTheHeader) {
  const std::pair<std::map<std::string, std::string>, const char*> cases[] = {
      {{{"x-prism-routing-mode", "fast"}}, "x-prism-routing-mode"},
      {{{"x-prism-max-latency-ms", "abc"}}, "x-prism-max-latency-ms"},
      {{{"x-prism-max-latency-ms", "100ms"}}, "x-prism-max-latency-ms"},
      {{{"x-prism-max-latency-ms", ""}}, "x-prism-max-latency-ms"},
      {{{"x-prism-max-cost-usd", "-1"}}, "x-prism-max-cost-usd"},
      {{{"x-prism-max-cost-usd", "inf"}}, "x-prism-max-cost-usd"},
      {{{"x-prism-min-quality", "1.2"}}, "x-prism-min-quality"},
      {{{"x-prism-min-quality", "nan"}}, "x-prism-min-quality"},
  };
  for (const auto& [headers, name] : cases) {
    const std::string message = header_error_of(headers);
    EXPECT_NE(message.find(name), std::string::npos) << headers.begin()->second << " -> \"" << message << "\"";
  }
}

TEST(Constraints, ZeroLatencyLimitIsRejectedInHeadersAsInTheBody) {
  EXPECT_NE(error_of(nlohmann::json{{"max_latency_ms", 0}}), "");
  EXPECT_NE(header_error_of({{"x-prism-max-latency-ms", "0"}}).find("x-prism-max-latency-ms"), std::string::npos);
}

TEST(Constraints, MergeOrderProfileThenBodyThenHeaders) {
  Constraints profile = parse_constraints(
      json{{"mode", "quality"}, {"max_cost_usd", 1.0}, {"min_quality", 0.9}, {"require", {"vision"}},
           {"models", {"a", "b", "c"}}, {"exclude", {"x"}}});
  const Constraints body = parse_constraints(
      json{{"mode", "cost"}, {"min_quality", 0.5}, {"require", {"tools"}}, {"models", {"b"}}, {"exclude", {"y"}}});
  const Constraints headers =
      parse_constraint_headers({{"x-prism-routing-mode", "latency"}, {"x-prism-max-latency-ms", "900"}});

  Constraints c = profile;
  c.merge_from(body);
  EXPECT_EQ(c.mode, Mode::cost);           // body over profile
  EXPECT_EQ(c.max_cost_usd, 1.0);          // kept from the profile
  EXPECT_EQ(c.min_quality, 0.5);           // body over profile
  EXPECT_EQ(*c.models, (std::set<std::string>{"b"}));  // allow-list replaced
  EXPECT_EQ(c.require, (std::set<std::string>{"vision", "tools"}));  // sets unioned
  EXPECT_EQ(c.exclude, (std::set<std::string>{"x", "y"}));

  c.merge_from(headers);
  EXPECT_EQ(c.mode, Mode::latency);        // headers over body
  EXPECT_EQ(c.max_latency_ms, 900.0);
  EXPECT_EQ(c.min_quality, 0.5);
  EXPECT_EQ(c.max_cost_usd, 1.0);

  // Merging an empty set of constraints changes nothing.
  Constraints unchanged = c;
  unchanged.merge_from(Constraints{});
  EXPECT_EQ(unchanged.to_json(), c.to_json());
}

TEST(Constraints, ToJsonShowsUnsetAsNullAndModeDefault) {
  const json j = Constraints{}.to_json();
  EXPECT_EQ(j["mode"], "balanced");
  EXPECT_TRUE(j["max_latency_ms"].is_null());
  EXPECT_TRUE(j["max_cost_usd"].is_null());
  EXPECT_TRUE(j["min_quality"].is_null());
  EXPECT_TRUE(j["models"].is_null());
  EXPECT_EQ(j["require"], json::array());
  const json k = parse_constraints(json{{"max_cost_usd", 0.5}, {"models", {"m"}}}).to_json();
  EXPECT_EQ(k["max_cost_usd"], 0.5);
  EXPECT_EQ(k["models"], json::array({"m"}));
}

}  // namespace
}  // namespace prism::router
