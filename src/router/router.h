// The router: turns a chat request plus the caller's constraints into a
// ranked list of candidates and a decision record that explains it.
// Executing the request (and falling back) is the server's job; it reports
// back through HealthTracker and DecisionLog.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "router/catalog.h"
#include "router/constraints.h"
#include "router/decision_log.h"
#include "router/health.h"
#include "router/policy.h"
#include "router/request_analysis.h"

namespace prism::router {

struct RouterSettings {
  PolicySettings policy;
  HealthSettings health;
  Mode default_mode = Mode::balanced;
  int max_attempts = 3;   // candidates tried per request, first choice included
  std::map<std::string, Constraints> profiles;
};

struct RouteRequest {
  const nlohmann::json* body = nullptr;          // validated chat completion request
  std::map<std::string, std::string> headers;    // lower-case names
  std::string request_id;
  std::string api_key_name;                      // empty when keys are off
  std::optional<std::set<std::string>> permitted;
  bool stream = false;
};

struct Decision {
  std::string id;
  std::string route;            // "router", "router:<profile>" or "direct"
  RequestAnalysis analysis;
  Constraints constraints;
  Ranking ranking;
  nlohmann::json record;        // the decision record (without attempts/outcome)
};

// True for "router" and "router:<profile>".
bool is_routed_model_name(const std::string& model);

class Router {
 public:
  Router(Catalog catalog, RouterSettings settings, std::shared_ptr<DecisionLog> log);

  // Throws prism::InvalidInput for bad routing fields or an unknown profile.
  // The caller checks that a direct model exists before calling.
  Decision decide(const RouteRequest& request) const;

  const Catalog& catalog() const { return catalog_; }
  const RouterSettings& settings() const { return settings_; }
  HealthTracker& health() { return health_; }
  const HealthTracker& health() const { return health_; }
  DecisionLog& decisions() { return *log_; }

 private:
  Catalog catalog_;
  RouterSettings settings_;
  HealthTracker health_;
  std::shared_ptr<DecisionLog> log_;
};

std::string new_id(const std::string& prefix);

}  // namespace prism::router
