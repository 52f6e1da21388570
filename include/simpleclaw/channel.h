// The channel SDK: what a messaging-platform connector (Telegram, IRC, Discord, Slack,
// an out-of-process plugin, ...) implements, and what the gateway offers it. A channel
// only moves messages: it never decides who may talk to which agent, never retries on
// its own schedule and never chunks text. The channel manager (src/channels) does all
// of that the same way for every platform:
//
//   platform --(Channel)--> ChannelHost::inbound --> access control, binding, session
//   key, chat run --> reply chunked to max_text() --> Channel::send, one at a time, kept
//   and retried across reconnects until the platform took it.
//
// Connection life: the manager calls start(); the channel connects and reports
// connected() once its inbound path works (a first long poll answered, IRC 001
// welcome, Discord READY). Any failure is reported once as disconnected(error) and the
// channel then sits idle: the manager calls stop() and, after a backoff with jitter,
// start() again on the same object (so Discord can resume, Telegram keeps its offset).
// After repeated failures, or when the inbound path goes quiet for longer than the
// liveness window (stuck), the manager reconnects it the same way, and after
// `restart_after_failures` in a row it destroys the object and makes a fresh one.
//
// Liveness is judged on the inbound path: call alive() whenever the platform proves it
// is still talking to us (a long poll returned, even empty; a PING; a heartbeat ACK) and
// set_liveness_window() to how long silence may last before that is a stall.
//
// Threading: everything runs on the gateway's loop thread (host.io()); callbacks from
// the host and into it happen there only. Blocking is never allowed: use async I/O on
// host.io(). stop() is synchronous: when it returns, no host callback may happen any
// more (guard completions with a weak token). A send() still in flight at stop() gets
// its `done` called with an error, posted, never inline.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "simpleclaw/result.h"

namespace boost::asio {
class io_context;
}

namespace simpleclaw::sdk {

// A conversation on the platform: where a message came from and where its reply goes.
struct Peer {
  std::string chat_id;  // DM: the conversation's id; group: the group/channel id
  bool group = false;
  std::string thread_id;  // optional: a thread/topic inside the conversation
  // Outbound DMs only: the user to address when the host knows the user but not the DM
  // conversation (an approval re-offered after a restart: the session key names only
  // the user). chat_id then holds the same id, which is the DM's id where the two are
  // equal (Telegram, IRC); a channel whose DMs have ids of their own (Discord, Slack)
  // opens or looks up the DM with this user instead, failing the send if it cannot.
  std::string user_id;
};

struct InboundMessage {
  std::string message_id;   // unique within the account (idempotency across redelivery)
  std::string sender_id;    // stable platform user id: the only thing access control trusts
  std::string sender_name;  // display name: for logs and prompts, never for access
  Peer peer;
  std::string text;        // UTF-8; "/approve ..." commands are handled by the host
  bool mentioned = false;  // group messages: the bot was addressed (mention, reply, nick:)
  // The platform's id of the message for a reply to thread under, when it is not
  // message_id (Telegram: message_id here is the bot-wide update id, the reply needs the
  // chat's message id). "" = message_id.
  std::string reply_id;
};

// An inline button (approvals). `data` comes back in ButtonPress; at most 64 bytes.
struct Button {
  std::string label;
  std::string data;
};

struct OutboundMessage {
  Peer peer;
  std::string text;             // at most max_text() bytes (the host chunks)
  std::vector<Button> buttons;  // only when supports_buttons()
  std::string reply_to;         // platform message id to thread under, optional
};

struct ButtonPress {
  std::string sender_id;  // who pressed it (access checked by the host)
  std::string sender_name;
  Peer peer;
  std::string data;  // Button::data
};

// What the gateway offers a channel account. Owned by the manager; outlives the channel.
class ChannelHost {
 public:
  virtual ~ChannelHost() = default;
  virtual boost::asio::io_context& io() = 0;
  virtual const std::string& channel_name() const = 0;  // "telegram"
  virtual const std::string& account_id() const = 0;    // "default", or the accounts.<id> key
  // The account's settings as written in config.yaml (after ${ENV} substitution):
  // common keys (enabled, agent, allow_from, ...) and the channel's own (token, server...).
  virtual const Json& settings() const = 0;
  // A private directory for this account's durable state (created, mode 0700), e.g.
  // <state>/channels/telegram/default.
  virtual const std::string& state_dir() const = 0;

  // A platform message. `handled` is called once the message is durable in the
  // transcript (or was refused/ignored): only then may the channel acknowledge it to
  // the platform (advance an offset, ack an envelope). Never called inline. When the
  // gateway cannot store it (disk full, read-only, shutting down) and the channel
  // redelivers(), `handled` is never called: the host fails the connection instead
  // (disconnected, then stop() and start() after a backoff) so the platform sends the
  // message again; a channel that does not redeliver gets `handled` and the sender an
  // error reply.
  virtual void inbound(InboundMessage m, std::function<void()> handled) = 0;
  // An inline button was pressed.
  virtual void button(ButtonPress p) = 0;

  virtual void connected(const std::string& detail) = 0;    // e.g. "@my_bot", "irc.example:6697"
  virtual void disconnected(const std::string& error) = 0;  // what failed, never a secret
  virtual void alive() = 0;                                 // inbound path proved live
  virtual void set_liveness_window(std::chrono::milliseconds window) = 0;
  // A structured diagnostic record (JSON line in the log), e.g. ("rate_limited", {...}).
  virtual void diagnostic(const std::string& event, Json fields) = 0;
};

class Channel {
 public:
  virtual ~Channel() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  // Sends one message (already at most max_text() bytes). done(ok) once the platform
  // accepted it; an error means it was not delivered (the host retries later).
  virtual void send(OutboundMessage m, std::function<void(Status)> done) = 0;
  // "typing..." where the platform has it; fire and forget.
  virtual void typing(const Peer& peer) {}
  virtual std::size_t max_text() const = 0;  // bytes per message
  virtual bool supports_buttons() const { return false; }
  // The platform sends a message again until the channel acknowledges it (Telegram's
  // offsets, Slack's envelope acks): an unacknowledged message is not lost.
  virtual bool redelivers() const { return false; }
  // channels.logout: forget the platform session/credentials this account holds in its
  // state dir (the config's token stays; the operator removes that).
  virtual Status logout() { return Ok{}; }
  // Extra fields for channels.status (e.g. {"botUsername":"x"}).
  virtual Json status_extra() const { return Json::object(); }
};

using ChannelFactory = std::function<std::unique_ptr<Channel>(ChannelHost& host)>;

}  // namespace simpleclaw::sdk
