// The IRC wire format and text rules (see irc_message.h).
#include "channels/irc/irc_message.h"

#include <algorithm>

#include "base/utf8.h"

namespace simpleclaw::channels::irc {
namespace {

void skip_spaces(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
}

// IRCv3 tag value escapes: \: ; \s space, \\ backslash, \r CR, \n LF; any other escaped
// character stands for itself and a lone trailing backslash is dropped.
std::string unescape_tag_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == v.size()) break;
    switch (v[i]) {
      case ':':
        out += ';';
        break;
      case 's':
        out += ' ';
        break;
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      default:
        out += v[i];
        break;
    }
  }
  return out;
}

void parse_tags(std::string_view s, std::vector<std::pair<std::string, std::string>>& tags) {
  while (!s.empty()) {
    std::size_t semi = s.find(';');
    std::string_view item = s.substr(0, semi);
    s = semi == std::string_view::npos ? std::string_view{} : s.substr(semi + 1);
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    if (key.empty()) continue;
    std::string value =
        eq == std::string_view::npos ? std::string() : unescape_tag_value(item.substr(eq + 1));
    // A repeated key: the last one wins (IRCv3).
    auto it = std::find_if(tags.begin(), tags.end(), [&](const auto& t) { return t.first == key; });
    if (it != tags.end())
      it->second = std::move(value);
    else
      tags.emplace_back(std::string(key), std::move(value));
  }
}

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Characters a nick may hold (RFC 2812 letter / digit / special / '-'), both case forms.
bool is_nick_char(char c) {
  return is_letter(c) || is_digit(c) || c == '-' || c == '_' || c == '[' || c == ']' || c == '\\' ||
         c == '`' || c == '^' || c == '{' || c == '|' || c == '}' || c == '~';
}

char fold(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  switch (c) {
    case '[':
      return '{';
    case ']':
      return '}';
    case '\\':
      return '|';
    case '~':
      return '^';
    default:
      return c;
  }
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

}  // namespace

const std::string* Message::tag(std::string_view key) const {
  for (const auto& t : tags)
    if (t.first == key) return &t.second;
  return nullptr;
}

const std::string& Message::param(std::size_t i) const {
  static const std::string kEmpty;
  return i < params.size() ? params[i] : kEmpty;
}

std::optional<Message> parse_line(std::string_view line) {
  if (line.empty() || line.find('\0') != std::string_view::npos) return std::nullopt;
  if (line.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
  Message m;
  std::string_view rest = line;
  if (rest.front() == '@') {
    std::size_t sp = rest.find(' ');
    if (sp == std::string_view::npos || sp + 1 > kMaxTagBytes) return std::nullopt;
    parse_tags(rest.substr(1, sp - 1), m.tags);
    rest.remove_prefix(sp + 1);
    skip_spaces(rest);
  }
  if (rest.size() > kMaxMessageBytes) return std::nullopt;
  if (!rest.empty() && rest.front() == ':') {
    std::size_t sp = rest.find(' ');
    if (sp == std::string_view::npos || sp == 1) return std::nullopt;
    m.prefix = std::string(rest.substr(1, sp - 1));
    rest.remove_prefix(sp);
    skip_spaces(rest);
  }
  std::size_t sp = rest.find(' ');
  std::string_view cmd = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp);
  if (cmd.empty()) return std::nullopt;
  bool numeric = cmd.size() == 3 && std::all_of(cmd.begin(), cmd.end(), is_digit);
  if (!numeric && !std::all_of(cmd.begin(), cmd.end(), is_letter)) return std::nullopt;
  m.command.reserve(cmd.size());
  for (char c : cmd) m.command += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  while (true) {
    skip_spaces(rest);
    if (rest.empty()) break;
    if (rest.front() == ':' || m.params.size() == kMaxParams - 1) {
      // The trailing parameter (RFC 2812: after 14 middles the ':' is optional).
      if (rest.front() == ':') rest.remove_prefix(1);
      m.params.emplace_back(rest);
      break;
    }
    std::size_t end = rest.find(' ');
    m.params.emplace_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  return m;
}

std::string_view prefix_nick(std::string_view prefix) {
  std::size_t bang = prefix.find('!');
  if (bang != std::string_view::npos) return prefix.substr(0, bang);
  std::size_t at = prefix.find('@');
  return prefix.substr(0, at);
}

std::string casefold(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = fold(c);
  return out;
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

std::string strip_formatting(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0x03 || c == 0x04) {
      // Colour: \x03[fg[,bg]] with 1-2 digits each; hex colour: \x04[rrggbb[,rrggbb]].
      auto accept = c == 0x03 ? is_digit : is_hex;
      std::size_t max = c == 0x03 ? 2 : 6;
      std::size_t n = 0;
      while (n < max && i + 1 < s.size() && accept(s[i + 1])) ++i, ++n;
      if (n > 0 && i + 2 < s.size() && s[i + 1] == ',' && accept(s[i + 2])) {
        ++i;
        n = 0;
        while (n < max && i + 1 < s.size() && accept(s[i + 1])) ++i, ++n;
      }
      continue;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) continue;  // other formatting and controls
    out += static_cast<char>(c);
  }
  return out;
}

std::string to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    int n = utf8_sequence_length(s, i);
    if (n > 0) {
      out.append(s.substr(i, static_cast<std::size_t>(n)));
      i += static_cast<std::size_t>(n);
      continue;
    }
    unsigned char b = static_cast<unsigned char>(s[i++]);
    out += static_cast<char>(0xC0 | (b >> 6));
    out += static_cast<char>(0x80 | (b & 0x3F));
  }
  return out;
}

Mention detect_mention(std::string_view text, std::string_view nick) {
  Mention r{false, std::string(text)};
  if (nick.empty() || text.size() < nick.size()) return r;
  std::size_t n = nick.size();
  if (text.size() > n && same_name(text.substr(0, n), nick) && (text[n] == ':' || text[n] == ',')) {
    std::string_view rest = text.substr(n + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    return {true, std::string(rest)};
  }
  std::string folded_text = casefold(text), folded_nick = casefold(nick);
  for (std::size_t pos = folded_text.find(folded_nick); pos != std::string::npos;
       pos = folded_text.find(folded_nick, pos + 1)) {
    bool left = pos == 0 || !is_nick_char(folded_text[pos - 1]);
    bool right = pos + n == folded_text.size() || !is_nick_char(folded_text[pos + n]);
    if (left && right) {
      r.mentioned = true;
      break;
    }
  }
  return r;
}

std::vector<std::string> split_text(std::string_view text, std::size_t max_bytes) {
  max_bytes = std::max<std::size_t>(max_bytes, 8);  // room for any UTF-8 sequence
  std::vector<std::string> out;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    std::string line;
    line.reserve(raw.size());
    for (char c : raw)
      if (c != '\r' && c != '\0') line += c;
    std::string_view rest = line;
    while (rest.size() > max_bytes) {
      std::size_t cut = max_bytes;
      while (cut > 0 && (static_cast<unsigned char>(rest[cut]) & 0xC0) == 0x80) --cut;
      if (cut == 0) cut = max_bytes;  // not UTF-8 at all: cut anywhere
      std::size_t sp = rest.rfind(' ', cut);
      if (sp != std::string_view::npos && sp > 0 && sp >= cut / 2) {
        if (!blank(rest.substr(0, sp))) out.emplace_back(rest.substr(0, sp));
        rest.remove_prefix(sp + 1);
      } else {
        out.emplace_back(rest.substr(0, cut));
        rest.remove_prefix(cut);
      }
    }
    if (!blank(rest)) out.emplace_back(rest);
  }
  return out;
}

std::string nick_candidate(std::string_view nick, int attempt) {
  if (attempt < 0 || nick.empty()) return {};
  if (attempt == 0) return std::string(nick);
  if (attempt <= 2) return std::string(nick) + std::string(static_cast<std::size_t>(attempt), '_');
  if (attempt <= 11) return std::string(nick) + std::to_string(attempt - 2);
  return {};
}

bool valid_target(std::string_view t) {
  if (t.empty() || t.size() > 200 || t.front() == ':') return false;
  return std::none_of(t.begin(), t.end(), [](char c) {
    return c == ' ' || c == ',' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace simpleclaw::channels::irc
