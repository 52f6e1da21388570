// Fuzzes the IRC channel's handling of what a server sends and of reply text: the line
// parser (tags, prefix, params, trailing) and the text rules (formatting strip, UTF-8
// repair, mention detection, PRIVMSG splitting).
//
// Input: byte 0 picks the split size (8..263), the rest is one line / one text. Besides
// never crashing, leaking or hanging, it checks: a parsed message has a command, at most
// 15 params and no CR/LF/NUL anywhere outside tag values; to_utf8 always yields valid
// UTF-8; the mention text is never longer than the input; split pieces fit the size,
// never hold CR, LF or NUL, and are valid UTF-8 whenever the input was.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "channels/irc/irc_message.h"

namespace irc = simpleclaw::channels::irc;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
bool clean(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) == s.npos; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::size_t max = 8 + data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  if (auto m = irc::parse_line(in)) {
    check(!m->command.empty());
    check(m->params.size() <= irc::kMaxParams);
    check(clean(m->prefix) && clean(m->command));
    for (const auto& p : m->params) check(clean(p));
    (void)irc::prefix_nick(m->prefix);
    (void)m->tag("msgid");
  }

  std::string text = irc::to_utf8(irc::strip_formatting(in));
  check(simpleclaw::valid_utf8(text));
  auto mention = irc::detect_mention(text, "scbot");
  check(mention.text.size() <= text.size());
  check(simpleclaw::valid_utf8(mention.text));

  bool was_utf8 = simpleclaw::valid_utf8(in);
  for (const auto& piece : irc::split_text(in, max)) {
    check(!piece.empty() && piece.size() <= max);
    check(clean(piece));
    if (was_utf8) check(simpleclaw::valid_utf8(piece));
  }
  (void)irc::casefold(in);
  (void)irc::valid_target(in);
  return 0;
}
