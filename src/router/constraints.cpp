#include "router/constraints.h"

#include <cmath>
#include <cstdlib>

#include "core/error.h"
#include "router/catalog.h"

namespace prism::router {

std::string to_string(Mode mode) {
  switch (mode) {
    case Mode::balanced: return "balanced";
    case Mode::quality: return "quality";
    case Mode::cost: return "cost";
    case Mode::latency: return "latency";
  }
  return "balanced";
}

Mode parse_mode(const std::string& text, const std::string& field) {
  if (text == "balanced") return Mode::balanced;
  if (text == "quality") return Mode::quality;
  if (text == "cost") return Mode::cost;
  if (text == "latency") return Mode::latency;
  throw InvalidInput(field + " must be one of \"balanced\", \"quality\", \"cost\", \"latency\"; got \"" + text + "\"");
}

void Constraints::merge_from(const Constraints& over) {
  if (over.mode) mode = over.mode;
  if (over.max_latency_ms) max_latency_ms = over.max_latency_ms;
  if (over.max_cost_usd) max_cost_usd = over.max_cost_usd;
  if (over.min_quality) min_quality = over.min_quality;
  require.insert(over.require.begin(), over.require.end());
  if (over.models) models = over.models;
  exclude.insert(over.exclude.begin(), over.exclude.end());
}

nlohmann::json Constraints::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  j["mode"] = to_string(mode.value_or(Mode::balanced));
  j["max_latency_ms"] = max_latency_ms ? nlohmann::json(*max_latency_ms) : nlohmann::json(nullptr);
  j["max_cost_usd"] = max_cost_usd ? nlohmann::json(*max_cost_usd) : nlohmann::json(nullptr);
  j["min_quality"] = min_quality ? nlohmann::json(*min_quality) : nlohmann::json(nullptr);
  j["require"] = require;
  j["models"] = models ? nlohmann::json(*models) : nlohmann::json(nullptr);
  j["exclude"] = exclude;
  return j;
}

namespace {

double positive_number(const nlohmann::json& v, const std::string& field, bool allow_zero) {
  if (!v.is_number()) throw InvalidInput(field + " must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < 0 || (!allow_zero && d == 0))
    throw InvalidInput(field + " must be a " + (allow_zero ? "non-negative" : "positive") + " number");
  return d;
}

std::set<std::string> string_set(const nlohmann::json& v, const std::string& field) {
  if (!v.is_array()) throw InvalidInput(field + " must be an array of strings");
  std::set<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string()) throw InvalidInput(field + " must be an array of strings");
    out.insert(item.get<std::string>());
  }
  return out;
}

// Plain decimal numbers only (no hex, no leading space), as in the body.
double parse_header_number(const std::string& text, const std::string& header, bool allow_zero) {
  const bool plain = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos;
  char* end = nullptr;
  const double d = plain ? std::strtod(text.c_str(), &end) : -1;
  if (!plain || end != text.c_str() + text.size() || !std::isfinite(d) || (!allow_zero && d == 0))
    throw InvalidInput("header " + header + " must be a " + (allow_zero ? "non-negative" : "positive") +
                       " number, got \"" + text + "\"");
  return d;
}

}  // namespace

Constraints parse_constraints(const nlohmann::json& routing, const std::string& where) {
  Constraints c;
  if (routing.is_null()) return c;
  if (!routing.is_object()) throw InvalidInput(where + " must be an object");
  for (auto it = routing.begin(); it != routing.end(); ++it) {
    const std::string& key = it.key();
    const auto& v = it.value();
    const std::string field = where + "." + key;
    if (key == "mode") {
      if (!v.is_string()) throw InvalidInput(field + " must be a string");
      c.mode = parse_mode(v.get<std::string>(), field);
    } else if (key == "max_latency_ms") {
      c.max_latency_ms = positive_number(v, field, false);
    } else if (key == "max_cost_usd") {
      c.max_cost_usd = positive_number(v, field, true);
    } else if (key == "min_quality") {
      const double q = positive_number(v, field, true);
      if (q > 1.0) throw InvalidInput(field + " must be within 0..1");
      c.min_quality = q;
    } else if (key == "require") {
      c.require = string_set(v, field);
      for (const auto& cap : c.require) {
        if (!known_capabilities().count(cap))
          throw InvalidInput(field + " names unknown capability \"" + cap +
                             "\" (known: text, vision, video, audio, tools, json_schema)");
      }
    } else if (key == "models") {
      c.models = string_set(v, field);
    } else if (key == "exclude") {
      c.exclude = string_set(v, field);
    } else {
      throw InvalidInput(field + " is not a known routing field (mode, max_latency_ms, max_cost_usd, min_quality, "
                                 "require, models, exclude)");
    }
  }
  return c;
}

Constraints parse_constraint_headers(const std::map<std::string, std::string>& headers) {
  Constraints c;
  if (auto it = headers.find("x-prism-routing-mode"); it != headers.end())
    c.mode = parse_mode(it->second, "header x-prism-routing-mode");
  if (auto it = headers.find("x-prism-max-latency-ms"); it != headers.end())
    c.max_latency_ms = parse_header_number(it->second, "x-prism-max-latency-ms", false);
  if (auto it = headers.find("x-prism-max-cost-usd"); it != headers.end())
    c.max_cost_usd = parse_header_number(it->second, "x-prism-max-cost-usd", true);
  if (auto it = headers.find("x-prism-min-quality"); it != headers.end()) {
    const double q = parse_header_number(it->second, "x-prism-min-quality", true);
    if (q > 1.0) throw InvalidInput("header x-prism-min-quality must be within 0..1");
    c.min_quality = q;
  }
  return c;
}

}  // namespace prism::router
