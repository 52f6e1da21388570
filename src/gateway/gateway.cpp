#include "gateway/gateway.h"

#include <malloc.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstring>
#include <fstream>

#include "base/ids.h"
#include "base/log.h"
#include "base/prom_text.h"
#include "config/yaml_json.h"
#include "gateway/methods/table.h"
#include "gateway/protocol/schemas.h"
#include "gateway/runtime.h"
#include "gateway/server/server.h"
#include "plugins/registry.h"

namespace simpleclaw::gateway {

using protocol::Encoding;
using protocol::Scope;
using protocol::SharedPayload;
using protocol::SharedPayloadPtr;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

// The owner of events only the admin gets (broadcast's `owner`): no user is named "".
const std::string kAdminsOnly;

std::string hostname() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

std::int64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  long long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

// "http://localhost:5173" -> "localhost"; "" when it does not look like an origin.
std::string origin_host(std::string_view origin) {
  auto p = origin.find("://");
  if (p == std::string_view::npos) return {};
  std::string_view rest = origin.substr(p + 3);
  if (!rest.empty() && rest.front() == '[') {
    auto e = rest.find(']');
    return e == std::string_view::npos ? std::string{} : std::string(rest.substr(0, e + 1));
  }
  return std::string(rest.substr(0, rest.find_first_of(":/")));
}

std::string strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') return std::string(host.substr(0, host.find(']') + 1));
  return std::string(host.substr(0, host.find(':')));
}

}  // namespace

Gateway::Gateway(boost::asio::io_context& io, RuntimeInfo info, config::Config cfg,
                 config::FileState file, AuthSettings auth)
    : io_(io),
      info_(std::move(info)),
      cfg_(std::move(cfg)),
      file_(std::move(file)),
      auth_(std::move(auth)),
      presence_(Json{{"host", hostname()},
                     {"ip", "127.0.0.1"},
                     {"version", SIMPLECLAW_VERSION},
                     {"platform", "linux"},
                     {"mode", "gateway"},
                     {"reason", "self"},
                     {"text", "simpleclaw gateway"},
                     {"ts", now_ms()}}),
      started_(std::chrono::steady_clock::now()),
      started_wall_ms_(now_ms()),
      tick_timer_(io),
      maintenance_timer_(io),
      shutdown_timer_(io),
      presence_timer_(io),
      loop_monitor_(io),
      catalog_(io) {
  config_reload_ = Json{{"lastReloadAt", nullptr}, {"ok", true}, {"restartRequired", false}};
  metrics_.rpc.resize(method_table().size() + 1);  // + unknown methods
  std::vector<providers::Api> apis;
  for (const auto& p : plugins::builtin_registry().providers()) apis.push_back(p.api);
  catalog_.set_apis(std::move(apis));
  catalog_.set_config(cfg_.models);
  reload_users();
  refresh_health(false);
}

Gateway::~Gateway() {
  channels_.reset();  // connectors first: they hand messages to the chat service
  plugins_.reset();
  chat_.reset();  // before the worker: its completions refer to the service
  tools_.reset();
  if (db_) db_->stop();  // queued writes are committed before the process exits
}

Status Gateway::open_store(const std::string& path) {
  auto store = sessions::SessionStore::open(path);
  if (!store.ok()) return store.error();
  auto marked = store->recover(now_ms());
  if (!marked.ok()) return marked.error();
  if (*marked > 0)
    log::warn("{} run(s) were interrupted by the last shutdown; marked as failed", *marked);
  db_ = std::make_unique<sessions::DbWorker>(io_, std::move(store).value());
  nodes_ = std::make_unique<NodeHub>(
      io_,
      [this](std::uint64_t client_id, const char* event, Json payload) {
        return send_event_to(client_id, event, std::move(payload));
      },
      [this](const char* event, Json payload, Scope scope) {
        broadcast(event, std::move(payload), scope, false);
      },
      [this](const std::string& device_id, const std::string& why) {
        for (auto& [id, c] : clients_)
          if (c.device_id == device_id && c.transport) c.transport->close(1008, why);
      });
  if (auto s = nodes_->open(info_.state_dir); !s.ok()) return s.error();
  nodes_->set_config(cfg_.nodes);
  tools_ = std::make_unique<AgentTools>(
      io_, *db_, *this, info_.state_dir,
      [this](const std::string& agent, const std::vector<std::string>& patterns) {
        persist_allow(agent, patterns);
      },
      [this](const std::string& channel, const std::string& to, const std::string& text,
             const std::string& from_agent, std::function<void(Result<std::string>)> done) {
        deliver_message(channel, to, text, from_agent, std::move(done));
      },
      plugins::builtin_registry());
  tools_->set_config(cfg_);
  tools_->approvals().on_orphan_allow_always = [this](const tools::ApprovalRecord& r) {
    std::vector<std::string> patterns;
    if (r.request.contains("allowAlwaysPatterns") && r.request["allowAlwaysPatterns"].is_array())
      for (const Json& p : r.request["allowAlwaysPatterns"])
        if (p.is_string()) patterns.push_back(p.get<std::string>());
    persist_allow(r.request.value("agentId", ""), patterns);
  };
  tools_->start(nullptr);
  chat_ = std::make_unique<agents::ChatService>(io_, *db_, catalog_, *this, info_.state_dir);
  chat_->set_config(cfg_);
  chat_->set_tools(&tools_->runner());
  return Ok{};
}

std::string Gateway::start_plugins() {
  plugins_ = std::make_unique<plugins::PluginHost>(io_, info_.state_dir);
  auto problems = plugins_->configure(config::detail::section(cfg_.doc, "plugins"),
                                      config::detail::section(cfg_.doc, "channels"));
  plugins_->start();
  tools_->runner().add_provider(plugins_->tool_provider());
  catalog_.set_plugins(plugins_->provider_models());
  Json list = plugins_->list_json();
  return std::to_string(list["plugins"].size()) + " discovered" +
         (problems.empty() ? ""
                           : ", " + std::to_string(problems.size()) + " problem(s) (plugins.list)");
}

std::string Gateway::start_channels() {
  // Accounts connect in the background: a platform that cannot be reached never delays
  // readiness (SPEC §1 start-up order).
  channels_ = std::make_unique<channels::ChannelManager>(io_, info_.state_dir, *this,
                                                         plugins::builtin_registry());
  channels_->set_extra_factories([this](const std::string& name) {
    return plugins_ ? plugins_->channel_factory(name) : sdk::ChannelFactory();
  });
  configure_channels();
  refresh_health(false);  // the first snapshot clients see already lists channels and plugins
  Json order = channels_->status_json()["channelOrder"];
  std::string names;
  for (const Json& n : order) names += (names.empty() ? "" : ", ") + n.get<std::string>();
  return std::to_string(order.size()) + " configured (" + names + ")";
}

void Gateway::configure_channels() {
  if (!channels_) return;
  channels_->configure(config::detail::section(cfg_.doc, "channels"),
                       config::detail::array_at(cfg_.doc, "bindings"), cfg_.agents.default_id);
}

void Gateway::submit(channels::Submission s, std::function<void(Status)> accepted) {
  agents::SendParams p;
  p.session_key = std::move(s.session_key);
  p.message = std::move(s.text);
  p.idempotency_key = std::move(s.run_id);
  p.agent_id = std::move(s.agent_id);
  chat_->send(std::move(p), [accepted = std::move(accepted)](Result<Json> r) {
    // started, in_flight (a redelivery) and a cached result all mean: it is durable.
    if (!r.ok()) return accepted(r.error());
    accepted(Ok{});
  });
}

Result<Json> Gateway::resolve_approval(const std::string& id_or_prefix, const std::string& decision,
                                       const std::string& by) {
  if (!tools_) return Error::invalid("approvals are not available");
  return tools_->approvals().resolve(id_or_prefix, decision, by);
}

void Gateway::channels_changed(Json payload) {
  // Shared mode: channel accounts are the admin's (channels.status is admin-only).
  broadcast("channels.changed", std::move(payload), Scope::kRead, false, false, &kAdminsOnly);
  if (ready_ && !draining_) refresh_health(true);
}

Responder MethodCall::defer() {
  deferred = true;
  Gateway* g = &gw;
  return [g, client = client.id, id = *this->id, m = method, slot = slot,
          started = started](Result<Json> r) {
    g->record_rpc(slot, r.ok(), started);
    if (r.ok())
      g->respond(client, id, m, Reply(std::move(r).value()));
    else
      g->respond(client, id, m, r.error());
  };
}

void Gateway::respond(std::uint64_t client_id, const Json& id, const std::string& method,
                      Result<Reply> result) {
  auto it = clients_.find(client_id);
  if (it == clients_.end()) return;  // the socket closed meanwhile
#ifndef NDEBUG
  if (result.ok()) {
    if (const MethodSpec* spec = find_method(method)) {
      if (protocol::SchemaHandle rs = result_schema(*spec)) {
        const Json& body = result->shared ? result->shared->json() : result->json;
        if (auto v = protocol::validate_with(rs, body); !v.ok()) {
          log::error("{} result does not match its schema: {}", method, v.error().message);
          result = Error::invalid("internal error: " + method +
                                  " result does not match its schema: " + v.error().message);
        }
      }
    }
  }
#endif
  send_res(it->second, id, result);
}

void Gateway::record_rpc(std::size_t slot, bool ok, std::chrono::steady_clock::time_point started) {
  if (slot >= metrics_.rpc.size()) slot = metrics_.rpc.size() - 1;
  metrics_.rpc[slot].record(ok, std::chrono::steady_clock::now() - started);
}

void Gateway::chat_event(const std::string& run_id, Json payload, bool delta) {
  if (delta) return stream_delta("chat", run_id, std::move(payload));
  if (const Json* st =
          payload.is_object() && payload.contains("state") ? &payload["state"] : nullptr;
      st && st->is_string()) {
    const std::string& state = st->get_ref<const std::string&>();
    if (state == "final" || state == "aborted" || state == "error") ++metrics_.runs_ended[state];
    if (state == "error") {
      const Json& k = payload.contains("errorKind") ? payload["errorKind"] : Json();
      ++metrics_.run_errors[k.is_string() ? k.get<std::string>() : std::string("unknown")];
    }
  }
  if (channels_) channels_->on_chat_event(run_id, payload);  // replies to platforms
  std::string owner = event_owner(payload);
  broadcast("chat", std::move(payload), Scope::kRead, false, false, &owner);
}

void Gateway::agent_event(const std::string& run_id, Json payload, bool droppable) {
  if (droppable && payload.value("stream", "") == "assistant")
    return stream_delta("agent", run_id, std::move(payload));
  std::string owner = event_owner(payload);
  broadcast("agent", std::move(payload), Scope::kRead, droppable, false, &owner);
}

std::int64_t Gateway::uptime_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now() - started_).count();
}

Json Gateway::state_version() const {
  return Json{{"presence", presence_.version()}, {"health", health_version_}};
}

void Gateway::start() {
  ready_ = true;
  loop_monitor_.start();
  schedule_tick();
  schedule_maintenance();
}

void Gateway::schedule_tick() {
  tick_timer_.expires_after(std::chrono::milliseconds(cfg_.gateway.timers.tick_ms));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || draining_) return;
    broadcast("tick", Json{{"ts", now_ms()}}, Scope::kNone, true);
    schedule_tick();
  });
}

void Gateway::schedule_maintenance() {
  maintenance_timer_.expires_after(std::chrono::milliseconds(cfg_.gateway.timers.maintenance_ms));
  maintenance_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || draining_) return;
    maintenance_pass();
    // Hand memory freed since the last pass (a burst, a huge frame) back to the kernel:
    // glibc otherwise keeps it in its arenas and a 24/7 daemon's RSS only ever grows.
    ::malloc_trim(0);
    schedule_maintenance();
  });
}

// ---------------------------------------------------------------- admission

int Gateway::admit_upgrade(const PeerInfo& peer, std::string_view host_header) {
  if (draining_) return 503;
  if (!peer.origin.empty()) {
    const auto& allowed = cfg_.gateway.allowed_origins;
    bool ok = std::find(allowed.begin(), allowed.end(), peer.origin) != allowed.end() ||
              std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
    std::string oh = origin_host(peer.origin);
    if (!ok && !oh.empty() && oh == strip_port(host_header)) ok = true;  // same origin
    if (!ok && is_loopback_bind(cfg_.gateway.bind) && peer.origin.rfind("http://", 0) == 0 &&
        (oh == "localhost" || oh == "127.0.0.1" || oh == "[::1]"))
      ok = true;
    if (!ok) {
      ++metrics_.connections_rejected;
      log::warn("refused WebSocket upgrade from origin {} ({}): not in gateway.allowed_origins",
                peer.origin, peer.remote_ip);
      return 403;
    }
  }
  if (static_cast<int>(clients_.size()) >= cfg_.gateway.limits.max_connections) {
    ++metrics_.connections_rejected;
    return 503;
  }
  int& n = preauth_by_ip_[peer.remote_ip];
  if (n >= cfg_.gateway.limits.max_preauth_per_ip) {
    ++metrics_.connections_rejected;
    return 503;
  }
  ++n;
  return 0;
}

void Gateway::upgrade_failed(const PeerInfo& peer) {
  auto it = preauth_by_ip_.find(peer.remote_ip);
  if (it != preauth_by_ip_.end() && --it->second <= 0) preauth_by_ip_.erase(it);
}

void Gateway::release_preauth(Client& c) {
  if (!c.counted_preauth) return;
  c.counted_preauth = false;
  upgrade_failed(c.peer);
}

// ---------------------------------------------------------------- open / close

std::uint64_t Gateway::on_open(std::shared_ptr<Transport> t, const PeerInfo& peer) {
  std::uint64_t id = next_id_++;
  Client& c = clients_[id];
  c.id = id;
  c.conn_id = uuid_v4();
  c.transport = std::move(t);
  c.peer = peer;
  c.enc = peer.msgpack ? Encoding::kMsgpack : Encoding::kJson;
  c.nonce = uuid_v4();
  c.connected_at_ms = now_ms();
  ++metrics_.connections_accepted;

  c.handshake_timer = std::make_unique<boost::asio::steady_timer>(io_);
  c.handshake_timer->expires_after(std::chrono::milliseconds(cfg_.gateway.timers.handshake_ms));
  c.handshake_timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = clients_.find(id);
    if (it == clients_.end() || it->second.authed) return;
    ++metrics_.handshakes_failed;
    log::debug("closing {}: no connect within {} ms", it->second.peer.remote_ip,
               cfg_.gateway.timers.handshake_ms);
    it->second.transport->close(1008, "handshake timeout");
  });

  SharedPayload challenge(Json{{"nonce", c.nonce}, {"ts", c.connected_at_ms}});
  OutFrame frame;
  frame.head = std::make_shared<const std::string>(
      protocol::encode_event("connect.challenge", &challenge, std::nullopt, nullptr, c.enc));
  c.transport->send(std::move(frame), false);
  return id;
}

void Gateway::on_close(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = it->second;
  release_preauth(c);
  if (c.handshake_timer) c.handshake_timer->cancel();
  bool was_present = c.authed && presence_.disconnect(c.conn_id);
  if (c.authed)
    log::record("client.disconnect",
                Json{{"connId", c.conn_id},
                     {"client", c.client_info.value("id", "?")},
                     {"role", c.role},
                     {"durationMs", now_ms() - c.connected_at_ms}},
                fmt::format("client {} ({}) disconnected", c.client_info.value("id", "?"), c.role));
  if (nodes_ && c.role == "node") nodes_->client_closed(id);
  clients_.erase(it);
  if (was_present) presence_changed();
  finish_shutdown_if_idle();
}

// ---------------------------------------------------------------- messages

void Gateway::on_message(std::uint64_t id, std::string_view data, bool binary) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = it->second;
  if (!c.authed) {
    handle_handshake(c, data, binary);
    return;
  }
  Result<Json> frame = protocol::decode(data, binary, c.enc);
  if (!frame.ok()) {
    // Nothing to answer: without a parsed frame there is no id to reply to.
    ++metrics_.frames_invalid;
    log::debug("ignored undecodable frame from {}: {}", c.peer.remote_ip, frame.error().message);
    return;
  }
  dispatch(c, *frame);
}

void Gateway::fail_handshake(Client& c, const Json& id, const Error& e, std::uint16_t code) {
  ++metrics_.handshakes_failed;
  if (!id.is_null()) send_res(c, id, e);
  c.transport->close(code, e.message.substr(0, 120));  // close reasons are capped at 123 bytes
}

void Gateway::handle_handshake(Client& c, std::string_view data, bool binary) {
  if (c.transport == nullptr) return;
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
  if (auto v = protocol::validate("frames/req", frame); !v.ok()) {
    return fail_handshake(c, id, Error::invalid("invalid request frame: " + v.error().message),
                          1008);
  }
  if (frame["method"] != "connect") {
    return fail_handshake(c, id, Error::invalid("invalid handshake: first request must be connect"),
                          1008);
  }
  const Json params = frame.contains("params") ? frame["params"] : Json();
  if (auto v = protocol::validate("methods/connect.params", params); !v.ok()) {
    return fail_handshake(c, id, Error::invalid("invalid connect params: " + v.error().message),
                          1008);
  }
  int minp = params["minProtocol"].get<int>(), maxp = params["maxProtocol"].get<int>();
  if (minp > kProtocolVersion || maxp < kProtocolVersion) {
    Error e = Error::invalid("protocol mismatch", "PROTOCOL_MISMATCH");
    e.details["expectedProtocol"] = kProtocolVersion;
    return fail_handshake(c, id, e, 1002);
  }

  // Auth, behind the failed-attempt limiter.
  std::string key = AuthLimiter::key(c.peer);
  bool exempt = AuthLimiter::exempt(c.peer);
  std::int64_t now = now_ms();
  if (!exempt) {
    if (auto left = limiter_.locked_for(key, now)) {
      Error e = Error::invalid("unauthorized: too many failed attempts; retry later",
                               "AUTH_RATE_LIMITED");
      e.retry_after_ms = *left;
      return fail_handshake(c, id, e, 1008);
    }
  }
  // Credentials: the gateway's token/password, or a paired device's own token (checked
  // together with the device's signed proof below).
  const Json auth = params.value("auth", Json::object());
  const bool device_token_auth = nodes_ && auth.is_object() && auth.contains("deviceToken") &&
                                 !auth.contains("token") && !auth.contains("password");
  std::string device_user;  // the user a paired device belongs to ("" = the admin's)
  auto granted = device_token_auth ? nodes_->check_device_token(params, &device_user)
                                   : check_credentials(auth_, auth);
  // Shared mode: not the gateway's credential, maybe a user's own token.
  const User* user = nullptr;
  if (!granted.ok() && !device_token_auth && !users_.empty() && auth.is_object() &&
      auth.contains("token") && auth["token"].is_string()) {
    if ((user = users_.match(auth["token"].get_ref<const std::string&>()))) granted = user->scopes;
  }
  // A user's paired device logs in as that user, with at most the user's current grant;
  // a removed user's devices are refused.
  if (granted.ok() && device_token_auth && !device_user.empty()) {
    user = users_.find(device_user);
    if (!user)
      granted = Error::invalid("unauthorized: the user this device was paired for is gone",
                               "AUTH_USER_REMOVED");
    else
      granted = protocol::ScopeSet::negotiate(granted->names(), user->scopes);
  }
  // Nodes are the admin's: a node gets work from every user.
  if (user && params.value("role", std::string("operator")) != "operator")
    granted = Error::invalid(
        "unauthorized: shared-mode users connect as operators (nodes use the gateway token)",
        "AUTH_USER_ROLE");
  std::optional<DeviceAdmission> admitted;
  if (granted.ok() && nodes_) {
    // The device proof: the key's signature over this socket's challenge nonce; a user's
    // device is paired for that user.
    auto a = nodes_->admit(params, c.nonce, c.peer.remote_ip, AuthLimiter::exempt(c.peer),
                           device_token_auth, user ? user->name : std::string());
    if (!a.ok() && a.error().code == ErrorCode::kNotPaired)
      return fail_handshake(c, id, a.error(), 1008);
    if (!a.ok())
      granted = a.error();
    else
      admitted = std::move(a).value();
  }
  if (!granted.ok()) {
    ++metrics_.auth_failures;
    // Never the credential itself: who, from where, and why.
    log::record("auth.failed",
                Json{{"ip", c.peer.remote_ip},
                     {"origin", c.peer.origin},
                     {"code", granted.error().details.value("code", "")}},
                fmt::format("auth failed from {}{}{}: {}", c.peer.remote_ip,
                            c.peer.origin.empty() ? "" : " origin ", c.peer.origin,
                            granted.error().details.value("code", "")),
                spdlog::level::warn);
    if (!exempt) {
      if (auto lock = limiter_.record_failure(key, now)) {
        ++metrics_.auth_lockouts;
        log::warn("locking out {} {} for {} s after repeated auth failures", c.peer.remote_ip,
                  c.peer.origin, *lock / 1000);
      }
    }
    return fail_handshake(c, id, granted.error(), 1008);
  }
  if (!exempt) limiter_.record_success(key);

  // Authenticated.
  c.authed = true;
  c.role = params.value("role", std::string("operator"));
  std::vector<std::string> requested;
  if (params.contains("scopes"))
    for (const auto& s : params["scopes"]) requested.push_back(s.get<std::string>());
  c.scopes = c.role == "operator" ? protocol::ScopeSet::negotiate(requested, *granted)
                                  : protocol::ScopeSet();
  c.client_info = params["client"];
  if (admitted) c.device_id = admitted->device_id;
  if (user) {
    c.user = user->name;
    c.user_grant = user->fingerprint();
  }
  c.handshake_timer.reset();  // cancels the wait; an authenticated socket needs no deadline
  release_preauth(c);
  ++metrics_.handshakes_ok;
  c.transport->on_authenticated(static_cast<std::size_t>(cfg_.gateway.limits.max_payload),
                                cfg_.gateway.timers.ping_ms);
  // Presence first, so hello-ok's snapshot (presence + stateVersion) includes this client.
  // Operators and nodes alike; sockets of one instanceId share an entry.
  const bool presence_moved = presence_.connect(c.conn_id, presence_entry(c));
  Json hello = hello_ok(c);
#ifndef NDEBUG
  if (auto v = protocol::validate("methods/connect.result", hello); !v.ok())
    log::error("hello-ok does not match its schema: {}", v.error().message);
  if (auto v = protocol::validate("methods/health.result", hello["snapshot"]["health"]); !v.ok())
    log::error("health snapshot does not match its schema: {}", v.error().message);
#endif
  if (admitted && !admitted->device_token.empty())
    hello["auth"]["deviceToken"] = std::move(admitted->device_token);
  send_res(c, id, Reply(std::move(hello)));
  if (c.role == "node" && nodes_) nodes_->node_connected(c, c.device_id, params);
  log::record("client.connect",
              Json{{"connId", c.conn_id},
                   {"client", c.client_info.value("id", "?")},
                   {"version", c.client_info.value("version", "?")},
                   {"instanceId", c.client_info.value("instanceId", "")},
                   {"ip", c.peer.remote_ip},
                   {"role", c.role}},
              fmt::format("client {} {} connected from {} as {}", c.client_info.value("id", "?"),
                          c.client_info.value("version", "?"), c.peer.remote_ip, c.role));
  if (presence_moved) presence_changed();
}

Json Gateway::presence_entry(const Client& c) const {
  const Json& ci = c.client_info;
  Json e{{"host", ci.value("displayName", ci.value("id", "client"))},
         {"ip", c.peer.remote_ip},
         {"version", ci.value("version", "")},
         {"platform", ci.value("platform", "")},
         {"mode", ci.value("mode", "")},
         {"reason", "connect"},
         {"ts", c.connected_at_ms}};
  if (ci.contains("instanceId")) e["instanceId"] = ci["instanceId"];
  if (ci.contains("deviceFamily")) e["deviceFamily"] = ci["deviceFamily"];
  e["roles"] = Json::array({c.role});
  e["scopes"] = c.scopes.names();
  return e;
}

Json Gateway::hello_ok(const Client& c) {
  Json methods = Json::array(), events = Json::array();
  for (const auto& m : method_table()) methods.push_back(m.name);
  for (auto e : event_names()) events.push_back(e);
  return Json{{"type", "hello-ok"},
              {"protocol", kProtocolVersion},
              {"server", {{"version", SIMPLECLAW_VERSION}, {"connId", c.conn_id}}},
              {"features", {{"methods", methods}, {"events", events}}},
              {"snapshot",
               // The list needs operator.read, like `presence` events and system-presence: a node
               // (or a scope-less client) gets the gateway's own entry, so 10k nodes connecting
               // do not each receive an ever longer list. Shared mode: who else is connected is
               // the admin's to see; a user gets the gateway's own entry too.
               {{"presence", c.scopes.has(Scope::kRead) && c.user.empty() ? presence_.list()
                                                                          : presence_.self_only()},
                {"health", health_snapshot(c.user)->json()},
                {"stateVersion", state_version()},
                {"uptimeMs", uptime_ms()},
                {"sessionDefaults",
                 {{"defaultAgentId", "main"},
                  {"mainKey", "main"},
                  {"mainSessionKey", "agent:main:main"},
                  {"scope", "per-sender"}}},
                {"authMode", auth_.mode}}},
              {"auth", {{"role", c.role}, {"scopes", c.scopes.names()}}},
              {"policy",
               {{"maxPayload", cfg_.gateway.limits.max_payload},
                {"maxBufferedBytes", cfg_.gateway.limits.max_buffered},
                {"tickIntervalMs", cfg_.gateway.timers.tick_ms}}}};
}

void Gateway::dispatch(Client& c, const Json& frame) {
  ++metrics_.requests;
  const auto started = std::chrono::steady_clock::now();
  const std::size_t unknown_slot = metrics_.rpc.size() - 1;
  static const protocol::SchemaHandle kReqSchema = protocol::find_schema("frames/req");
  if (auto v = protocol::validate_with(kReqSchema, frame); !v.ok()) {
    ++metrics_.frames_invalid;
    if (frame.is_object() && frame.contains("id") && frame["id"].is_string() &&
        !frame["id"].get_ref<const std::string&>().empty())
      send_res(c, frame["id"], Error::invalid("invalid request frame: " + v.error().message));
    return;
  }
  const Json& id = frame["id"];
  const std::string& method = frame["method"].get_ref<const std::string&>();
  const MethodSpec* spec = find_method(method);
  const std::size_t slot =
      spec ? static_cast<std::size_t>(spec - method_table().data()) : unknown_slot;
  if (spec == nullptr || method == "connect") {
    record_rpc(slot, false, started);
    if (method == "connect")
      return send_res(c, id, Error::invalid("invalid request: already connected"));
    return send_res(c, id, Error::invalid("unknown method: " + method));
  }
  if (!c.scopes.has(spec->scope)) {
    record_rpc(slot, false, started);
    std::string scope(protocol::scope_name(spec->scope));
    return send_res(c, id,
                    Error{ErrorCode::kForbidden, "missing scope: " + scope,
                          Json{{"code", "MISSING_SCOPE"},
                               {"missingScope", scope},
                               {"requiredScopes", Json::array({scope})}},
                          std::nullopt});
  }
  static const Json kNull;
  const Json& params = frame.contains("params") ? frame["params"] : kNull;
  if (auto v = protocol::validate_with(params_schema(*spec), params); !v.ok()) {
    record_rpc(slot, false, started);
    return send_res(c, id, Error::invalid("invalid " + method + " params: " + v.error().message));
  }
  Json user_params;  // shared mode: a user's params, session keys in their namespace
  if (!c.user.empty()) {
    auto p = shared_params(c, method, params);
    if (!p.ok()) {
      record_rpc(slot, false, started);
      return send_res(c, id, p.error());
    }
    user_params = std::move(p).value();
  }
  MethodCall call{*this, c, method, c.user.empty() ? params : user_params, &id};
  call.slot = slot;
  call.started = started;
  Result<Reply> result = spec->handler(call);
  if (call.deferred) return;  // answered later through respond()
#ifndef NDEBUG
  // Debug builds (and so the sanitizer test run) check every answer against its schema.
  if (result.ok()) {
    const Json& body = result->shared ? result->shared->json() : result->json;
    if (protocol::SchemaHandle rs = result_schema(*spec)) {
      if (auto v = protocol::validate_with(rs, body); !v.ok()) {
        log::error("{} result does not match its schema: {}", method, v.error().message);
        result = Error::invalid("internal error: " + method +
                                " result does not match its schema: " + v.error().message);
      }
    }
  }
#endif
  record_rpc(slot, result.ok(), started);
  send_res(c, id, result);
}

void Gateway::send_res(Client& c, const Json& id, const Result<Reply>& r) {
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

// ---------------------------------------------------------------- events

// One event to many sockets: the head and the payload are encoded once per encoding and
// shared by every socket's frame; only the tail (seq, stateVersion) is per socket.
class Gateway::EventFanout {
 public:
  EventFanout(std::string_view event, const SharedPayload* payload, const Json* sv)
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

void Gateway::send_event(Client& c, EventFanout& fanout, bool droppable) {
  // Held deltas go first, so a final never overtakes the delta before it.
  if (!c.held.empty()) flush_held(c);
  std::uint64_t seq = ++c.seq;  // advances even when the frame is dropped (SPEC §3)
  if (c.transport->send(fanout.frame(c.enc, seq), droppable)) {
    ++metrics_.events_sent;
  } else {
    ++metrics_.events_dropped;
  }
}

void Gateway::broadcast(std::string_view event, Json payload, Scope scope, bool droppable,
                        bool with_state_version, const std::string* owner) {
  SharedPayload shared(std::move(payload));
  Json sv = with_state_version ? state_version() : Json();
  EventFanout fanout(event, &shared, &sv);
  for (auto& [id, c] : clients_) {
    if (!c.authed || !c.transport) continue;
    if (scope != Scope::kNone && (c.role != "operator" || !c.scopes.has(scope))) continue;
    if (owner && !sees(c, *owner)) continue;
    send_event(c, fanout, droppable);
  }
}

void Gateway::broadcast_views(std::string_view event, const SharedPayloadPtr& admin_view,
                              const std::function<SharedPayloadPtr(const std::string&)>& user_view,
                              Scope scope, bool droppable, bool with_state_version) {
  Json sv = with_state_version ? state_version() : Json();
  EventFanout admin_fanout(event, admin_view.get(), &sv);
  // One encoding per user, not per socket; the views stay alive until the loop ends.
  std::map<std::string, std::pair<SharedPayloadPtr, EventFanout>, std::less<>> users;
  for (auto& [id, c] : clients_) {
    if (!c.authed || !c.transport) continue;
    if (scope != Scope::kNone && (c.role != "operator" || !c.scopes.has(scope))) continue;
    if (c.user.empty()) {
      send_event(c, admin_fanout, droppable);
      continue;
    }
    auto it = users.find(c.user);
    if (it == users.end()) {
      SharedPayloadPtr v = user_view(c.user);
      const SharedPayload* raw = v.get();
      it = users.try_emplace(c.user, std::move(v), EventFanout(event, raw, &sv)).first;
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
void Gateway::stream_delta(std::string_view event, const std::string& run_id, Json payload) {
  std::optional<SharedPayload> shared;  // encoded once, only if some socket is idle
  std::optional<EventFanout> fanout;
  // Computed once per delta, compared per socket: the fan-out stays O(clients).
  std::string owner = event_owner(payload);
  for (auto& [id, c] : clients_) {
    if (!c.authed || !c.transport) continue;
    if (c.role != "operator" || !c.scopes.has(Scope::kRead)) continue;
    if (!sees(c, owner)) continue;
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

void Gateway::flush_held(Client& c) {
  std::vector<Client::HeldDelta> held = std::move(c.held);
  c.held.clear();
  for (Client::HeldDelta& h : held) {
    SharedPayload shared(std::move(h.payload));
    EventFanout fanout(h.event, &shared, nullptr);
    send_event(c, fanout, true);
  }
}

void Gateway::on_drained(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it != clients_.end() && !it->second.held.empty()) flush_held(it->second);
}

// Presence changes are coalesced: at most one `presence` broadcast per kPresenceInterval,
// the first at once. With N operators connecting together this sends O(N) lists rather
// than O(N^2); the event carries the newest list and stateVersion, and clients refetch on
// a gap anyway (SPEC §3).
void Gateway::presence_changed() {
  if (presence_flush_pending_ || draining_) return;
  auto now = std::chrono::steady_clock::now();
  auto due = last_presence_broadcast_ + kPresenceInterval;
  if (now >= due) return flush_presence();
  presence_flush_pending_ = true;
  presence_timer_.expires_at(due);
  presence_timer_.async_wait([this](const boost::system::error_code& ec) {
    presence_flush_pending_ = false;
    if (!ec && !draining_) flush_presence();
  });
}

void Gateway::flush_presence() {
  last_presence_broadcast_ = std::chrono::steady_clock::now();
  // Shared mode: users do not see who is connected.
  broadcast("presence", Json{{"presence", presence_.list()}}, Scope::kRead, true, true,
            &kAdminsOnly);
}

// ---------------------------------------------------------------- status

Json Gateway::status() const {
  std::size_t authed = 0, operators = 0, nodes = 0;
  for (const auto& [_, c] : clients_) {
    if (!c.authed) continue;
    ++authed;
    (c.role == "node" ? nodes : operators)++;
  }
  return Json{
      {"version", SIMPLECLAW_VERSION},
      {"protocol", kProtocolVersion},
      {"pid", ::getpid()},
      {"uptimeMs", uptime_ms()},
      {"startedAt", started_wall_ms_},
      {"rssBytes", rss_bytes()},
      {"stateDir", info_.state_dir},
      {"gateway",
       {{"bind", info_.bind_host},
        {"port", info_.port},
        {"url", std::string(info_.tls ? "wss://" : "ws://") +
                    (info_.bind_host.find(':') != std::string::npos ? "[" + info_.bind_host + "]"
                                                                    : info_.bind_host) +
                    ":" + std::to_string(info_.port)},
        {"mode", cfg_.gateway.mode},
        {"authMode", auth_.mode},
        {"tls", {{"enabled", info_.tls}, {"sha256", info_.tls_fingerprint}}}}},
      {"connections",
       {{"total", clients_.size()},
        {"authenticated", authed},
        {"operators", operators},
        {"nodes", nodes},
        {"pending", clients_.size() - authed}}},
      {"subsystems",
       {{"config",
         {{"path", info_.config_path},
          {"exists", file_.exists},
          {"hash", file_.hash},
          {"reload", config_reload_}}},
        {"eventLoop", loop_monitor_.snapshot()},
        {"channels", {{"configured", 0}, {"running", 0}}},
        {"agents", {{"count", 1}, {"defaultId", "main"}}},
        {"sessions",
         {{"count", sessions_summary_.is_object() ? sessions_summary_.value("count", 0) : 0},
          {"reset", cfg_.sessions.reset.mode}}},
        {"plugins", {{"count", 0}}},
        {"logs", {{"file", info_.log_file}}}}},
      {"discovery", discovery_},
      {"stateVersion", state_version()}};
}

std::string Gateway::metrics_text() const {
  std::size_t authed = 0;
  for (const auto& [_, c] : clients_) authed += c.authed ? 1 : 0;
  prom::Writer w;
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    w.counter(std::string("simpleclaw_") + name, help, static_cast<double>(v));
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    w.gauge(std::string("simpleclaw_") + name, help, v);
  };
  counter("connections_accepted_total", "WebSocket connections accepted",
          metrics_.connections_accepted);
  counter("connections_rejected_total", "Upgrades refused (origin, caps)",
          metrics_.connections_rejected);
  counter("handshakes_total", "Successful connect handshakes", metrics_.handshakes_ok);
  counter("handshake_failures_total", "Failed connect handshakes", metrics_.handshakes_failed);
  counter("auth_failures_total", "Failed authentication attempts", metrics_.auth_failures);
  counter("auth_lockouts_total", "Lockouts started by the auth limiter", metrics_.auth_lockouts);
  counter("requests_total", "Requests received after connect", metrics_.requests);
  counter("request_errors_total", "Requests answered with an error", metrics_.request_errors);
  counter("frames_invalid_total", "Frames that failed to decode or validate",
          metrics_.frames_invalid);
  counter("events_sent_total", "Events queued to sockets", metrics_.events_sent);
  counter("events_dropped_total", "Droppable events skipped for slow sockets",
          metrics_.events_dropped);
  counter("deltas_coalesced_total", "Streaming deltas merged into a later one for a busy socket",
          metrics_.deltas_coalesced);
  counter("slow_consumer_closes_total", "Sockets closed for exceeding the outbound cap",
          metrics_.slow_consumer_closes);
  counter("config_reloads_total", "Config reloads applied", metrics_.config_reloads);
  counter("session_resets_total", "Sessions reset by the sessions.reset policy",
          metrics_.session_resets);
  counter("wal_checkpoints_total", "SQLite WAL checkpoints run by maintenance",
          metrics_.wal_checkpoints);

  // RPCs by method and result, and their latency; only methods called so far appear.
  auto tbl = method_table();
  auto method_name = [&](std::size_t i) {
    return i < tbl.size() ? tbl[i].name : std::string_view("unknown");
  };
  w.family("simpleclaw_rpc_requests_total", "counter",
           "Requests answered, by method and result (ok | error)");
  for (std::size_t i = 0; i < metrics_.rpc.size(); ++i) {
    const RpcStats& r = metrics_.rpc[i];
    if (r.ok + r.error == 0) continue;
    w.sample("simpleclaw_rpc_requests_total", {{"method", method_name(i)}, {"result", "ok"}},
             static_cast<double>(r.ok));
    w.sample("simpleclaw_rpc_requests_total", {{"method", method_name(i)}, {"result", "error"}},
             static_cast<double>(r.error));
  }
  w.family("simpleclaw_rpc_duration_seconds", "histogram",
           "Time from a request's arrival to its answer, by method");
  for (std::size_t i = 0; i < metrics_.rpc.size(); ++i) {
    const RpcStats& r = metrics_.rpc[i];
    if (r.ok + r.error == 0) continue;
    w.histogram("simpleclaw_rpc_duration_seconds", {{"method", method_name(i)}}, RpcStats::kBounds,
                r.buckets, r.sum_seconds);
  }

  // Runs: ended by state, failed by errorKind, and the ones in progress.
  w.family("simpleclaw_runs_total", "counter", "Agent runs ended, by terminal state");
  for (const char* st : {"final", "aborted", "error"}) {
    auto it = metrics_.runs_ended.find(st);
    w.sample("simpleclaw_runs_total", {{"state", st}},
             it == metrics_.runs_ended.end() ? 0.0 : static_cast<double>(it->second));
  }
  w.family("simpleclaw_provider_errors_total", "counter",
           "Runs that failed, by provider error kind");
  for (const char* k : {"refusal", "timeout", "rate_limit", "context_length", "unknown"}) {
    auto it = metrics_.run_errors.find(k);
    w.sample("simpleclaw_provider_errors_total", {{"kind", k}},
             it == metrics_.run_errors.end() ? 0.0 : static_cast<double>(it->second));
  }
  w.family("simpleclaw_runs_in_progress", "gauge",
           "Agent runs in progress, by state (active | queued)");
  w.sample("simpleclaw_runs_in_progress", {{"state", "active"}},
           chat_ ? static_cast<double>(chat_->active_runs()) : 0.0);
  w.sample("simpleclaw_runs_in_progress", {{"state", "queued"}},
           chat_ ? static_cast<double>(chat_->queued_runs()) : 0.0);

  // Plugins: restarts (crash, hang, flood) per plugin.
  w.family("simpleclaw_plugin_restarts_total", "counter", "Plugin processes restarted, by plugin");
  if (plugins_) {
    Json list = plugins_->list_json();
    for (const Json& p : list.value("plugins", Json::array())) {
      const Json& name = p.contains("name") ? p["name"] : Json();
      const Json& n = p.contains("restarts") ? p["restarts"] : Json();
      if (!name.is_string() || !n.is_number()) continue;
      w.sample("simpleclaw_plugin_restarts_total", {{"plugin", name.get_ref<const std::string&>()}},
               n.get<double>());
    }
  }

  gauge("connections", "Open WebSocket connections", static_cast<double>(clients_.size()));
  gauge("connections_authenticated", "Authenticated connections", static_cast<double>(authed));
  gauge("uptime_seconds", "Seconds since start", static_cast<double>(uptime_ms()) / 1000.0);
  gauge("resident_memory_bytes", "Resident set size (/proc/self/statm)",
        static_cast<double>(rss_bytes()));
  gauge("event_loop_delay_p99_seconds", "Event-loop delay, 99th percentile over the window",
        loop_monitor_.p99_ms() / 1000.0);
  gauge("event_loop_delay_max_seconds", "Event-loop delay, maximum over the window",
        loop_monitor_.max_ms() / 1000.0);
  gauge("ready", "1 when ready to serve", ready() ? 1 : 0);
  gauge("presence_entries", "Presence entries (the gateway, clients, nodes)",
        static_cast<double>(presence_.size()));
  gauge("idempotency_entries", "chat.send idempotency results kept (sessions.dedupe_ttl_ms)",
        chat_ ? static_cast<double>(chat_->dedupe_size()) : 0.0);
  if (channels_) channels_->write_metrics(w);
  return w.take();
}

// ---------------------------------------------------------------- config

bool Gateway::apply_config(config::Config next, config::FileState file) {
  // Judge "needs a restart" on the file's own values (the running config carries the
  // command-line overrides, which the new file does not), then re-apply the overrides.
  config::Parsed before = config::parse(file_.raw);
  bool restart = config::needs_restart(before.ok() ? before.config : cfg_, next);
  if (info_.port_override) next.gateway.port = *info_.port_override;
  if (info_.bind_override) next.gateway.bind = *info_.bind_override;
  bool timers_changed = next.gateway.timers.tick_ms != cfg_.gateway.timers.tick_ms ||
                        next.gateway.timers.maintenance_ms != cfg_.gateway.timers.maintenance_ms;
  if (next.logging.level != cfg_.logging.level) log::set_level(next.logging.level);
  // Auth follows the file, failing closed: `none` never applies to a non-loopback bind
  // (possible when --bind overrides the file's loopback).
  std::string reload_error;
  if (next.gateway.auth.mode == "none" && !is_loopback_bind(next.gateway.bind)) {
    reload_error = "auth mode 'none' refused with bind '" + next.gateway.bind +
                   "'; keeping auth mode '" + auth_.mode + "'";
    log::error("config: {}", reload_error);
    next.gateway.auth.mode = auth_.mode;
  }
  auth_.mode = next.gateway.auth.mode;
  auth_.password = next.gateway.auth.password;
  if (auth_.mode == "token") {
    // A token removed from the file falls back to the env/file token, never to "none".
    auto tok = resolve_token(next, info_.state_dir);
    if (tok.ok())
      auth_.token = tok->first;
    else
      log::error("cannot resolve the gateway token: {}; keeping the previous one",
                 tok.error().message);
  }
  cfg_ = std::move(next);
  file_ = std::move(file);
  reload_users();                    // a rotated or removed user's sockets close with 4001
  catalog_.set_config(cfg_.models);  // agents, models, sessions hot-apply
  if (chat_) chat_->set_config(cfg_);
  if (tools_) tools_->set_config(cfg_);  // MCP servers started/stopped/restarted
  if (nodes_) nodes_->set_config(cfg_.nodes);
  if (plugins_)
    plugins_->configure(config::detail::section(cfg_.doc, "plugins"),
                        config::detail::section(cfg_.doc, "channels"));
  configure_channels();  // accounts added, removed or changed are (re)started
  ++metrics_.config_reloads;
  config_reload_ =
      Json{{"lastReloadAt", now_ms()}, {"ok", reload_error.empty()}, {"restartRequired", restart}};
  if (!reload_error.empty()) config_reload_["error"] = reload_error;
  log::record("config.reload",
              Json{{"path", info_.config_path},
                   {"hash", file_.hash},
                   {"ok", reload_error.empty()},
                   {"restartRequired", restart}},
              fmt::format("config applied (hash {}){}", file_.hash.substr(0, 12),
                          restart ? "; bind/port/TLS changes need a restart" : ""),
              spdlog::level::debug);
  if (timers_changed && ready_) {
    tick_timer_.cancel();
    maintenance_timer_.cancel();
    schedule_tick();
    schedule_maintenance();
  }
  // Shared mode: the config is the admin's (config.get is admin-only).
  broadcast("config.changed", Json{{"path", info_.config_path}, {"hash", file_.hash}}, Scope::kRead,
            false, false, &kAdminsOnly);
  refresh_health(true);
  return restart;
}

Status Gateway::reload_config() {
  config::FileState fs = config::read_state(info_.config_path);
  config::Parsed p = config::parse(fs.raw);
  if (!fs.error.empty()) p.issues.insert(p.issues.begin(), config::Issue{"", 0, fs.error});
  if (!p.ok()) {
    std::string first = p.issues.front().to_string();
    for (const auto& i : p.issues) log::error("config reload: {}", i.to_string());
    log::error("config reload failed: keeping the running config; fix {} and send SIGHUP again",
               info_.config_path);
    config_reload_ = Json{
        {"lastReloadAt", now_ms()}, {"ok", false}, {"error", first}, {"restartRequired", false}};
    log::record("config.reload", Json{{"path", info_.config_path}, {"ok", false}, {"error", first}},
                "config reload rejected: " + first, spdlog::level::warn);
    refresh_health(true);
    return Error::invalid("invalid config: " + first);
  }
  bool restart = apply_config(std::move(p.config), std::move(fs));
  log::info("config reloaded from {}{}", info_.config_path,
            restart ? " (bind/port/TLS changes need a restart)" : "");
  return Ok{};
}

// ---------------------------------------------------------------- shutdown

void Gateway::shutdown(const std::string& reason, std::function<void()> done) {
  if (draining_) return;
  draining_ = true;
  on_drained_ = std::move(done);
  tick_timer_.cancel();
  maintenance_timer_.cancel();
  loop_monitor_.stop();
  presence_timer_.cancel();
  // No new platform messages from here on; replies still queued are lost only if the
  // platform never comes back (they are not persisted).
  if (channels_) channels_->stop_all();
  if (plugins_) {
    plugins_drained_ = false;
    plugins_->stop([this] {
      plugins_drained_ = true;
      finish_shutdown_if_idle();
    });
  }
  if (tools_) {
    // First: waiting commands end without a decision being stored, so their approvals
    // are still pending after the restart.
    tools_->approvals().shutdown();
    tools_drained_ = false;
    tools_->mcp().stop_all([this] {
      tools_drained_ = true;
      finish_shutdown_if_idle();
    });
  }
  if (chat_) {
    chat_drained_ = false;
    chat_->shutdown([this] {
      chat_drained_ = true;
      finish_shutdown_if_idle();
    });
  }
  SharedPayload payload(Json{{"reason", reason}});
  EventFanout fanout("shutdown", &payload, nullptr);
  for (auto& [id, c] : clients_) {
    if (c.authed) send_event(c, fanout, false);
    c.transport->close(1012, "service restart");
  }
  // Peers that never answer the close frame must not hold the process: 3 s grace.
  shutdown_timer_.expires_after(std::chrono::seconds(3));
  shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto cb = std::move(on_drained_)) {
      on_drained_ = nullptr;
      cb();
    }
  });
  finish_shutdown_if_idle();
}

void Gateway::finish_shutdown_if_idle() {
  if (!draining_ || !clients_.empty() || !chat_drained_ || !tools_drained_ || !plugins_drained_ ||
      !on_drained_)
    return;
  shutdown_timer_.cancel();
  auto cb = std::move(on_drained_);
  on_drained_ = nullptr;
  boost::asio::post(io_, std::move(cb));
}

void Gateway::sessions_changed(Json payload) {
  std::string owner = event_owner(payload);
  SharedPayload shared(std::move(payload));
  EventFanout fanout("sessions.changed", &shared, nullptr);
  for (auto& [id, c] : clients_)
    if (c.authed && c.transport && c.sessions_subscribed && c.scopes.has(Scope::kRead) &&
        sees(c, owner))
      send_event(c, fanout, true);
}

void Gateway::approval_event(const char* event, Json payload) {
  {
    // exec.approval.requested / .resolved -> approval.requested / approval.resolved
    std::string name = std::string("approval.") + (std::strrchr(event, '.') + 1);
    Json f{{"id", payload.value("id", "")}};
    for (const char* k : {"decision", "reason", "resolvedBy", "expiresAtMs"})
      if (payload.contains(k)) f[k] = payload[k];
    log::record(name, f, fmt::format("{} {} {}", name, f.value("id", ""), f.value("decision", "")));
  }
  if (channels_) channels_->on_approval_event(event, payload);  // prompts in the chat
  std::string owner = approval_owner(payload);
  broadcast(event, std::move(payload), Scope::kApprovals, false, false, &owner);
}

void Gateway::persist_allow(const std::string& agent_id, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return;
  using OJson = nlohmann::ordered_json;
  auto w = config::edit_agents_checked(info_.config_path, [&](OJson& list) -> Status {
    OJson* entry = config::agent_entry(list, agent_id);
    if (!entry) {
      list.push_back(OJson{{"id", agent_id}});
      entry = &list.back();
    }
    OJson& allow = (*entry)["tools"]["exec"]["allow"];
    if (!allow.is_array()) {
      // Start from the inherited defaults so adding a pattern never drops them.
      allow = OJson::array();
      if (const config::AgentConfig* a = config::find_agent(cfg_, agent_id))
        for (const std::string& p : a->tools.exec.allow) allow.push_back(p);
    }
    for (const std::string& p : patterns)
      if (std::find(allow.begin(), allow.end(), p) == allow.end()) allow.push_back(p);
    return Ok{};
  });
  if (!w.ok()) {
    log::error("allow-always for agent {}: cannot store {} in {}: {}", agent_id, patterns.front(),
               info_.config_path, w.error().message);
    return;
  }
  log::info("allow-always: agent {} may now run {} (stored in {})", agent_id, patterns.front(),
            info_.config_path);
  apply_config(std::move(w->config), std::move(w->state));
}

bool Gateway::send_event_to(std::uint64_t client_id, const char* event, Json payload) {
  auto it = clients_.find(client_id);
  if (it == clients_.end() || !it->second.authed || !it->second.transport) return false;
  SharedPayload shared(std::move(payload));
  EventFanout fanout(event, &shared, nullptr);
  send_event(it->second, fanout, false);
  return true;
}

void Gateway::deliver_message(const std::string& channel, const std::string& to,
                              const std::string& text, const std::string& from_agent,
                              std::function<void(Result<std::string>)> done) {
  if (channel != "webchat") {
    if (!channels_ || !channels_->has_channel(channel))
      return done(Error::invalid("unknown channel '" + channel +
                                     "' (configured channels are "
                                     "listed by channels.status)",
                                 "CHANNEL_NOT_FOUND"));
    return channels_->deliver(channel, "", to, text, std::move(done));
  }
  // webchat: the gateway's own chat; the text lands in that session as an assistant message.
  chat_->inject(to, text, "message from agent " + from_agent,
                [to, done = std::move(done)](Result<Json> r) {
                  if (!r.ok()) return done(r.error());
                  done(std::string("sent to webchat session ") + to);
                });
}

}  // namespace simpleclaw::gateway
