// TOML configuration: a full example with every key, and each kind of
// mistake reported as prism::Error naming the source and the key.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/error.h"
#include "server/config.h"

namespace prism::server {
namespace {

constexpr const char* kFull = R"toml(
[server]
host = "0.0.0.0"
port = 9090
threads = 4
max_body_bytes = 1048576
max_header_bytes = 8192
request_timeout_ms = 5000
write_timeout_ms = 6000
max_connections = 100
max_inflight_requests = 8
shutdown_grace_ms = 2000
decision_log = "/tmp/prism-test-decisions.jsonl"
decision_log_fsync = true
decision_ring_size = 50
tls_cert = "cert.pem"
tls_key = "key.pem"
upstream_tls_verify = false
playground = false

[router]
default_mode = "cost"
quality_band = 0.2
default_latency_ms = 1500
max_attempts = 4
circuit_failure_threshold = 7
circuit_cooldown_ms = 12000

[router.profiles.fast]
mode = "latency"
max_latency_ms = 800

[router.profiles.vision]
mode = "quality"
require = ["vision"]
exclude = ["tiny"]
models = ["gpt-4o", "tiny"]
min_quality = 0.5
max_cost_usd = 0.01

[local]
models_dir = "checkpoints"
allowed_media_dir = "/srv/media"
threads = 3
max_image_pixels = 1000000
quality = 0.3
context_window = 4096

[voice]
speculate_after_silence_ms = 0
early_transcription_deltas = false

[[api_keys]]
name = "team-a"
key = "sk-team-a-123456"
models = ["gpt-4o"]

[[api_keys]]
name = "admin"
key = "sk-admin-abcdefgh"
models = ["*"]

[[api_keys]]
name = "open"
key = "sk-open-abcdefgh"

[[models]]
id = "gpt-4o"
backend = "upstream"
base_url = "https://api.openai.com/v1"
upstream_model = "gpt-4o-2024-08-06"
api_key_env = "OPENAI_API_KEY"
capabilities = ["text", "vision", "tools", "json_schema"]
context_window = 128000
price_input = 2.5
price_output = 10
quality = { overall = 0.9, code = 0.92, math = 0.85 }
max_concurrency = 16
latency_hint_ms = 900
connect_timeout_ms = 1000
first_token_timeout_ms = 5000
total_timeout_ms = 60000

[[models]]
id = "tiny"
backend = "local"
path = "checkpoints/tiny"
capabilities = ["text", "video", "audio"]
context_window = 8192
price_input = 0
price_output = 0
quality = 0.2
)toml";

std::string error_of(const std::string& toml) {
  try {
    parse_config(toml, "test.toml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Expects an error that names the source and every fragment given.
void expect_error(const std::string& toml, std::initializer_list<const char*> fragments) {
  const std::string message = error_of(toml);
  ASSERT_FALSE(message.empty()) << "no error for:\n" << toml;
  EXPECT_NE(message.find("test.toml"), std::string::npos) << message;
  for (const char* f : fragments) EXPECT_NE(message.find(f), std::string::npos) << "'" << f << "' not in: " << message;
}

const char* kModel = R"toml(
[[models]]
id = "m"
backend = "upstream"
base_url = "http://127.0.0.1:9000/v1"
capabilities = ["text"]
context_window = 1000
)toml";

TEST(Config, FullExampleParsesEveryKey) {
  const Config c = parse_config(kFull, "full.toml");
  EXPECT_EQ(c.source, "full.toml");
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 9090);
  EXPECT_EQ(c.server.threads, 4);
  EXPECT_EQ(c.server.max_body_bytes, 1048576u);
  EXPECT_EQ(c.server.max_header_bytes, 8192u);
  EXPECT_EQ(c.server.request_timeout_ms, 5000);
  EXPECT_EQ(c.server.write_timeout_ms, 6000);
  EXPECT_EQ(c.server.max_connections, 100);
  EXPECT_EQ(c.server.max_inflight_requests, 8);
  EXPECT_EQ(c.server.shutdown_grace_ms, 2000);
  EXPECT_EQ(c.server.decision_log, "/tmp/prism-test-decisions.jsonl");
  EXPECT_TRUE(c.server.decision_log_fsync);
  EXPECT_EQ(c.server.decision_ring_size, 50u);
  EXPECT_EQ(c.server.tls_cert, "cert.pem");
  EXPECT_EQ(c.server.tls_key, "key.pem");
  EXPECT_FALSE(c.server.upstream_tls_verify);
  EXPECT_FALSE(c.server.playground);

  EXPECT_EQ(c.router.default_mode, router::Mode::cost);
  EXPECT_DOUBLE_EQ(c.router.policy.quality_band, 0.2);
  EXPECT_DOUBLE_EQ(c.router.policy.default_latency_ms, 1500);
  EXPECT_EQ(c.router.max_attempts, 4);
  EXPECT_EQ(c.router.health.failure_threshold, 7);
  EXPECT_EQ(c.router.health.cooldown, std::chrono::milliseconds(12000));
  ASSERT_EQ(c.router.profiles.size(), 2u);
  const auto& fast = c.router.profiles.at("fast");
  EXPECT_EQ(fast.mode, router::Mode::latency);
  EXPECT_EQ(fast.max_latency_ms, 800.0);
  const auto& vision = c.router.profiles.at("vision");
  EXPECT_EQ(vision.mode, router::Mode::quality);
  EXPECT_EQ(vision.require, (std::set<std::string>{"vision"}));
  EXPECT_EQ(vision.exclude, (std::set<std::string>{"tiny"}));
  EXPECT_EQ(*vision.models, (std::set<std::string>{"gpt-4o", "tiny"}));
  EXPECT_EQ(vision.min_quality, 0.5);
  EXPECT_EQ(vision.max_cost_usd, 0.01);

  EXPECT_EQ(c.local.models_dir, "checkpoints");
  EXPECT_EQ(c.local.allowed_media_dir, "/srv/media");
  EXPECT_EQ(c.local.threads, 3);
  EXPECT_EQ(c.local.max_image_pixels, 1000000);
  EXPECT_DOUBLE_EQ(c.local.quality, 0.3);
  EXPECT_EQ(c.local.context_window, 4096);
  EXPECT_EQ(c.voice.speculate_after_silence_ms, 0);
  EXPECT_FALSE(c.voice.early_transcription_deltas);

  ASSERT_EQ(c.api_keys.size(), 3u);
  EXPECT_EQ(c.api_keys[0].name, "team-a");
  EXPECT_EQ(c.api_keys[0].key, "sk-team-a-123456");
  EXPECT_EQ(*c.api_keys[0].models, (std::set<std::string>{"gpt-4o"}));
  EXPECT_FALSE(c.api_keys[1].models);  // "*" = every model
  EXPECT_FALSE(c.api_keys[2].models);  // absent = every model

  ASSERT_EQ(c.catalog.models().size(), 2u);
  const router::ModelEntry* g = c.catalog.find("gpt-4o");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->backend, "upstream");
  EXPECT_EQ(g->base_url, "https://api.openai.com/v1");
  EXPECT_EQ(g->upstream_model, "gpt-4o-2024-08-06");
  EXPECT_EQ(g->api_key_env, "OPENAI_API_KEY");
  EXPECT_EQ(g->capabilities, (std::set<std::string>{"text", "vision", "tools", "json_schema"}));
  EXPECT_EQ(g->context_window, 128000);
  EXPECT_DOUBLE_EQ(g->price_input, 2.5);
  EXPECT_DOUBLE_EQ(g->price_output, 10);
  EXPECT_DOUBLE_EQ(g->quality, 0.9);
  EXPECT_DOUBLE_EQ(g->quality_for("code"), 0.92);
  EXPECT_DOUBLE_EQ(g->quality_for("math"), 0.85);
  EXPECT_DOUBLE_EQ(g->quality_for("chat"), 0.9);
  EXPECT_EQ(g->max_concurrency, 16);
  EXPECT_EQ(g->latency_hint_ms, 900.0);
  EXPECT_EQ(g->connect_timeout_ms, 1000);
  EXPECT_EQ(g->first_token_timeout_ms, 5000);
  EXPECT_EQ(g->total_timeout_ms, 60000);

  const router::ModelEntry* t = c.catalog.find("tiny");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->backend, "local");
  EXPECT_EQ(t->local_path, "checkpoints/tiny");
  EXPECT_EQ(t->upstream_model, "tiny");  // defaults to the id
  EXPECT_DOUBLE_EQ(t->quality, 0.2);
  EXPECT_FALSE(t->max_concurrency);
  EXPECT_FALSE(t->latency_hint_ms);
}

TEST(Config, EmptyTextGivesDefaults) {
  const Config c = parse_config("", "empty.toml");
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_EQ(c.router.default_mode, router::Mode::balanced);
  EXPECT_TRUE(c.server.playground);  // the page is served unless turned off
  EXPECT_TRUE(c.api_keys.empty());
  EXPECT_TRUE(c.catalog.models().empty());
}

TEST(Config, EmbeddedDefaultParses) {
  const Config c = default_config();
  EXPECT_EQ(c.server.host, "127.0.0.1");  // loopback only
  EXPECT_EQ(c.router.profiles.count("fast"), 1u);
  EXPECT_EQ(c.router.profiles.at("cheap").mode, router::Mode::cost);
  EXPECT_EQ(c.router.profiles.at("best").mode, router::Mode::quality);
}

TEST(Config, TomlSyntaxErrorsGiveLineAndColumn) {
  expect_error("[server]\nport = = 3\n", {"test.toml:2:"});
  expect_error("[server\n", {"test.toml:1:"});
}

TEST(Config, UnknownKeysAreRejected) {
  expect_error("colour = 1\n", {"colour", "not a known setting"});
  expect_error("[server]\nprot = 80\n", {"server.prot", "not a known setting"});
  expect_error("[router]\nmode = \"cost\"\n", {"router.mode", "not a known setting"});
  expect_error("[local]\nmodel_dir = \"x\"\n", {"local.model_dir"});
  expect_error("[[api_keys]]\nname = \"a\"\nkey = \"12345678\"\nmodel = [\"x\"]\n", {"api_keys[0].model"});
  expect_error(std::string(kModel) + "context = 5\n", {"models[0].context", "not a known setting"});
  expect_error("[router.profiles.fast]\nmode = \"latency\"\nspeed = 1\n", {"router.profiles.fast.speed"});
}

TEST(Config, WrongTypesNameTheKey) {
  expect_error("[server]\nport = \"80\"\n", {"server.port", "integer"});
  expect_error("[server]\nhost = 127\n", {"server.host", "string"});
  expect_error("[server]\ndecision_log_fsync = \"yes\"\n", {"server.decision_log_fsync", "true or false"});
  expect_error("[server]\nplayground = \"off\"\n", {"server.playground", "true or false"});
  expect_error("[server]\nthreads = 2.5\n", {"server.threads", "integer"});
  expect_error("[router]\nquality_band = \"wide\"\n", {"router.quality_band", "number"});
  expect_error("[router]\ndefault_mode = \"fastest\"\n", {"router.default_mode"});
  expect_error("[router]\nprofiles = 3\n", {"router.profiles", "table"});
  expect_error("[router.profiles]\nfast = 1\n", {"router.profiles.fast", "table"});
  expect_error("[router.profiles.fast]\nmax_latency_ms = \"soon\"\n", {"router.profiles.fast.max_latency_ms"});
  expect_error("server = 1\n", {"server", "table"});
  expect_error("models = 1\n", {"models", "array of tables"});
  expect_error(std::string(kModel) + "price_input = \"free\"\n", {"models[0].price_input", "number"});
  expect_error(std::string(kModel) + "max_concurrency = \"many\"\n", {"models[0].max_concurrency", "integer"});
  expect_error(std::string(kModel) + "quality = \"good\"\n", {"models[0].quality", "number"});
  expect_error(std::string(kModel) + "quality = { overall = 0.5, code = \"great\" }\n",
               {"models[0].quality.code", "number"});
  expect_error("[[models]]\nid = \"m\"\ncapabilities = \"text\"\n", {"models[0].capabilities", "array of strings"});
  expect_error("[[models]]\nid = \"m\"\ncapabilities = [\"text\", 1]\n", {"models[0].capabilities"});
}

TEST(Config, OutOfRangeValuesNameTheKey) {
  expect_error("[server]\nport = 70000\n", {"server.port", "0..65535"});
  expect_error("[server]\nthreads = 0\n", {"server.threads"});
  expect_error("[server]\nmax_inflight_requests = 0\n", {"server.max_inflight_requests"});
  expect_error("[server]\nmax_connections = 0\n", {"server.max_connections"});
  expect_error("[server]\ntls_cert = \"c.pem\"\n", {"tls_cert", "tls_key"});
  expect_error("[router]\nmax_attempts = 0\n", {"router.max_attempts"});
  expect_error("[router]\nmax_attempts = 11\n", {"router.max_attempts"});
  expect_error("[router]\nquality_band = 1.5\n", {"router.quality_band"});
  expect_error("[router]\ncircuit_failure_threshold = 0\n", {"router.circuit_failure_threshold"});
  expect_error("[local]\nthreads = 0\n", {"local.threads"});
  expect_error("[voice]\nspeculate_after_silence_ms = -1\n", {"voice.speculate_after_silence_ms"});
  expect_error("[voice]\nspeculate = 1\n", {"voice.speculate", "not a known setting"});
}

TEST(Config, ModelEntryMistakesNameTheModelAndField) {
  auto model = [](const std::string& extra_or_override) {
    return "[[models]]\nbackend = \"upstream\"\nbase_url = \"http://h/v1\"\ncontext_window = 100\n" +
           extra_or_override;
  };
  expect_error(model("id = \"router\"\ncapabilities = [\"text\"]\n"), {"models[0]", "reserved"});
  expect_error(model("id = \"router:x\"\ncapabilities = [\"text\"]\n"), {"reserved"});
  expect_error(model("id = \"m\"\ncapabilities = [\"text\", \"smell\"]\n"), {"models[0]", "'m'", "smell"});
  expect_error(model("id = \"m\"\ncapabilities = []\n"), {"capabilities"});
  expect_error(model("capabilities = [\"text\"]\n"), {"models[0]", "id"});
  expect_error(model("id = \"m\"\ncapabilities = [\"text\"]\nquality = 1.2\n"), {"'m'", "quality"});
  expect_error(model("id = \"m\"\ncapabilities = [\"text\"]\nquality = { code = -0.1 }\n"), {"quality.code"});
  expect_error(model("id = \"m\"\ncapabilities = [\"text\"]\nprice_output = -1\n"), {"'m'", "prices"});
  expect_error(model("id = \"m\"\ncapabilities = [\"text\"]\nmax_concurrency = 0\n"), {"'m'", "max_concurrency"});
  expect_error(model("id = \"m\"\ncapabilities = [\"text\"]\nconnect_timeout_ms = 0\n"), {"'m'", "timeouts"});
  expect_error(model("id = \"m\"\ncapabilities = [\"text\"]\nweights = \"q8_0\"\n"), {"'m'", "weights", "local"});
  expect_error("[[models]]\nid = \"m\"\nbackend = \"upstream\"\ncapabilities = [\"text\"]\ncontext_window = 1\n",
               {"'m'", "base_url"});
  expect_error("[[models]]\nid = \"m\"\nbackend = \"upstream\"\nbase_url = \"ftp://h\"\ncapabilities = [\"text\"]\n"
               "context_window = 1\n",
               {"'m'", "base_url"});
  expect_error("[[models]]\nid = \"m\"\nbackend = \"magic\"\ncapabilities = [\"text\"]\ncontext_window = 1\n",
               {"'m'", "backend", "magic"});
  expect_error("[[models]]\nid = \"m\"\nbackend = \"local\"\ncapabilities = [\"text\"]\n", {"'m'", "context_window"});
}

TEST(Config, DuplicateModelIdsAreRejected) {
  expect_error(std::string(kModel) + kModel, {"'m'", "twice"});
}

TEST(Config, ApiKeyRules) {
  expect_error("[[api_keys]]\nkey = \"12345678\"\n", {"api_keys[0].name", "required"});
  expect_error("[[api_keys]]\nname = \"a\"\n", {"api_keys[0].key", "key_env"});
  expect_error("[[api_keys]]\nname = \"a\"\nkey = \"short\"\n", {"api_keys[0].key", "8 characters"});
  expect_error("[[api_keys]]\nname = \"a\"\nkey = \"12345678\"\nkey_env = \"X\"\n",
               {"api_keys[0].key", "exclusive"});
  expect_error("[[api_keys]]\nname = \"a\"\nkey = \"12345678\"\n[[api_keys]]\nname = \"b\"\nkey = 5\n",
               {"api_keys[1].key", "string"});
  expect_error("[[api_keys]]\nname = \"a\"\nkey = \"12345678\"\nmodels = \"x\"\n", {"api_keys[0].models"});

  ::unsetenv("PRISM_RTEST_UNSET_KEY");
  expect_error("[[api_keys]]\nname = \"a\"\nkey_env = \"PRISM_RTEST_UNSET_KEY\"\n",
               {"api_keys[0].key_env", "PRISM_RTEST_UNSET_KEY", "not set"});
  ::setenv("PRISM_RTEST_EMPTY_KEY", "", 1);
  expect_error("[[api_keys]]\nname = \"a\"\nkey_env = \"PRISM_RTEST_EMPTY_KEY\"\n", {"PRISM_RTEST_EMPTY_KEY"});

  ::setenv("PRISM_RTEST_KEY", "sk-from-the-environment", 1);
  const Config c = parse_config("[[api_keys]]\nname = \"env\"\nkey_env = \"PRISM_RTEST_KEY\"\n", "test.toml");
  ASSERT_EQ(c.api_keys.size(), 1u);
  EXPECT_EQ(c.api_keys[0].key, "sk-from-the-environment");
  ::unsetenv("PRISM_RTEST_KEY");
  ::unsetenv("PRISM_RTEST_EMPTY_KEY");
}

TEST(Config, UnknownQualityCategoryIsRejected) {
  const std::string message = error_of(std::string(kModel) + "quality = { overall = 0.8, coding = 0.9 }\n");
  EXPECT_NE(message.find("models[0].quality.coding"), std::string::npos) << message;
}

TEST(Config, NegativeSizesAreRejected) {
  const std::string message = error_of("[server]\nmax_body_bytes = -1\n");
  EXPECT_NE(message.find("server.max_body_bytes"), std::string::npos) << message;
}

TEST(Config, MissingFileIsAnErrorNamingIt) {
  try {
    load_config_file("/nonexistent/prism-rtest.toml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/prism-rtest.toml"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace prism::server
