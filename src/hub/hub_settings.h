// Where the Hub is and where its cache lies, read from the environment the
// same way huggingface_hub reads it, so prism and the Python tools share one
// cache and one token.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace prism::hub {

// Looks up an environment variable (injectable so tests need not touch the
// process environment). nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup process_env();

inline constexpr const char* kDefaultEndpoint = "https://huggingface.co";

struct HubSettings {
  std::filesystem::path cache_dir;  // holds models--org--name/
  std::string endpoint;             // no trailing '/'
  std::string token;                // empty: anonymous
  std::string token_source;         // "HF_TOKEN", a token file's path, or empty
  bool offline = false;             // HF_HUB_OFFLINE
};

// $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
// else ~/.cache/huggingface/hub.
std::filesystem::path hub_cache_dir(const EnvLookup& env);

// $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
std::filesystem::path hf_home(const EnvLookup& env);

HubSettings hub_settings(const EnvLookup& env = process_env());

}  // namespace prism::hub
