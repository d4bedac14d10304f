// An environment for hub_settings() that is a map, not the process's.
#pragma once

#include <map>
#include <string>

#include "hub/hub_settings.h"

namespace prism::hub::testing {

inline EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace prism::hub::testing
