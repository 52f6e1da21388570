// The Slack wire format without any I/O: Socket Mode envelopes parsed into the SDK's
// InboundMessage / ButtonPress, the chat.postMessage body built from an OutboundMessage,
// the mention and entity handling of message text, and the bounded cache that keeps the
// `message` and `app_mention` events for one post from both being delivered. Kept apart
// from the connection code so that every branch is testable from a table, and so the
// fuzz target for channel payloads can call parse_envelope() directly.
//
// Threading: pure functions are callable from any thread; RecentIds is a plain value
// owned by the channel (loop thread).
#pragma once
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>

#include "simpleclaw/channel.h"

namespace simpleclaw::channels::slack {

// Limits on what the network may hand us. Slack's own limits are lower; these only keep
// a broken or hostile peer from making us allocate or log without bound.
inline constexpr std::size_t kMaxFrameBytes = 1 << 20;          // one Socket Mode frame
inline constexpr std::size_t kMaxApiReplyBytes = 1 << 20;       // one Web API answer
inline constexpr std::size_t kMaxEnvelopeIdBytes = 256;         // longer ids are not acked
inline constexpr std::size_t kMaxInboundTextBytes = 64 * 1024;  // Slack caps at 40k chars
inline constexpr std::size_t kMaxIdBytes = 256;                 // user/channel/ts fields
inline constexpr std::size_t kMaxButtonValueBytes = 2000;       // Slack's own cap on value

// Who we are on Slack (auth.test): our messages are ignored, <@user_id> is a mention.
struct Identity {
  std::string user_id;  // U...
  std::string bot_id;   // B...
  std::string user;     // the bot's user name (for "@name" in connected())
};

struct Envelope {
  enum Kind {
    kHello,       // the socket is ready
    kMessage,     // `message` carries a message for the host (an event or a slash command)
    kButton,      // `button` carries a block_actions press
    kDisconnect,  // Slack wants us to reconnect; `reason` is Slack's reason
    kIgnored,     // well-formed but not for us (bot message, edit, other event type)
    kMalformed,   // not JSON, not an object, or fields of the wrong type/size
  };
  Kind kind = kIgnored;
  std::string envelope_id;  // "" = nothing to acknowledge
  std::string dedupe_key;   // kMessage: channel + ":" + ts (== message.message_id)
  sdk::InboundMessage message;
  sdk::ButtonPress button;
  std::string reason;  // kIgnored / kMalformed: why (for a diagnostic); kDisconnect: Slack's
};

// Parses one text frame from the Socket Mode WebSocket. Never throws; anything it cannot
// use is kIgnored/kMalformed with a reason, and still carries the envelope_id when one
// could be read, so the caller acknowledges it (Slack would otherwise redeliver it).
Envelope parse_envelope(std::string_view frame, const Identity& me);

// Removes every <@USERID> and <@USERID|name> for `user_id`; returns whether one was found.
bool strip_mention(std::string& text, std::string_view user_id);

// Slack escapes &, < and > in message text; these turn the three back and forth. Other
// <...> entities (links, channel refs) are left as they are.
std::string unescape_text(std::string_view s);
std::string escape_text(std::string_view s);

// The chat.postMessage JSON body: channel, text, thread_ts (peer.thread_id only: a
// reply to a top-level message stays at the top level) and, with buttons, blocks:
// the text as section blocks (3000 bytes each, Slack's limit) and one actions block with a
// button per Button (value = data, action_id unique within the message).
Json build_post_message(const sdk::OutboundMessage& m);

// A bounded set of recently delivered message keys (oldest forgotten first).
class RecentIds {
 public:
  explicit RecentIds(std::size_t capacity = 1024) : capacity_(capacity) {}
  // True when `key` was not seen before (and remembers it).
  bool insert(const std::string& key);
  bool contains(const std::string& key) const { return set_.count(key) != 0; }
  std::size_t size() const { return order_.size(); }

 private:
  std::size_t capacity_;
  std::deque<std::string> order_;
  std::unordered_set<std::string> set_;
};

}  // namespace simpleclaw::channels::slack
