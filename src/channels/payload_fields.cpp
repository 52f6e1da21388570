#include "channels/payload_fields.h"

#include "base/utf8.h"

namespace simpleclaw::channels::payload {

const Json& member(const Json& o, const char* key) {
  static const Json kNull;
  if (!o.is_object()) return kNull;
  auto it = o.find(key);
  return it == o.end() ? kNull : *it;
}

Text text_field(const Json& o, const char* key, std::size_t max) {
  const Json& v = member(o, key);
  if (v.is_null()) return {};
  if (!v.is_string()) return {Text::Status::kMalformed, {}};
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > max) return {Text::Status::kTooLong, {}};
  return {Text::Status::kOk, s};
}

std::optional<std::string> field(const Json& o, const char* key, std::size_t max) {
  Text t = text_field(o, key, max);
  if (t.status != Text::Status::kOk) return std::nullopt;
  return std::move(t.text);
}

void trim(std::string& s) {
  auto ws = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
  std::size_t b = 0, e = s.size();
  while (b < e && ws(s[b])) ++b;
  while (e > b && ws(s[e - 1])) --e;
  s = s.substr(b, e - b);
}

std::string quote(std::string_view s, std::size_t max) {
  std::string out(utf8_prefix(s, max));
  return valid_utf8(out) ? out : "(binary)";
}

}  // namespace simpleclaw::channels::payload
