// The process environment, read without null checks at every call site.
#pragma once
#include <cstdlib>
#include <string>

namespace simpleclaw {

// The variable's value, "" when unset.
inline std::string env_var(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace simpleclaw
