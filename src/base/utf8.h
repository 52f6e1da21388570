// UTF-8 validity checks for input that reaches code which assumes valid text (JSON
// dumping throws on bad UTF-8; valijson's length checks read out of bounds on it).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw {

// Length of the valid UTF-8 sequence starting at s[i] (1..4); 0 when invalid; -1 when it
// is a valid prefix cut by the end of `s`. Overlong forms and surrogates are invalid.
int utf8_sequence_length(std::string_view s, std::size_t i);

// Offset of the first byte that is not valid UTF-8, or npos when all of `s` is valid.
std::size_t first_invalid_utf8(std::string_view s);

inline bool valid_utf8(std::string_view s) {
  return first_invalid_utf8(s) == std::string_view::npos;
}

// `s` cut to at most `max` bytes without splitting a UTF-8 sequence (it backs up over
// continuation bytes; text that is not UTF-8 may lose up to 3 more bytes).
inline std::string_view utf8_prefix(std::string_view s, std::size_t max) {
  if (max >= s.size()) return s;
  while (max > 0 && (static_cast<unsigned char>(s[max]) & 0xC0) == 0x80) --max;
  return s.substr(0, max);
}

// `s` cut to at most `max` bytes on a UTF-8 boundary, with "..." appended when it was
// cut: a peer's text quoted in a log line or an error message.
inline std::string clip_text(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(utf8_prefix(s, max)) + "...";
}

// True when every string and object key in `j` is valid UTF-8 (MessagePack decoding
// does not check; JSON text parsing does).
bool strings_are_utf8(const Json& j);

}  // namespace simpleclaw
