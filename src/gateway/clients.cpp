#include "gateway/clients.h"

#include <algorithm>
#include <map>

namespace simpleclaw::gateway {

using protocol::Encoding;
using protocol::SharedPayload;
using protocol::SharedPayloadPtr;

std::string_view role_name(Role r) { return r == Role::kNode ? "node" : "operator"; }

std::string Client::who() const {
  std::string name = client_info.value("displayName", "");
  if (name.empty()) name = client_info.value("id", "operator");
  return name + " (" + conn_id.substr(0, 8) + ")";
}

bool Audience::includes(const Client& c) const {
  if (!c.authed || !c.transport) return false;
  if (scope != protocol::Scope::kNone && (c.role != Role::kOperator || !c.scopes.has(scope)))
    return false;
  if (owner && !c.user.empty() && c.user != *owner) return false;
  if (subscribers_only && !c.sessions_subscribed) return false;
  if (!watched_key.empty() && !c.sessions_subscribed && !c.watch_all &&
      !c.watched.contains(watched_key))
    return false;
  if (!followed_key.empty() && !c.followed.contains(followed_key)) return false;
  return true;
}

void ClientTable::deliver_relayed(const Relayed& e) {
  relaying_ = true;
  if (e.delta)
    stream_delta(e.event, std::string(e.run_id), e.payload, e.audience);
  else
    broadcast(e.event, e.payload, e.audience, e.droppable);
  relaying_ = false;
}

bool ClientTable::any(const Audience& audience) const {
  if (relay_) return true;
  for (const auto& [id, c] : clients_)
    if (audience.includes(c)) return true;
  return false;
}

// One event to many sockets: the head and the payload are encoded once per encoding and
// shared by every socket's frame; only the tail (seq, stateVersion) is per socket.
class ClientTable::Fanout {
 public:
  Fanout(std::string_view event, const SharedPayload* payload, const Json* sv)
      : event_(event), payload_(payload), sv_(sv && !sv->is_null() ? sv : nullptr) {}
  OutFrame frame(Encoding enc, std::uint64_t seq) {
    Bytes& head = heads_[static_cast<int>(enc)];
    if (!head)
      head = protocol::encode_event_head(event_, payload_ != nullptr, true, sv_ != nullptr, enc);
    return OutFrame{head, payload_ ? payload_->encoded_ptr(enc) : nullptr,
                    protocol::encode_event_tail(payload_ != nullptr, seq, sv_, enc)};
  }

 private:
  std::string_view event_;
  const SharedPayload* payload_;
  const Json* sv_;
  Bytes heads_[2];
};

Client& ClientTable::add(std::shared_ptr<Transport> t, const PeerInfo& peer, std::string conn_id,
                         std::string nonce, std::int64_t now_ms) {
  std::uint64_t id = next_id_++;
  Client& c = clients_[id];
  c.id = id;
  c.conn_id = std::move(conn_id);
  c.transport = std::move(t);
  c.peer = peer;
  c.enc = peer.msgpack ? Encoding::kMsgpack : Encoding::kJson;
  c.nonce = std::move(nonce);
  c.connected_at_ms = now_ms;
  return c;
}

Client* ClientTable::find(std::uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : &it->second;
}

void ClientTable::erase(std::uint64_t id) { clients_.erase(id); }

bool ClientTable::reserve_preauth(const std::string& ip, int max_per_ip) {
  int& n = preauth_by_ip_[ip];
  if (n >= max_per_ip) return false;
  ++n;
  return true;
}

void ClientTable::release_preauth_ip(const std::string& ip) {
  auto it = preauth_by_ip_.find(ip);
  if (it != preauth_by_ip_.end() && --it->second <= 0) preauth_by_ip_.erase(it);
}

void ClientTable::release_preauth(Client& c) {
  if (!c.counted_preauth) return;
  c.counted_preauth = false;
  release_preauth_ip(c.peer.remote_ip);
}

void ClientTable::send_res(Client& c, const Json& id, const Result<protocol::MethodResult>& r) {
  if (!c.transport) return;
  OutFrame f;
  if (!r.ok()) {
    ++metrics_.request_errors;
    f.head = std::make_shared<const std::string>(protocol::encode_res_error(id, r.error(), c.enc));
  } else if (r->shared) {
    f = protocol::res_ok_frame(id, *r->shared, c.enc);  // the payload bytes are not copied
  } else {
    f.head = std::make_shared<const std::string>(protocol::encode_res_ok(id, r->json, c.enc));
  }
  c.transport->send(std::move(f), false);
}

void ClientTable::send_event(Client& c, Fanout& fanout, bool droppable) {
  // Held deltas go first, so a final never overtakes the delta before it.
  if (!c.held.empty()) flush_held(c);
  std::uint64_t seq = ++c.seq;  // advances even when the frame is dropped (SPEC §3)
  if (c.transport->send(fanout.frame(c.enc, seq), droppable)) {
    ++metrics_.events_sent;
  } else {
    ++metrics_.events_dropped;
  }
}

void ClientTable::broadcast(std::string_view event, Json payload, const Audience& audience,
                            bool droppable, const Json* state_version) {
  if (relay_ && !relaying_) relay_(Relayed{false, event, {}, payload, audience, droppable});
  SharedPayload shared(std::move(payload));
  Fanout fanout(event, &shared, state_version);
  for (auto& [id, c] : clients_)
    if (audience.includes(c)) send_event(c, fanout, droppable);
}

void ClientTable::broadcast_views(
    std::string_view event, const SharedPayloadPtr& admin_view,
    const std::function<SharedPayloadPtr(const std::string&)>& user_view, const Audience& audience,
    bool droppable, const Json* state_version) {
  Fanout admin_fanout(event, admin_view.get(), state_version);
  // One encoding per user, not per socket; the views stay alive until the loop ends.
  std::map<std::string, std::pair<SharedPayloadPtr, Fanout>, std::less<>> users;
  for (auto& [id, c] : clients_) {
    if (!audience.includes(c)) continue;
    if (c.user.empty()) {
      send_event(c, admin_fanout, droppable);
      continue;
    }
    auto it = users.find(c.user);
    if (it == users.end()) {
      SharedPayloadPtr v = user_view(c.user);
      const SharedPayload* raw = v.get();
      it = users.try_emplace(c.user, std::move(v), Fanout(event, raw, state_version)).first;
    }
    send_event(c, it->second.second, droppable);
  }
}

namespace {

// `newer` absorbs `older`: the text appended since the delta the client last got is the
// older delta's text followed by the newer one's; everything else (cumulative message,
// per-run seq, ts) is the newer one's.
void merge_delta(const Json& older, Json& newer) {
  if (newer.contains("deltaText")) {  // chat
    newer["deltaText"] = older.value("deltaText", "") + newer.value("deltaText", "");
  } else if (newer.contains("data") && older.contains("data")) {  // agent assistant
    newer["data"]["delta"] = older["data"].value("delta", "") + newer["data"].value("delta", "");
  }
}

}  // namespace

// Streaming deltas carry the cumulative text, so a socket that is still writing earlier
// frames needs only the newest one per run: it is held back (merged with any delta already
// held) and sent when the socket drains. A fast socket gets each delta at once; a slow
// one gets fewer, larger deltas, and its buffer holds at most one delta per run instead
// of every cumulative copy. Nothing is lost: merged deltaText still concatenates to the
// full text.
void ClientTable::stream_delta(std::string_view event, const std::string& run_id, Json payload,
                               const Audience& audience) {
  if (relay_ && !relaying_) relay_(Relayed{true, event, run_id, payload, audience, true});
  std::optional<SharedPayload> shared;  // encoded once, only if some socket is idle
  std::optional<Fanout> fanout;
  for (auto& [id, c] : clients_) {
    if (!audience.includes(c)) continue;
    if (c.transport->buffered_bytes() == 0) {  // idle socket (send_event flushes any held)
      if (!fanout) {
        shared.emplace(payload);
        fanout.emplace(event, &*shared, nullptr);
      }
      send_event(c, *fanout, true);
      continue;
    }
    auto it = std::find_if(c.held.begin(), c.held.end(), [&](const Client::HeldDelta& h) {
      return h.event == event && h.run_id == run_id;
    });
    if (it == c.held.end()) {
      c.held.push_back(Client::HeldDelta{std::string(event), run_id, payload});
    } else {
      Json merged = payload;
      merge_delta(it->payload, merged);
      it->payload = std::move(merged);
    }
    ++metrics_.deltas_coalesced;
  }
}

void ClientTable::flush_held(Client& c) {
  std::vector<Client::HeldDelta> held = std::move(c.held);
  c.held.clear();
  for (Client::HeldDelta& h : held) {
    SharedPayload shared(std::move(h.payload));
    Fanout fanout(h.event, &shared, nullptr);
    send_event(c, fanout, true);
  }
}

bool ClientTable::send_to(std::uint64_t id, std::string_view event, Json payload) {
  Client* c = find(id);
  if (!c || !c->authed || !c->transport) return false;
  SharedPayload shared(std::move(payload));
  Fanout fanout(event, &shared, nullptr);
  send_event(*c, fanout, false);
  return true;
}

void ClientTable::on_drained(std::uint64_t id) {
  Client* c = find(id);
  if (c && !c->held.empty()) flush_held(*c);
}

}  // namespace simpleclaw::gateway
