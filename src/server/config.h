// prism's configuration: server limits, router settings, API keys, local
// engine settings and the model catalog. Read from a TOML file (every key is
// documented in docs/CONFIG.md) or from the embedded default.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "router/catalog.h"
#include "router/router.h"

namespace prism::server {

struct ServerSettings {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 2;
  std::size_t max_body_bytes = 16u << 20;
  std::size_t max_header_bytes = 16u << 10;
  int request_timeout_ms = 30000;   // receiving one whole request (headers + body); also keep-alive idle
  int write_timeout_ms = 30000;     // a client that stops reading is dropped after this
  int max_connections = 1024;
  int max_inflight_requests = 64;   // chat requests in progress; beyond: 429
  int shutdown_grace_ms = 30000;    // in-flight requests may finish within this after SIGTERM
  std::string decision_log = "prism-decisions.jsonl";  // empty: memory only
  bool decision_log_fsync = false;
  std::size_t decision_ring_size = 1000;
  std::string tls_cert;             // PEM files; both set = HTTPS/WSS
  std::string tls_key;
  bool upstream_tls_verify = true;
  bool playground = true;           // the web page at "/" (web/static, built in)
};

struct ApiKey {
  std::string name;
  std::string key;
  std::optional<std::set<std::string>> models;  // nullopt = every model
};

struct LocalSettings {
  std::string models_dir;           // every checkpoint folder in it becomes a local model
  std::string allowed_media_dir;    // local image/video paths allowed under it (empty: none)
  int threads = 2;
  std::int64_t max_image_pixels = 64LL * 1024 * 1024;
  double quality = 0.2;             // catalog defaults for discovered checkpoints
  std::int64_t context_window = 8192;
  std::string weights;              // "q8_0": text decoders re-stored at load; "" keeps each checkpoint's dtype
  // Serving many requests per model (runtime/batch_engine.h).
  std::int64_t kv_cache_mib = 0;     // KV block pool per model; 0: a quarter of memory, at most 4 GiB
  int max_batch_sequences = 16;      // sequences stepped together
  int max_waiting = 64;              // queued behind them; more get 429
  int queue_timeout_ms = 30000;      // longest wait for a place; then 429
  int prefill_chunk_tokens = 128;    // prompt positions per step (so decoding never stalls long)
  std::int64_t image_cache_mib = 256;  // encoded image tiles kept per model
};

// The realtime voice sessions (/v1/realtime).
struct VoiceSettings {
  // A reply starts on the transcript once this much silence follows speech
  // (never later than half the earliest end of turn); each start is a model
  // request, cancelled if the user goes on. 0 = no speculation.
  int speculate_after_silence_ms = 200;
  // Transcription deltas while the user is still speaking.
  bool early_transcription_deltas = true;
};

struct Config {
  ServerSettings server;
  router::RouterSettings router;
  std::vector<ApiKey> api_keys;
  LocalSettings local;
  VoiceSettings voice;
  router::Catalog catalog;
  std::string source;  // file path or "embedded default"
};

// Throws prism::Error naming the file, the key and what is wrong.
Config load_config_file(const std::filesystem::path& path);
Config parse_config(std::string_view toml_text, const std::string& source_name);
Config default_config();
const char* embedded_default_config();

}  // namespace prism::server
