#include "router/catalog.h"

#include <algorithm>

#include "core/error.h"
#include "router/request_analysis.h"

namespace prism::router {

void validate_model_entry(const ModelEntry& m) {
  const std::string where = "model '" + m.id + "': ";
  if (m.id.empty()) throw Error("model entry without an id");
  if (m.id == "router" || m.id.rfind("router:", 0) == 0)
    throw Error(where + "the id 'router' and 'router:*' are reserved for routed requests");
  if (m.backend != "upstream" && m.backend != "local")
    throw Error(where + "backend must be \"upstream\" or \"local\", got \"" + m.backend + "\"");
  if (m.backend == "upstream" && m.base_url.empty()) throw Error(where + "upstream backend needs base_url");
  if (m.backend == "upstream" && !m.local_weights.empty())
    throw Error(where + "weights is for local models (an upstream model runs in the provider's own format)");
  if (m.backend == "upstream" && m.base_url.rfind("http://", 0) != 0 && m.base_url.rfind("https://", 0) != 0)
    throw Error(where + "base_url must start with http:// or https://, got \"" + m.base_url + "\"");
  if (m.capabilities.empty()) throw Error(where + "capabilities must list at least one of text, vision, video, audio, tools, json_schema");
  for (const auto& c : m.capabilities) {
    if (!known_capabilities().count(c))
      throw Error(where + "unknown capability \"" + c + "\" (known: text, vision, video, audio, tools, json_schema)");
  }
  if (m.context_window <= 0) throw Error(where + "context_window must be a positive number of tokens");
  if (m.price_input < 0 || m.price_output < 0) throw Error(where + "prices must not be negative");
  auto check_quality = [&](double q, const std::string& field) {
    if (!(q >= 0.0 && q <= 1.0)) throw Error(where + field + " must be within 0..1, got " + std::to_string(q));
  };
  check_quality(m.quality, "quality");
  for (const auto& [category, q] : m.quality_by_category) {
    const auto& known = task_categories();
    if (std::find(known.begin(), known.end(), category) == known.end())
      throw Error(where + "quality." + category + " is not a task category (overall, chat, code, math, reasoning, "
                          "summarization, extraction, translation, creative)");
    check_quality(q, "quality." + category);
  }
  if (m.max_concurrency && *m.max_concurrency <= 0) throw Error(where + "max_concurrency must be positive");
  if (m.connect_timeout_ms <= 0 || m.first_token_timeout_ms <= 0 || m.total_timeout_ms <= 0)
    throw Error(where + "timeouts must be positive milliseconds");
}

void Catalog::add(ModelEntry entry) {
  validate_model_entry(entry);
  if (find(entry.id)) throw Error("model '" + entry.id + "' is defined twice in the catalog");
  models_.push_back(std::move(entry));
}

const ModelEntry* Catalog::find(const std::string& id) const {
  for (const auto& m : models_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

}  // namespace prism::router
