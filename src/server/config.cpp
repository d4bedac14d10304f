#include "server/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "models/weight_quantization.h"
#include "router/request_analysis.h"

namespace prism::server {
namespace {

// Reads typed values out of one TOML table, remembering which keys were
// used so that unknown (misspelt) keys are reported instead of ignored.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string where, std::string source)
      : table_(table), where_(std::move(where)), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(source_ + ": " + where_ + (where_.empty() ? "" : ".") + key + " " + what);
  }

  template <class T>
  std::optional<T> get(const std::string& key) {
    used_.insert(key);
    const toml::node* node = table_.get(key);
    if (!node) return std::nullopt;
    if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = node->value<std::string>(); v && node->is_string()) return *v;
      fail(key, "must be a string");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (node->is_boolean()) return *node->value<bool>();
      fail(key, "must be true or false");
    } else if constexpr (std::is_integral_v<T>) {
      if (!node->is_integer()) fail(key, "must be an integer");
      const std::int64_t v = *node->value<std::int64_t>();
      if constexpr (std::is_unsigned_v<T>) {
        if (v < 0) fail(key, "must not be negative");
      } else {
        if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) fail(key, "is out of range");
      }
      return static_cast<T>(v);
    } else {
      if (node->is_integer() || node->is_floating_point()) return *node->value<double>();
      fail(key, "must be a number");
    }
  }

  template <class T>
  void read(const std::string& key, T& target) {
    if (auto v = get<T>(key)) target = *v;
  }

  std::vector<std::string> strings(const std::string& key, bool* present = nullptr) {
    used_.insert(key);
    std::vector<std::string> out;
    const toml::node* node = table_.get(key);
    if (present) *present = node != nullptr;
    if (!node) return out;
    const toml::array* arr = node->as_array();
    if (!arr) fail(key, "must be an array of strings");
    for (const auto& item : *arr) {
      if (!item.is_string()) fail(key, "must be an array of strings");
      out.push_back(*item.value<std::string>());
    }
    return out;
  }

  const toml::table* table(const std::string& key) {
    used_.insert(key);
    const toml::node* node = table_.get(key);
    if (!node) return nullptr;
    if (!node->is_table()) fail(key, "must be a table");
    return node->as_table();
  }

  const toml::array* array_of_tables(const std::string& key) {
    used_.insert(key);
    const toml::node* node = table_.get(key);
    if (!node) return nullptr;
    if (!node->is_array_of_tables()) fail(key, "must be an array of tables ([[" + key + "]])");
    return node->as_array();
  }

  void reject_unknown_keys() const {
    for (const auto& [key, value] : table_) {
      if (!used_.count(std::string(key.str()))) fail(std::string(key.str()), "is not a known setting");
    }
  }

 private:
  const toml::table& table_;
  std::string where_;
  std::string source_;
  std::set<std::string> used_;
};

void check_weight_format(TableReader& r, const std::string& name) {
  try {
    models::parse_weight_format(name);
  } catch (const InvalidInput&) {
    r.fail("weights", "must be \"q8_0\", \"bf16\" or \"none\" (the checkpoint's own dtype)");
  }
}

void read_server(const toml::table& t, const std::string& src, ServerSettings& s) {
  TableReader r(t, "server", src);
  r.read("host", s.host);
  r.read("port", s.port);
  r.read("threads", s.threads);
  r.read("max_body_bytes", s.max_body_bytes);
  r.read("max_header_bytes", s.max_header_bytes);
  r.read("request_timeout_ms", s.request_timeout_ms);
  r.read("write_timeout_ms", s.write_timeout_ms);
  r.read("max_connections", s.max_connections);
  r.read("max_inflight_requests", s.max_inflight_requests);
  r.read("shutdown_grace_ms", s.shutdown_grace_ms);
  r.read("decision_log", s.decision_log);
  r.read("decision_log_fsync", s.decision_log_fsync);
  r.read("decision_ring_size", s.decision_ring_size);
  r.read("tls_cert", s.tls_cert);
  r.read("tls_key", s.tls_key);
  r.read("upstream_tls_verify", s.upstream_tls_verify);
  r.read("playground", s.playground);
  r.reject_unknown_keys();
  if (s.port < 0 || s.port > 65535) r.fail("port", "must be within 0..65535");
  if (s.threads < 1 || s.threads > 256) r.fail("threads", "must be within 1..256");
  if (s.max_inflight_requests < 1) r.fail("max_inflight_requests", "must be at least 1");
  if (s.max_connections < 1) r.fail("max_connections", "must be at least 1");
  if (s.request_timeout_ms < 1 || s.write_timeout_ms < 1) r.fail("request_timeout_ms", "must be positive");
  if (s.tls_cert.empty() != s.tls_key.empty()) r.fail("tls_cert", "and tls_key must be set together");
}

router::Constraints read_profile(const toml::table& t, const std::string& where, const std::string& src) {
  // A profile has the same fields as a request's "routing" object.
  std::ostringstream json_text;
  json_text << toml::json_formatter{t};
  try {
    return router::parse_constraints(nlohmann::json::parse(json_text.str()), where);
  } catch (const InvalidInput& e) {
    throw Error(src + ": " + e.what());
  }
}

void read_router(const toml::table& t, const std::string& src, router::RouterSettings& s) {
  TableReader r(t, "router", src);
  if (auto mode = r.get<std::string>("default_mode")) {
    try {
      s.default_mode = router::parse_mode(*mode, "router.default_mode");
    } catch (const InvalidInput& e) {
      throw Error(src + ": " + e.what());
    }
  }
  r.read("quality_band", s.policy.quality_band);
  r.read("default_latency_ms", s.policy.default_latency_ms);
  r.read("max_attempts", s.max_attempts);
  r.read("circuit_failure_threshold", s.health.failure_threshold);
  if (auto ms = r.get<std::int64_t>("circuit_cooldown_ms")) s.health.cooldown = std::chrono::milliseconds(*ms);
  if (const toml::table* profiles = r.table("profiles")) {
    for (const auto& [name, node] : *profiles) {
      const std::string where = "router.profiles." + std::string(name.str());
      if (!node.is_table()) throw Error(src + ": " + where + " must be a table");
      s.profiles[std::string(name.str())] = read_profile(*node.as_table(), where, src);
    }
  }
  r.reject_unknown_keys();
  if (s.max_attempts < 1 || s.max_attempts > 10) r.fail("max_attempts", "must be within 1..10");
  if (s.policy.quality_band < 0 || s.policy.quality_band > 1) r.fail("quality_band", "must be within 0..1");
  if (s.health.failure_threshold < 1) r.fail("circuit_failure_threshold", "must be at least 1");
}

void read_local(const toml::table& t, const std::string& src, LocalSettings& s) {
  TableReader r(t, "local", src);
  r.read("models_dir", s.models_dir);
  r.read("allowed_media_dir", s.allowed_media_dir);
  r.read("threads", s.threads);
  r.read("max_image_pixels", s.max_image_pixels);
  r.read("quality", s.quality);
  r.read("context_window", s.context_window);
  r.read("weights", s.weights);
  r.read("kv_cache_mib", s.kv_cache_mib);
  r.read("max_batch_sequences", s.max_batch_sequences);
  r.read("max_waiting", s.max_waiting);
  r.read("queue_timeout_ms", s.queue_timeout_ms);
  r.read("prefill_chunk_tokens", s.prefill_chunk_tokens);
  r.read("image_cache_mib", s.image_cache_mib);
  r.reject_unknown_keys();
  if (s.threads < 1) r.fail("threads", "must be at least 1");
  if (s.kv_cache_mib < 0) r.fail("kv_cache_mib", "must be >= 0 (0: the default)");
  if (s.max_batch_sequences < 1 || s.max_batch_sequences > 256) r.fail("max_batch_sequences", "must be within 1..256");
  if (s.max_waiting < 0) r.fail("max_waiting", "must be >= 0");
  if (s.queue_timeout_ms < 0) r.fail("queue_timeout_ms", "must be >= 0");
  if (s.prefill_chunk_tokens < 1) r.fail("prefill_chunk_tokens", "must be at least 1");
  if (s.image_cache_mib < 0) r.fail("image_cache_mib", "must be >= 0 (0 keeps no tiles)");
  check_weight_format(r, s.weights);
}

void read_voice(const toml::table& t, const std::string& src, VoiceSettings& s) {
  TableReader r(t, "voice", src);
  r.read("speculate_after_silence_ms", s.speculate_after_silence_ms);
  r.read("early_transcription_deltas", s.early_transcription_deltas);
  r.reject_unknown_keys();
  if (s.speculate_after_silence_ms < 0 || s.speculate_after_silence_ms > 10000)
    r.fail("speculate_after_silence_ms", "must be within 0..10000 (0 turns speculation off)");
}

ApiKey read_api_key(const toml::table& t, const std::string& where, const std::string& src) {
  TableReader r(t, where, src);
  ApiKey k;
  r.read("name", k.name);
  auto key = r.get<std::string>("key");
  auto key_env = r.get<std::string>("key_env");
  bool has_models = false;
  auto models = r.strings("models", &has_models);
  r.reject_unknown_keys();
  if (k.name.empty()) r.fail("name", "is required");
  if (key && key_env) r.fail("key", "and key_env are exclusive");
  if (key) {
    k.key = *key;
  } else if (key_env) {
    const char* value = std::getenv(key_env->c_str());
    if (!value || !*value) r.fail("key_env", "names environment variable " + *key_env + ", which is not set");
    k.key = value;
  } else {
    r.fail("key", "or key_env is required");
  }
  if (k.key.size() < 8) r.fail("key", "must be at least 8 characters");
  if (has_models && !(models.size() == 1 && models[0] == "*")) k.models = std::set<std::string>(models.begin(), models.end());
  return k;
}

router::ModelEntry read_model(const toml::table& t, const std::string& where, const std::string& src) {
  TableReader r(t, where, src);
  router::ModelEntry m;
  r.read("id", m.id);
  r.read("backend", m.backend);
  r.read("base_url", m.base_url);
  r.read("upstream_model", m.upstream_model);
  r.read("api_key_env", m.api_key_env);
  r.read("path", m.local_path);
  r.read("weights", m.local_weights);
  check_weight_format(r, m.local_weights);
  r.read("mmproj", m.local_mmproj);
  for (const auto& c : r.strings("capabilities")) m.capabilities.insert(c);
  r.read("context_window", m.context_window);
  r.read("price_input", m.price_input);
  r.read("price_output", m.price_output);
  // quality = 0.8, or quality = { overall = 0.8, code = 0.9, ... }
  if (const toml::node* q = t.get("quality"); q && q->is_table()) {
    TableReader qr(*q->as_table(), where + ".quality", src);
    for (const auto& [category, value] : *q->as_table()) {
      const std::string name(category.str());
      if (!value.is_number()) qr.fail(name, "must be a number");
      const auto& known = router::task_categories();
      if (name != "overall" && std::find(known.begin(), known.end(), name) == known.end())
        qr.fail(name, "is not a task category (overall, chat, code, math, reasoning, summarization, extraction, "
                      "translation, creative)");
      if (category == "overall") m.quality = *value.value<double>();
      else m.quality_by_category[std::string(category.str())] = *value.value<double>();
    }
    r.table("quality");
  } else {
    r.read("quality", m.quality);
  }
  if (auto c = r.get<int>("max_concurrency")) m.max_concurrency = *c;
  if (auto l = r.get<double>("latency_hint_ms")) m.latency_hint_ms = *l;
  r.read("connect_timeout_ms", m.connect_timeout_ms);
  r.read("first_token_timeout_ms", m.first_token_timeout_ms);
  r.read("total_timeout_ms", m.total_timeout_ms);
  r.reject_unknown_keys();
  if (m.upstream_model.empty()) m.upstream_model = m.id;
  try {
    router::validate_model_entry(m);
  } catch (const Error& e) {
    throw Error(src + ": " + where + ": " + e.what());
  }
  return m;
}

}  // namespace

Config parse_config(std::string_view text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << source << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    throw Error(msg.str());
  }
  Config cfg;
  cfg.source = source;
  TableReader r(root, "", source);
  if (const toml::table* t = r.table("server")) read_server(*t, source, cfg.server);
  if (const toml::table* t = r.table("router")) read_router(*t, source, cfg.router);
  if (const toml::table* t = r.table("local")) read_local(*t, source, cfg.local);
  if (const toml::table* t = r.table("voice")) read_voice(*t, source, cfg.voice);
  if (const toml::array* keys = r.array_of_tables("api_keys")) {
    int i = 0;
    for (const auto& node : *keys) {
      cfg.api_keys.push_back(read_api_key(*node.as_table(), "api_keys[" + std::to_string(i++) + "]", source));
    }
  }
  if (const toml::array* models = r.array_of_tables("models")) {
    int i = 0;
    for (const auto& node : *models) {
      auto entry = read_model(*node.as_table(), "models[" + std::to_string(i++) + "]", source);
      try {
        cfg.catalog.add(std::move(entry));
      } catch (const Error& e) {
        throw Error(source + ": " + e.what());
      }
    }
  }
  r.reject_unknown_keys();
  return cfg;
}

Config load_config_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read configuration file '" + path.string() + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path.string());
}

}  // namespace prism::server
