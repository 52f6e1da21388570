// The Discord gateway's wire format without any I/O: one text frame from the gateway
// WebSocket (API v10, JSON encoding) parsed into what the channel acts on. That is the
// envelope (op code, sequence number, event type), HELLO's heartbeat interval, op 9's
// resumable flag, READY's session, and MESSAGE_CREATE / INTERACTION_CREATE (component
// presses) as the SDK's InboundMessage / ButtonPress. Kept apart from the connection code
// so that every branch is testable from a table, and so the fuzz target for channel
// payloads can call parse_gateway() directly.
//
// Threading: pure functions, callable from any thread. Nothing here throws: what cannot
// be used comes back as kIgnored or kMalformed with a reason for a diagnostic.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "simpleclaw/channel.h"

namespace simpleclaw::channels::discord {

// Limits on what the network may hand us. Discord's own limits are lower; these only keep
// a broken or hostile peer from making us allocate, store or log without bound.
inline constexpr std::size_t kMaxFrameBytes = 4u << 20;      // one gateway frame (WS limit too)
inline constexpr std::size_t kMaxContentBytes = 64 * 1024;   // Discord caps at 4000 chars
inline constexpr std::size_t kMaxEventTypeBytes = 64;        // "t": MESSAGE_CREATE and such
inline constexpr std::size_t kMaxSessionIdBytes = 256;       // READY's session_id (32 hex)
inline constexpr std::size_t kMaxUrlBytes = 2048;            // resume_gateway_url
inline constexpr std::size_t kMaxAttachmentUrlBytes = 2000;  // attachment URLs are clipped
inline constexpr std::size_t kMaxCustomIdBytes = 100;        // Discord's own cap on custom_id
inline constexpr std::size_t kMaxInteractionTokenBytes = 1024;
inline constexpr std::size_t kMaxNameBytes = 100;      // sender and bot names are clipped
inline constexpr std::size_t kMaxFilenameBytes = 200;  // attachment names are clipped
inline constexpr std::size_t kMaxAttachments = 10;     // more are left out of the text

// Who we are (READY's user): our own messages are ignored, <@id> is a mention.
struct Identity {
  std::string user_id;  // "" before READY
};

// What READY tells us: the session to resume and our own user.
struct Ready {
  std::string session_id;
  std::string resume_gateway_url;  // "" when absent or too long; the scheme is the caller's
  std::string user_id;             // a snowflake
  std::string username;            // at most kMaxNameBytes
};

struct GatewayEvent {
  enum Kind {
    kHello,             // op 10: heartbeat_interval
    kHeartbeatAck,      // op 11
    kHeartbeatRequest,  // op 1: the server wants a heartbeat now
    kReconnect,         // op 7: reconnect and resume
    kInvalidSession,    // op 9: resumable
    kReady,             // dispatch READY: ready
    kResumed,           // dispatch RESUMED
    kMessage,           // dispatch MESSAGE_CREATE for the host: message
    kButton,            // dispatch INTERACTION_CREATE, a component press: button + interaction
    kNoContent,         // MESSAGE_CREATE from a user with no text (usually the MESSAGE CONTENT
                        // intent is missing): message.message_id and peer.chat_id only
    kIgnored,           // well-formed but not for us (bot, system message, other event)
    kMalformed,         // not a gateway payload, or fields of the wrong type or size
  };
  Kind kind = kIgnored;
  std::optional<std::int64_t> op;   // nullopt: not a gateway payload at all
  std::optional<std::int64_t> seq;  // "s" when an integer: the new last sequence number
  std::string type;                 // op 0: the event type "t" (bounded)
  std::string reason;               // kIgnored / kMalformed: why (bounded, valid UTF-8)
  std::chrono::milliseconds heartbeat_interval{0};  // kHello: clamped to [50 ms, 10 min]
  bool resumable = false;                           // kInvalidSession
  Ready ready;                                      // kReady
  sdk::InboundMessage message;                      // kMessage (kNoContent: ids only)
  sdk::ButtonPress button;                          // kButton
  std::string interaction_id, interaction_token;    // kButton: for the callback (the ACK)
};

// Parses one text frame from the gateway. `me` decides mentions and our own messages.
// Never throws. A malformed READY comes back as kMalformed with type "READY" (the caller
// cannot go on without a session); every other kMalformed is only worth a diagnostic.
GatewayEvent parse_gateway(std::string_view frame, const Identity& me);

// A Discord id: 1..20 decimal digits.
bool is_snowflake(std::string_view s);

// An interaction token: it goes into a URL path, so only [A-Za-z0-9._-], 1..1024 bytes.
bool is_url_token(std::string_view s);

// At most `n` bytes of valid UTF-8 `s`, not cutting a sequence.
std::string clip(std::string s, std::size_t n);

}  // namespace simpleclaw::channels::discord
