// The IRC wire format (RFC 1459/2812 with IRCv3 message tags) and the text rules of the
// IRC channel, as pure functions: parsing one received line, building outbound lines,
// splitting reply text into PRIVMSG-sized pieces, mention detection, formatting-code
// stripping and nick fallbacks. No I/O and no state, so they are unit-tested table-driven
// and fuzzed (fuzz/irc_message_fuzz.cpp). Every input here may come from the network:
// nothing asserts, every size is bounded. Usable from any thread.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace simpleclaw::channels::irc {

// RFC 2812: 512 bytes per message including CRLF. IRCv3: tags add up to 8191 bytes
// (including the leading '@' and the trailing space).
inline constexpr std::size_t kMaxMessageBytes = 512;
inline constexpr std::size_t kMaxTagBytes = 8191;
// The longest line the framer keeps (without CRLF); anything longer is dropped whole.
inline constexpr std::size_t kMaxLineBytes = kMaxTagBytes + kMaxMessageBytes;
inline constexpr std::size_t kMaxParams = 15;

struct Message {
  std::vector<std::pair<std::string, std::string>> tags;  // values unescaped
  std::string prefix;                                     // without ':'; may be empty
  std::string command;                                    // upper-cased; or 3 digits
  std::vector<std::string> params;                        // the trailing one included

  // A tag's value, or nullptr when absent.
  const std::string* tag(std::string_view key) const;
  // params[i] or "" when there are fewer.
  const std::string& param(std::size_t i) const;
};

// Parses one line (CR/LF already removed). nullopt for anything malformed: empty, NUL
// bytes, tags over kMaxTagBytes, the rest over kMaxMessageBytes, no or a bad command.
std::optional<Message> parse_line(std::string_view line);

// "nick!user@host" -> "nick" (a server name has no '!': returned whole).
std::string_view prefix_nick(std::string_view prefix);

// RFC 1459 case mapping: A-Z -> a-z and []\~ -> {}|^ (nicks and channels compare so).
std::string casefold(std::string_view s);
bool same_name(std::string_view a, std::string_view b);
inline bool is_channel_name(std::string_view s) {
  return !s.empty() && (s[0] == '#' || s[0] == '&' || s[0] == '+' || s[0] == '!');
}

// Removes mIRC formatting (bold, colour with its digits, hex colour, italics, underline,
// strike, monospace, reverse, reset) and other C0 controls except TAB.
std::string strip_formatting(std::string_view s);
// Valid UTF-8 out: invalid bytes are taken as Latin-1 (what old IRC clients send).
std::string to_utf8(std::string_view s);

// A channel message addressed to `nick`: "nick: text" / "nick, text" (prefix removed) or
// the nick as a whole word anywhere (text unchanged). Case-insensitive.
struct Mention {
  bool mentioned = false;
  std::string text;
};
Mention detect_mention(std::string_view text, std::string_view nick);

// Reply text -> PRIVMSG payloads: one per non-blank line, each line cut so no piece is
// over `max_bytes`, at a space when one is near the end (that space dropped), else at a
// UTF-8 boundary. CR, NUL and other line-breaking bytes never pass through.
std::vector<std::string> split_text(std::string_view text, std::size_t max_bytes);

// The nick to try after `attempt` collisions: nick, nick_, nick__, nick1 .. nick9; ""
// when the alternatives are exhausted.
std::string nick_candidate(std::string_view nick, int attempt);

// A target (channel or nick) we may put on a PRIVMSG line: no spaces, commas, controls.
bool valid_target(std::string_view target);

std::string base64(std::string_view bytes);

}  // namespace simpleclaw::channels::irc
