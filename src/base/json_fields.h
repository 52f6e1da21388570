// Typed reads of one field of a JSON object that never throw: Json::value() throws when
// the field has another type, and input from platforms, plugins and clients can have any.
#pragma once
#include <climits>
#include <string>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw {

// The string at `key`, or `def` when `j` is not an object or the field is absent or not a
// string.
inline std::string json_str(const Json& j, const char* key, std::string def = {}) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : def;
}

// The integer at `key`, or `def` when absent, not an integer or out of int's range.
inline int json_int(const Json& j, const char* key, int def) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return def;
  long long v = it->get<long long>();
  return v < INT_MIN || v > INT_MAX ? def : static_cast<int>(v);
}

// The 64-bit integer at `key` (epoch milliseconds), or `def` when absent or not an integer.
inline long long json_int64(const Json& j, const char* key, long long def) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<long long>() : def;
}

// The boolean at `key`, or `def` when absent or not a boolean.
inline bool json_bool(const Json& j, const char* key, bool def) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : def;
}

// The strings of the array at `key` (other elements skipped); empty when absent.
inline std::vector<std::string> json_strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const Json& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace simpleclaw
