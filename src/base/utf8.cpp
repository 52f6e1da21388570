#include "base/utf8.h"

namespace simpleclaw {

int utf8_sequence_length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  int len;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  for (int k = 1; k < len; ++k) {
    if (i + k >= s.size()) return -1;
    unsigned char x = b(i + k);
    if (k == 1 ? (x < lo || x > hi) : (x < 0x80 || x > 0xBF)) return 0;
  }
  return len;
}

std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    int len = utf8_sequence_length(s, i);
    if (len <= 0) return i;
    i += static_cast<std::size_t>(len);
  }
  return std::string_view::npos;
}

bool strings_are_utf8(const Json& j) {
  switch (j.type()) {
    case Json::value_t::string:
      return valid_utf8(j.get_ref<const std::string&>());
    case Json::value_t::array:
      for (const Json& e : j)
        if (!strings_are_utf8(e)) return false;
      return true;
    case Json::value_t::object:
      for (const auto& [k, v] : j.items())
        if (!valid_utf8(k) || !strings_are_utf8(v)) return false;
      return true;
    default:
      return true;
  }
}

}  // namespace simpleclaw
