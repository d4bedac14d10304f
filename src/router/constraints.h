// What the caller asks of the router: a mode and hard limits. They come from
// a profile ("router:<profile>"), the request body's "routing" object and the
// x-prism-* headers, later sources overriding earlier ones field by field.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace prism::router {

enum class Mode { balanced, quality, cost, latency };

std::string to_string(Mode mode);
// Throws prism::InvalidInput naming `field` on an unknown mode.
Mode parse_mode(const std::string& text, const std::string& field);

struct Constraints {
  std::optional<Mode> mode;
  std::optional<double> max_latency_ms;
  std::optional<double> max_cost_usd;
  std::optional<double> min_quality;
  std::set<std::string> require;          // capabilities the caller insists on
  std::optional<std::set<std::string>> models;  // allow-list
  std::set<std::string> exclude;

  // Fields set in `over` replace ours; sets are unioned for require/exclude.
  void merge_from(const Constraints& over);
  nlohmann::json to_json() const;
};

// Parses a "routing" object (request body or profile); throws
// prism::InvalidInput naming the field ("routing.max_cost_usd") on a wrong type
// or value.
Constraints parse_constraints(const nlohmann::json& routing, const std::string& where = "routing");

// Parses the x-prism-* headers (names lower-case). Throws prism::InvalidInput.
Constraints parse_constraint_headers(const std::map<std::string, std::string>& headers);

}  // namespace prism::router
