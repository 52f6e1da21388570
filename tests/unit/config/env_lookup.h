// Environments for config tests: ${ENV} substitution reads exactly the given variables.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "config/config.h"

namespace simpleclaw::config {

inline EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// No variables set.
inline const EnvLookup kNoEnv = env_of({});

}  // namespace simpleclaw::config
