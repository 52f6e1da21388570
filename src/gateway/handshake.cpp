#include "gateway/handshake.h"

#include "base/log.h"
#include "gateway/attachments.h"
#include "gateway/health.h"
#include "gateway/methods/table.h"
#include "gateway/node_hub.h"
#include "gateway/presence_feed.h"
#include "gateway/protocol/schemas.h"
#include "gateway/status.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {

using protocol::Scope;

void Handshake::fail(Client& c, const Json& id, const Error& e, std::uint16_t code) {
  ++metrics_.handshakes_failed;
  if (!id.is_null()) clients_.send_res(c, id, e);
  c.transport->close(code, e.message.substr(0, 120));  // close reasons are capped at 123 bytes
}

void Handshake::on_message(Client& c, std::string_view data, bool binary) {
  if (c.transport == nullptr) return;
  if (c.admitting) {
    // The connect is being admitted (the pairing store's I/O); a client waits for hello-ok.
    ++metrics_.handshakes_failed;
    c.transport->close(1008, "invalid handshake: wait for the connect's answer");
    return;
  }
  Result<Json> decoded = protocol::decode(data, binary, c.enc);
  if (!decoded.ok()) {
    ++metrics_.handshakes_failed;
    c.transport->close(1000, "invalid handshake: not JSON");
    return;
  }
  const Json& frame = *decoded;
  if (!frame.is_object() || frame.value("type", Json()) != "req") {
    ++metrics_.handshakes_failed;
    c.transport->close(1008, "invalid handshake: first frame must be a req");
    return;
  }
  Json id = frame.contains("id") && frame["id"].is_string() ? frame["id"] : Json();
  if (auto v = protocol::validate("frames/req", frame); !v.ok())
    return fail(c, id, Error::invalid("invalid request frame: " + v.error().message), 1008);
  if (frame["method"] != "connect")
    return fail(c, id, Error::invalid("invalid handshake: first request must be connect"), 1008);
  const Json params = frame.contains("params") ? frame["params"] : Json();
  if (auto v = protocol::validate("methods/connect.params", params); !v.ok())
    return fail(c, id, Error::invalid("invalid connect params: " + v.error().message), 1008);
  int minp = params["minProtocol"].get<int>(), maxp = params["maxProtocol"].get<int>();
  if (minp > kProtocolVersion || maxp < kProtocolVersion) {
    Error e = Error::invalid("protocol mismatch", "PROTOCOL_MISMATCH");
    e.details["expectedProtocol"] = kProtocolVersion;
    return fail(c, id, e, 1002);
  }
  c.admitting = true;
  auth_.admit(params, c.peer, c.nonce,
              [this, client = c.id, id, params](Result<Admission> admitted) {
                Client* cl = clients_.find(client);
                if (cl == nullptr || cl->transport == nullptr) return;  // gone meanwhile
                cl->admitting = false;
                if (!admitted.ok()) return fail(*cl, id, admitted.error(), 1008);
                welcome(*cl, id, params, std::move(admitted).value());
              });
}

void Handshake::welcome(Client& c, const Json& id, const Json& params, Admission admitted) {
  // Authenticated.
  const config::Config& cfg = config_.cfg();
  c.authed = true;
  c.role = admitted.role;
  std::vector<std::string> requested;
  if (params.contains("scopes"))
    for (const auto& s : params["scopes"]) requested.push_back(s.get<std::string>());
  c.scopes = c.role == Role::kOperator ? protocol::ScopeSet::negotiate(requested, admitted.granted)
                                       : protocol::ScopeSet();
  c.client_info = params["client"];
  if (admitted.device) c.device_id = admitted.device->device_id;
  if (admitted.user) {
    c.user = admitted.user->name;
    c.user_grant = admitted.user->fingerprint();
  }
  c.handshake_timer.reset();  // cancels the wait; an authenticated socket needs no deadline
  clients_.release_preauth(c);
  ++metrics_.handshakes_ok;
  c.transport->on_authenticated(static_cast<std::size_t>(cfg.gateway.limits.max_payload),
                                cfg.gateway.timers.ping_ms);
  // Presence first, so hello-ok's snapshot (presence + stateVersion) includes this client.
  // Operators and nodes alike; sockets of one instanceId share an entry.
  const bool presence_moved = presence_.connect(c);
  Json hello = hello_ok(c);
#ifndef NDEBUG
  if (auto v = protocol::validate("methods/connect.result", hello); !v.ok())
    log::error("hello-ok does not match its schema: {}", v.error().message);
  if (auto v = protocol::validate("methods/health.result", hello["snapshot"]["health"]); !v.ok())
    log::error("health snapshot does not match its schema: {}", v.error().message);
#endif
  if (admitted.device && !admitted.device->device_token.empty())
    hello["auth"]["deviceToken"] = std::move(admitted.device->device_token);
  clients_.send_res(c, id, protocol::MethodResult(std::move(hello)));
  if (c.role == Role::kNode) nodes_.node_connected(c, c.device_id, params);
  Json record{{"connId", c.conn_id},
              {"client", c.client_info.value("id", "?")},
              {"version", c.client_info.value("version", "?")},
              {"instanceId", c.client_info.value("instanceId", "")},
              {"ip", c.peer.remote_ip},
              {"role", role_name(c.role)}};
  if (!c.peer.proxy_ip.empty()) record["proxy"] = c.peer.proxy_ip;
  log::record("client.connect", std::move(record),
              fmt::format("client {} {} connected from {}{}{} as {}",
                          c.client_info.value("id", "?"), c.client_info.value("version", "?"),
                          c.peer.remote_ip, c.peer.proxy_ip.empty() ? "" : " via proxy ",
                          c.peer.proxy_ip, role_name(c.role)));
  if (presence_moved) presence_.changed();
}

Json Handshake::hello_ok(const Client& c) const {
  const config::Config& cfg = config_.cfg();
  Json methods = Json::array(), events = Json::array();
  // A shared-mode user is offered only what they may call, so their clients (the Control
  // UI's panels) hide what would be refused.
  for (const auto& m : method_table())
    if (c.user.empty() || m.shared != SharedRule::kAdminOnly) methods.push_back(m.name);
  for (auto e : event_names()) events.push_back(e);
  const std::string& default_agent = cfg.agents.default_id;
  return Json{
      {"type", "hello-ok"},
      {"protocol", kProtocolVersion},
      {"server", {{"version", SIMPLECLAW_VERSION}, {"connId", c.conn_id}}},
      {"features", {{"methods", methods}, {"events", events}}},
      {"snapshot",
       // The list needs operator.read, like `presence` events and system-presence: a node
       // (or a scope-less client) gets the gateway's own entry, so 10k nodes connecting
       // do not each receive an ever longer list. Shared mode: who else is connected is
       // the admin's to see; a user gets the gateway's own entry too.
       {{"presence",
         c.scopes.has(Scope::kRead) && c.user.empty() ? presence_.list() : presence_.self_only()},
        {"health", health_.snapshot(c.user)->json()},
        {"stateVersion", status_.state_version()},
        {"uptimeMs", status_.uptime_ms()},
        {"sessionDefaults",
         {{"defaultAgentId", default_agent},
          {"mainKey", sessions::kMainKey},
          {"mainSessionKey", sessions::main_session_key(default_agent)},
          {"scope", "per-sender"}}},
        {"authMode", config_.auth().mode}}},
      {"auth",
       c.user.empty()
           ? Json{{"role", role_name(c.role)}, {"scopes", c.scopes.names()}}
           : Json{{"role", role_name(c.role)}, {"scopes", c.scopes.names()}, {"user", c.user}}},
      {"policy",
       {{"maxPayload", cfg.gateway.limits.max_payload},
        {"maxBufferedBytes", cfg.gateway.limits.max_buffered},
        {"tickIntervalMs", cfg.gateway.timers.tick_ms},
        {"attachments", attachments_policy(cfg.sessions.attachments)}}}};
}

}  // namespace simpleclaw::gateway
