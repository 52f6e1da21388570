// Reading platform JSON (Discord gateway payloads, Slack envelopes) without trusting its
// shape: lookups that never throw, string fields with a size bound, and short quotes of
// network strings for diagnostics. Pure functions, any thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw::channels::payload {

// o[key], or a null Json when `o` is not an object or has no such key.
const Json& member(const Json& o, const char* key);
// A string field: "" when absent or null, nullopt when present with another type or
// longer than `max` (the payload is then malformed).
std::optional<std::string> field(const Json& o, const char* key, std::size_t max);
// A message's text: "" when absent or null. Not a string = the payload is malformed; a
// string over `max` bytes = a real message too long to take (ignored, and said so).
struct Text {
  enum class Status : std::uint8_t { kOk, kMalformed, kTooLong };
  Status status = Status::kOk;
  std::string text;
};
Text text_field(const Json& o, const char* key, std::size_t max);
// Spaces, tabs and line breaks removed from both ends.
void trim(std::string& s);
// A network string quoted in a diagnostic: at most `max` bytes, and "(binary)" instead of
// invalid UTF-8 (diagnostics are dumped as JSON).
std::string quote(std::string_view s, std::size_t max = 64);

}  // namespace simpleclaw::channels::payload
