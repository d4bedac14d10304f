#include "hub/hub_settings.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace prism::hub {
namespace fs = std::filesystem;
namespace {

std::optional<std::string> non_empty(const EnvLookup& env, const char* name) {
  auto v = env(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

// "~" and "~/..." as Python's os.path.expanduser reads them.
fs::path expand_user(const std::string& p, const EnvLookup& env) {
  if (p == "~" || p.rfind("~/", 0) == 0) {
    const std::string home = non_empty(env, "HOME").value_or("/");
    return fs::path(home) / p.substr(std::min<std::size_t>(2, p.size()));
  }
  return fs::path(p);
}

std::string trim(std::string s) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  return s;
}

bool truthy(const std::string& v) {
  std::string l;
  for (char c : v) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "1" || l == "on" || l == "yes" || l == "true";
}

}  // namespace

EnvLookup process_env() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

fs::path hf_home(const EnvLookup& env) {
  if (auto v = non_empty(env, "HF_HOME")) return expand_user(*v, env);
  const fs::path cache = expand_user(non_empty(env, "XDG_CACHE_HOME").value_or("~/.cache"), env);
  return cache / "huggingface";
}

fs::path hub_cache_dir(const EnvLookup& env) {
  if (auto v = non_empty(env, "HF_HUB_CACHE")) return expand_user(*v, env);
  // The older name, still honoured by huggingface_hub.
  if (auto v = non_empty(env, "HUGGINGFACE_HUB_CACHE")) return expand_user(*v, env);
  return hf_home(env) / "hub";
}

HubSettings hub_settings(const EnvLookup& env) {
  HubSettings s;
  s.cache_dir = hub_cache_dir(env);
  s.endpoint = non_empty(env, "HF_ENDPOINT").value_or(kDefaultEndpoint);
  while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
  if (auto t = non_empty(env, "HF_TOKEN")) {
    s.token = trim(*t);
    s.token_source = "HF_TOKEN";
  } else if (auto t2 = non_empty(env, "HUGGING_FACE_HUB_TOKEN")) {
    s.token = trim(*t2);
    s.token_source = "HUGGING_FACE_HUB_TOKEN";
  } else {
    // The file `huggingface-cli login` writes.
    const fs::path file = non_empty(env, "HF_TOKEN_PATH") ? expand_user(*env("HF_TOKEN_PATH"), env) : hf_home(env) / "token";
    std::ifstream in(file);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      s.token = trim(text.str());
      if (!s.token.empty()) s.token_source = file.string();
    }
  }
  if (auto v = non_empty(env, "HF_HUB_OFFLINE")) s.offline = truthy(*v);
  return s;
}

}  // namespace prism::hub
