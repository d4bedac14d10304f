#include "server/config.h"

namespace prism::server {

// The configuration `prism serve` uses without --config: loopback only, the
// tiny test checkpoints as local models, no upstreams (works offline).
const char* embedded_default_config() {
  return R"toml(
[server]
host = "127.0.0.1"
port = 8080
decision_log = "prism-decisions.jsonl"

[router]
default_mode = "balanced"

[router.profiles.fast]
mode = "latency"

[router.profiles.cheap]
mode = "cost"

[router.profiles.best]
mode = "quality"

[local]
models_dir = "tests/fixtures/smolvlm"
)toml";
}

Config default_config() { return parse_config(embedded_default_config(), "embedded default configuration"); }

}  // namespace prism::server
