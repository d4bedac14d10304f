// The model catalog: every model the router may send a request to, local or
// upstream, with what it can do, what it costs and how good it is.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace prism::router {

// Capabilities a model has and a request may need.
inline const std::set<std::string>& known_capabilities() {
  static const std::set<std::string> caps = {"text", "vision", "video", "audio", "tools", "json_schema"};
  return caps;
}

struct ModelEntry {
  std::string id;                       // name clients use in "model"
  std::string backend;                  // "upstream" or "local"
  std::string base_url;                 // upstream: e.g. https://api.openai.com/v1
  std::string upstream_model;           // upstream's own name for the model
  std::string api_key_env;              // upstream: environment variable holding the key
  std::string local_path;               // local: checkpoint folder
  std::string local_weights;            // local: "q8_0" re-stores the text decoder at load; "" = [local] weights
  std::string local_mmproj;             // local, GGUF path: the vision mmproj file ("" = the one beside it)
  std::set<std::string> capabilities;
  std::int64_t context_window = 0;      // tokens
  double price_input = 0;               // USD per 1M prompt tokens
  double price_output = 0;              // USD per 1M completion tokens
  double quality = 0.5;                 // 0..1 overall
  std::map<std::string, double> quality_by_category;
  std::optional<int> max_concurrency;
  std::optional<double> latency_hint_ms;  // used until real observations exist
  int connect_timeout_ms = 2000;
  int first_token_timeout_ms = 15000;
  int total_timeout_ms = 120000;

  double quality_for(const std::string& category) const {
    auto it = quality_by_category.find(category);
    return it != quality_by_category.end() ? it->second : quality;
  }
  double estimated_cost_usd(std::int64_t prompt_tokens, std::int64_t output_tokens) const {
    return (static_cast<double>(prompt_tokens) * price_input + static_cast<double>(output_tokens) * price_output) /
           1e6;
  }
};

class Catalog {
 public:
  // Throws prism::Error on a duplicate id or an invalid entry.
  void add(ModelEntry entry);
  const ModelEntry* find(const std::string& id) const;
  const std::vector<ModelEntry>& models() const { return models_; }

 private:
  std::vector<ModelEntry> models_;
};

// Checks one entry's fields; throws prism::Error naming the model and field.
void validate_model_entry(const ModelEntry& entry);

}  // namespace prism::router
