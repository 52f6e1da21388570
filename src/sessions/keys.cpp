#include "sessions/keys.h"

#include <cstdint>
#include <cstdio>
#include <vector>

namespace simpleclaw::sessions {
namespace {

constexpr std::string_view kPrefix = "agent:";

Error key_error(std::string_view what) {
  return Error::invalid("invalid session key: " + std::string(what));
}

bool is_ascii_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool is_unicode_space(std::uint32_t cp) {
  return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 ||
         cp == 0xfeff;
}

// Decodes one UTF-8 sequence at s[i]; returns its length, 0 when it is not well-formed
// (truncated, overlong, surrogate, above U+10FFFF).
std::size_t decode_utf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  std::size_t len;
  std::uint32_t min;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, min = 0x80, cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, min = 0x800, cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", c);
  return buf;
}

std::string code_point(std::uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

// Whitespace, control characters and malformed UTF-8, reported with the byte offset.
Status check_characters(std::string_view raw) {
  for (std::size_t i = 0; i < raw.size();) {
    auto c = static_cast<unsigned char>(raw[i]);
    std::string at = " at byte " + std::to_string(i);
    if (c < 0x80) {
      if (is_ascii_space(c)) return key_error("whitespace is not allowed" + at);
      if (c < 0x20 || c == 0x7f)
        return key_error("control character " + hex_byte(c) + " is not allowed" + at);
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    std::size_t len = decode_utf8(raw, i, cp);
    if (len == 0) return key_error("not valid UTF-8" + at);
    if (is_unicode_space(cp))
      return key_error("whitespace (" + code_point(cp) + ") is not allowed" + at);
    if (cp >= 0x80 && cp <= 0x9f)
      return key_error("control character " + code_point(cp) + " is not allowed" + at);
    i += len;
  }
  return Ok{};
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool is_slug_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

bool valid_user_name(std::string_view name) { return name.size() <= 32 && valid_agent_id(name); }

std::string main_session_key(std::string_view agent_id) {
  return std::string(kPrefix) + std::string(agent_id) + ":" + std::string(kMainKey);
}

namespace {
// A platform id as a key segment: ':' would split the key, whitespace is not allowed.
std::string key_segment(std::string_view id) {
  std::string out;
  for (unsigned char c : id) out += (c == ':' || c <= 0x20 || c == 0x7f) ? '_' : char(c);
  return out.substr(0, 128);
}
}  // namespace

std::string channel_key(std::string_view agent_id, std::string_view user, std::string_view channel,
                        bool group, std::string_view conversation, std::string_view thread) {
  std::string key = std::string(kPrefix) + std::string(agent_id) + ":";
  if (!user.empty()) key += "user:" + std::string(user) + ":";
  key += std::string(channel) + (group ? ":group:" : ":direct:") + key_segment(conversation);
  if (group && !thread.empty()) key += ":thread:" + key_segment(thread);
  return ascii_lower(key);
}

std::string_view key_owner(std::string_view key) {
  if (key.compare(0, kPrefix.size(), kPrefix) != 0) return {};
  std::size_t agent_end = key.find(':', kPrefix.size());
  if (agent_end == std::string_view::npos) return {};
  std::string_view rest = key.substr(agent_end + 1);
  constexpr std::string_view kUser = "user:";
  if (rest.compare(0, kUser.size(), kUser) != 0) return {};
  rest.remove_prefix(kUser.size());
  std::size_t end = rest.find(':');
  if (end == std::string_view::npos || end + 1 >= rest.size()) return {};  // needs <more>
  std::string_view name = rest.substr(0, end);
  return valid_user_name(name) ? name : std::string_view{};
}

Result<SessionKey> in_user_namespace(const SessionKey& k, std::string_view user) {
  if (k.owner == user) return k;
  return parse_session_key(
      std::string(kPrefix) + k.agent_id + ":user:" + std::string(user) + ":" + k.rest, k.agent_id);
}

bool valid_agent_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || !is_slug_char(id[0])) return false;
  for (char c : id.substr(1))
    if (!is_slug_char(c) && c != '_' && c != '-') return false;
  return true;
}

std::string slugify(std::string_view name) {
  std::string out;
  bool pending_dash = false;
  for (char raw : name) {
    char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
    if (is_slug_char(c) || (c == '_' && !out.empty())) {
      if (pending_dash && !out.empty()) out.push_back('-');
      pending_dash = false;
      out.push_back(c);
    } else {
      pending_dash = true;  // runs of anything else collapse into one '-'
    }
    if (out.size() >= 64) break;
  }
  if (out.size() > 64) out.resize(64);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

Result<SessionKey> parse_session_key(std::string_view raw, std::string_view default_agent) {
  if (raw.empty()) return key_error("empty");
  // Canonicalising never shortens a key, so an over-long input fails here already.
  if (raw.size() > kMaxKeyLength)
    return key_error("too long (" + std::to_string(raw.size()) + " bytes, max " +
                     std::to_string(kMaxKeyLength) + ")");
  if (auto st = check_characters(raw); !st) return st.error();

  std::string key = ascii_lower(raw);
  if (key.compare(0, kPrefix.size(), kPrefix) != 0) {
    std::string def = ascii_lower(default_agent);
    if (!valid_agent_id(def)) return key_error("default agent id \"" + def + "\" is not valid");
    key = std::string(kPrefix) + def + ":" + key;
  }
  if (key.size() > kMaxKeyLength)
    return key_error("too long (" + std::to_string(key.size()) + " bytes, max " +
                     std::to_string(kMaxKeyLength) + ")");

  std::vector<std::string_view> seg = split(key, ':');
  for (std::string_view s : seg)
    if (s.empty()) return key_error("empty segment (leading, trailing or doubled ':')");
  if (seg.size() < 3) return key_error("session key needs something after the agent id");
  if (!valid_agent_id(seg[1]))
    return key_error("agent id \"" + std::string(seg[1]) +
                     "\" is not valid (expected [a-z0-9][a-z0-9_-]{0,63})");

  SessionKey out;
  out.agent_id = std::string(seg[1]);
  out.rest = key.substr(kPrefix.size() + seg[1].size() + 1);
  out.kind = "unknown";
  out.owner = std::string(key_owner(key));
  // A user's namespace "user:<name>:" is skipped: the conversation after it is
  // classified like any other.
  std::size_t b = out.owner.empty() ? 2 : 4;
  std::size_t n = seg.size() - b;  // segments of the conversation
  if (n == 1 && seg[b] == "main") {
    out.kind = "direct";
  } else if (n == 3 && seg[b + 1] == "direct") {
    out.kind = "direct";
    out.channel = std::string(seg[b]);
  } else if ((n == 3 || (n == 5 && seg[b + 3] == "thread")) && seg[b + 1] == "group") {
    out.kind = "group";
    out.channel = std::string(seg[b]);
  }
  out.key = std::move(key);
  return out;
}

}  // namespace simpleclaw::sessions
