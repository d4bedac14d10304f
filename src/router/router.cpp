#include "router/router.h"

#include <random>

#include "core/clock.h"
#include "core/error.h"

namespace prism::router {

bool is_routed_model_name(const std::string& model) {
  return model == "router" || model.rfind("router:", 0) == 0;
}

std::string new_id(const std::string& prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += hex[rng() & 15];
  return id;
}

Router::Router(Catalog catalog, RouterSettings settings, std::shared_ptr<DecisionLog> log)
    : catalog_(std::move(catalog)), settings_(std::move(settings)), health_(settings_.health), log_(std::move(log)) {}

Decision Router::decide(const RouteRequest& request) const {
  const nlohmann::json& body = *request.body;
  const std::string model = body.at("model").get<std::string>();
  Decision d;
  d.id = new_id("dec_");
  d.analysis = analyze_request(body);

  RankingInput input;
  input.catalog = &catalog_;
  input.analysis = &d.analysis;
  input.stream = request.stream;
  input.permitted = request.permitted;

  if (is_routed_model_name(model)) {
    d.route = model;
    if (model != "router") {
      const std::string profile = model.substr(7);
      auto it = settings_.profiles.find(profile);
      if (it == settings_.profiles.end())
        throw InvalidInput("unknown routing profile '" + profile + "' in model \"" + model + "\"");
      d.constraints = it->second;
    }
    d.constraints.merge_from(parse_constraints(body.value("routing", nlohmann::json()), "routing"));
    d.constraints.merge_from(parse_constraint_headers(request.headers));
  } else {
    d.route = "direct";
    input.only_model = model;
  }
  if (!d.constraints.mode) d.constraints.mode = settings_.default_mode;
  input.constraints = d.constraints;
  for (const auto& m : catalog_.models()) input.health[m.id] = health_.snapshot(m.id);
  d.ranking = rank_candidates(input, settings_.policy);

  const auto eligible = d.ranking.eligible();
  d.record = {
      {"id", d.id},
      {"object", "router.decision"},
      {"time", utc_now_iso8601()},
      {"request_id", request.request_id},
      {"route", d.route},
      {"requested_model", model},
      {"stream", request.stream},
      {"api_key", request.api_key_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(request.api_key_name)},
      {"constraints", d.constraints.to_json()},
      {"analysis", d.analysis.to_json()},
      {"policy", d.ranking.to_json()},
      {"chosen", eligible.empty() ? nlohmann::json(nullptr) : nlohmann::json(eligible.front()->model->id)},
      {"attempts", nlohmann::json::array()},
  };
  return d;
}

}  // namespace prism::router
