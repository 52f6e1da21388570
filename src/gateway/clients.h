// The client table and event fan-out: every WebSocket the gateway has accepted, what it
// authenticated as, and the one path by which answers and events reach sockets.
//
// Who gets an event is decided in one place, Audience::includes(): authenticated, an
// operator holding the event's scope (scope-less events go to nodes too), in shared mode
// the admin or the session's owner, and for sessions.changed only subscribers.
//
// Fan-out (Beast chat-multi, with shared bytes): an event's head and payload are encoded
// once per encoding and every socket's frame shares those bytes; only the tail (`seq`,
// `stateVersion`) is per socket. Every event addressed to a socket advances its `seq`,
// also when a droppable one is skipped for a slow socket (SPEC §3).
//
// Streaming deltas to a busy socket are held back, one per (event, run), merged, and sent
// when it drains (stream_delta): a slow client gets fewer, larger deltas that still add up
// to the reply.
//
// Threading: loop thread only. Transports are held by shared_ptr in the table and call
// back with the numeric client id, so a socket closing never leaves a dangling pointer.
#pragma once
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/protocol/codec.h"
#include "gateway/protocol/scopes.h"
#include "gateway/state/metrics.h"
#include "gateway/state/transport.h"

namespace simpleclaw::gateway {

enum class Role : std::uint8_t { kOperator, kNode };
std::string_view role_name(Role r);  // "operator" | "node"

struct Client {
  std::uint64_t id = 0;
  std::string conn_id;  // uuid, shown to the client in hello-ok
  std::shared_ptr<Transport> transport;
  PeerInfo peer;
  protocol::Encoding enc = protocol::Encoding::kJson;
  bool authed = false;
  bool admitting = false;       // the connect waits for the Authenticator (pairing store I/O)
  bool counted_preauth = true;  // holds one of its IP's unauthenticated slots
  std::string nonce;            // the connect.challenge nonce
  std::int64_t connected_at_ms = 0;
  std::uint64_t seq = 0;  // last event seq sent (or dropped) on this socket
  Role role = Role::kOperator;
  protocol::ScopeSet scopes;
  Json client_info;       // connect.params.client
  std::string device_id;  // a device identity that proved its key (else "")
  // Shared mode: the user this socket authenticated as ("" = the admin: the gateway
  // token, password or a paired device) and a fingerprint of that user's token and
  // grants; a change of either closes the socket with 4001 (LiveConfig::reload_users).
  std::string user;
  std::string user_grant;
  // sessions.subscribe: gets sessions.changed, and every session's streaming deltas.
  bool sessions_subscribed = false;
  // The canonical keys whose streaming deltas this socket gets: the sessions it sent to
  // (chat.send, sessions.send, agent), read (chat.history, chat.startup, sessions.get) or
  // followed (sessions.messages.subscribe); at most kMaxWatched, beyond which it gets
  // every session's deltas (watch_all) rather than miss one it asked for.
  static constexpr std::size_t kMaxWatched = 64;
  std::set<std::string, std::less<>> watched;
  bool watch_all = false;
  // sessions.messages.subscribe: the keys whose transcript appends this socket gets as
  // `session.message` (at most kMaxWatched; beyond that the subscribe is refused).
  std::set<std::string, std::less<>> followed;
  // Adds `key` to `watched` (or, when full, turns watch_all on).
  void watch(std::string_view key) {
    if (watch_all || watched.contains(key)) return;
    if (watched.size() < kMaxWatched)
      watched.emplace(key);
    else
      watch_all = true;
  }
  // Streaming deltas held back while this socket's previous frames are still being
  // written: one per (event, run), merged (see ClientTable::stream_delta).
  struct HeldDelta {
    std::string event;  // "chat" | "agent"
    std::string run_id;
    Json payload;
  };
  std::vector<HeldDelta> held;
  std::unique_ptr<boost::asio::steady_timer> handshake_timer;

  // Display name for logs and `resolvedBy`: displayName, else the client id, and the
  // first 8 characters of the connection id.
  std::string who() const;
};

// Which sockets an event goes to.
struct Audience {
  protocol::Scope scope = protocol::Scope::kNone;  // kNone: every authenticated socket
  // Shared mode: set = only the admin and the user owning the event's session ("" = the
  // admin only: no user is named "").
  std::optional<std::string_view> owner;
  bool subscribers_only = false;  // only sockets that called sessions.subscribe
  // Set: only sockets that watch this session (Client::watched), watch all, or called
  // sessions.subscribe (streaming deltas).
  std::string_view watched_key;
  // Set: only sockets following this session's messages (Client::followed).
  std::string_view followed_key;
  bool includes(const Client& c) const;
};

class ClientTable {
 public:
  explicit ClientTable(Metrics& metrics) : metrics_(metrics) {}

  Client& add(std::shared_ptr<Transport> t, const PeerInfo& peer, std::string conn_id,
              std::string nonce, std::int64_t now_ms);
  Client* find(std::uint64_t id);
  void erase(std::uint64_t id);
  std::size_t size() const { return clients_.size(); }
  template <typename Fn>
  void for_each(Fn fn) {
    for (auto& [id, c] : clients_) fn(c);
  }
  template <typename Fn>
  void for_each(Fn fn) const {
    for (const auto& [id, c] : clients_) fn(c);
  }

  // Unauthenticated sockets per IP (SPEC §2): reserve one at upgrade time; false = over
  // the cap. A socket gives its slot back when it authenticates or closes.
  bool reserve_preauth(const std::string& ip, int max_per_ip);
  void release_preauth_ip(const std::string& ip);
  void release_preauth(Client& c);

  // A res frame on `c`'s socket.
  void send_res(Client& c, const Json& id, const Result<protocol::MethodResult>& r);
  // An event to every socket in the audience. `state_version` (may be null) is added.
  void broadcast(std::string_view event, Json payload, const Audience& audience, bool droppable,
                 const Json* state_version = nullptr);
  // Like broadcast(), but the admin gets `admin_view` and each user user_view(name),
  // encoded once per user.
  void broadcast_views(
      std::string_view event, const protocol::SharedPayloadPtr& admin_view,
      const std::function<protocol::SharedPayloadPtr(const std::string&)>& user_view,
      const Audience& audience, bool droppable, const Json* state_version);
  // A streaming delta (chat delta, agent assistant) of run `run_id` (see above).
  // True if some socket is in `audience` (nothing to build a payload for otherwise).
  bool any(const Audience& audience) const;
  void stream_delta(std::string_view event, const std::string& run_id, Json payload,
                    const Audience& audience);
  // Cluster mode (gateway/cluster/event_relay.h): every broadcast and streaming delta is
  // also handed to the relay, which sends it to the other instances; there the event is
  // delivered with deliver_relayed() to their sockets by the same audience rules. any()
  // is then always true: some socket elsewhere may be in the audience.
  struct Relayed {
    bool delta = false;  // stream_delta (merged for busy sockets) rather than broadcast
    std::string_view event;
    std::string_view run_id;  // deltas
    const Json& payload;
    const Audience& audience;
    bool droppable = false;
  };
  using Relay = std::function<void(const Relayed&)>;
  void set_relay(Relay r) { relay_ = std::move(r); }
  void deliver_relayed(const Relayed& e);
  // One event to one socket; false when it is gone or not authenticated.
  bool send_to(std::uint64_t id, std::string_view event, Json payload);
  // The socket's outbound queue became empty: send what was held back for it.
  void on_drained(std::uint64_t id);

 private:
  class Fanout;
  void send_event(Client& c, Fanout& fanout, bool droppable);
  void flush_held(Client& c);

  Metrics& metrics_;
  Relay relay_;
  bool relaying_ = false;  // delivering an event from another instance: not relayed back
  std::unordered_map<std::uint64_t, Client> clients_;
  std::unordered_map<std::string, int> preauth_by_ip_;
  std::uint64_t next_id_ = 1;
};

}  // namespace simpleclaw::gateway
