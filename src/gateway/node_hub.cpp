#include "gateway/node_hub.h"

#include <algorithm>
#include <chrono>

#include "base/ids.h"
#include "base/json_fields.h"
#include "base/log.h"
#include "gateway/clients.h"
#include "nodes/device_identity.h"

namespace simpleclaw::gateway {
namespace {

constexpr std::int64_t kDoneTtlMs = 5 * 60 * 1000;
constexpr std::size_t kMaxDone = 1000;
constexpr std::size_t kMaxPendingInvokes = 1000;

std::vector<std::string> strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return out;
  for (const Json& v : j[key])
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace

NodeHub::NodeHub(boost::asio::io_context& io, SendTo send_to, Broadcast broadcast,
                 CloseDevice close, const Clock& clock)
    : io_(io),
      clock_(clock),
      send_to_(std::move(send_to)),
      broadcast_(std::move(broadcast)),
      close_(std::move(close)) {}

NodeHub::~NodeHub() {
  for (auto& [id, p] : pending_)
    if (p.timer) p.timer->cancel();
}

Status NodeHub::open(const std::string& state_dir) {
  auto s = nodes::PairingStore::open(state_dir + "/devices.json");
  if (!s.ok()) return s.error();
  store_.emplace(std::move(s).value());
  return Ok{};
}

Result<protocol::ScopeSet> NodeHub::check_device_token(const Json& params, std::string* user) {
  const Json auth = params.value("auth", Json::object());
  auto owner = store_->verify_token(json_str(auth, "deviceToken"));
  if (!owner.ok()) return owner.error();
  std::string role = params.value("role", std::string("operator"));
  if (owner->role != role)
    return Error::unauthenticated("unauthorized: this device token is for role " + owner->role,
                                  "AUTH_DEVICE_TOKEN_MISMATCH");
  if (json_str(params.value("device", Json::object()), "id") != owner->device_id)
    return Error::unauthenticated(
        "unauthorized: a device token must come with its device's signed proof (device.*)",
        "AUTH_DEVICE_TOKEN_MISMATCH");
  const nodes::PairedDevice* d = store_->find_paired(owner->device_id);
  if (user) *user = d ? d->user : std::string();
  if (role != "operator") return protocol::ScopeSet();
  return protocol::ScopeSet::negotiate(d ? d->scopes : std::vector<std::string>{},
                                       protocol::ScopeSet::all());
}

Result<std::optional<DeviceAdmission>> NodeHub::admit(const Json& params, const std::string& nonce,
                                                      const std::string& remote_ip, bool loopback,
                                                      bool used_device_token,
                                                      const std::string& user) {
  std::string role = params.value("role", std::string("operator"));
  if (!params.contains("device")) {
    if (role == "node")
      return Error::unauthenticated(
          "unauthorized: a node must connect with a device identity (device.*); "
          "`simpleclaw node` creates one",
          "DEVICE_IDENTITY_REQUIRED");
    return std::optional<DeviceAdmission>();
  }
  const Json& dev = params["device"];
  const Json& client = params["client"];
  const Json auth = params.value("auth", Json::object());
  nodes::DeviceProof proof;
  proof.id = json_str(dev, "id");
  proof.public_key = json_str(dev, "publicKey");
  proof.signature = json_str(dev, "signature");
  proof.nonce = json_str(dev, "nonce");
  proof.signed_at_ms = dev.value("signedAt", std::int64_t{0});
  nodes::SignedFields f;
  f.client_id = json_str(client, "id");
  f.client_mode = json_str(client, "mode");
  f.role = role;
  f.scopes = strings(params, "scopes");
  f.token = json_str(auth, "token");
  if (f.token.empty()) f.token = json_str(auth, "deviceToken");
  f.platform = json_str(client, "platform");
  f.device_family = json_str(client, "deviceFamily");
  std::int64_t now = clock_.wall_ms();
  if (auto v = nodes::verify_device_proof(proof, f, nonce, now); !v.ok()) return v.error();

  DeviceAdmission out;
  out.device_id = proof.id;
  // One owner per device: a device paired for one user (or the admin) is not another's.
  if (const nodes::PairedDevice* d = store_->find_paired(proof.id); d && d->user != user)
    return Error::unauthenticated("unauthorized: this device was paired for another user",
                                  "AUTH_DEVICE_OTHER_USER");
  if (!store_->is_paired(proof.id, proof.public_key, role)) {
    nodes::PairingInput in;
    in.device_id = proof.id;
    in.public_key = proof.public_key;
    in.display_name = json_str(client, "displayName");
    if (in.display_name.empty()) in.display_name = f.client_id;
    in.platform = f.platform;
    in.client_id = f.client_id;
    in.role = role;
    in.scopes = f.scopes;
    in.remote_ip = remote_ip;
    in.user = user;
    if (loopback && cfg_.auto_approve_loopback) {
      auto p = store_->pair_directly(in, now);
      if (!p.ok()) return p.error();
      log::info("device {} ({}) paired as {} automatically (loopback)", proof.id.substr(0, 12),
                in.display_name, role);
    } else {
      auto r = store_->request_pairing(in, now);
      if (!r.ok()) return r.error();
      if (r->created) {
        log::info("pairing requested by device {} ({}) from {} as {}: request {}",
                  proof.id.substr(0, 12), in.display_name, remote_ip, role, r->request.request_id);
        broadcast_("node.pair.requested", r->request.to_json(), protocol::Scope::kPairing);
      }
      Error e{ErrorCode::kNotPaired,
              "pairing required: an operator must approve request " + r->request.request_id +
                  " (node.pair.approve), then connect again",
              Json{{"code", "PAIRING_REQUIRED"}, {"requestId", r->request.request_id}},
              std::nullopt};
      return e;
    }
  }
  (void)store_->mark_seen(proof.id, now);
  // A client that already holds a valid device token (sent with the gateway token, or
  // used alone) keeps it: minting again would cost a file write per connect.
  bool holds_token = used_device_token;
  if (!holds_token && !json_str(auth, "deviceToken").empty()) {
    auto owner = store_->verify_token(json_str(auth, "deviceToken"));
    holds_token = owner.ok() && owner->device_id == proof.id && owner->role == role;
  }
  if (!holds_token) {
    auto t = store_->mint_token(proof.id, role, now);
    if (!t.ok()) return t.error();
    out.device_token = std::move(t).value();
  }
  return std::optional<DeviceAdmission>(std::move(out));
}

void NodeHub::node_connected(const Client& c, const std::string& device_id, const Json& params) {
  Connected n;
  n.client_id = c.id;
  n.node_id = device_id;
  const Json& client = params["client"];
  n.display_name = json_str(client, "displayName");
  if (n.display_name.empty()) n.display_name = json_str(client, "id");
  n.platform = json_str(client, "platform");
  n.version = json_str(client, "version");
  n.device_family = json_str(client, "deviceFamily");
  n.conn_id = c.conn_id;
  n.caps = strings(params, "caps");
  n.commands = strings(params, "commands");
  n.connected_at_ms = clock_.wall_ms();
  log::info("node {} ({}) connected with commands [{}]", device_id.substr(0, 12), n.display_name,
            fmt::join(n.commands, ", "));
  connected_[c.id] = std::move(n);
}

void NodeHub::client_closed(std::uint64_t client_id) {
  auto it = connected_.find(client_id);
  if (it == connected_.end()) return;
  std::string node_id = it->second.node_id;
  connected_.erase(it);
  log::info("node {} disconnected", node_id.substr(0, 12));
  if (find_node(node_id)) return;  // another socket of the same node is still there
  std::vector<std::string> ids;
  for (const auto& [id, p] : pending_)
    if (p.node_id == node_id) ids.push_back(id);
  for (const auto& id : ids)
    complete(id, Error::make(ErrorCode::kUnavailable,
                             "node " + node_id.substr(0, 12) + " disconnected before answering",
                             "NODE_DISCONNECTED"));
}

const NodeHub::Connected* NodeHub::find_node(const std::string& node_id) const {
  const Connected* best = nullptr;
  for (const auto& [id, n] : connected_)
    if (n.node_id == node_id && (!best || n.connected_at_ms >= best->connected_at_ms)) best = &n;
  return best;
}

Json NodeHub::node_json(const std::string& node_id, const Connected* c) const {
  Json j{{"nodeId", node_id}, {"connected", c != nullptr}, {"paired", false}};
  if (const nodes::PairedDevice* d = store_->find_paired(node_id)) {
    j["paired"] = true;
    j["displayName"] = d->display_name;
    j["platform"] = d->platform;
    j["approvedAtMs"] = d->approved_at_ms;
    j["lastSeenMs"] = d->last_seen_ms;
  }
  if (c) {
    j["displayName"] = c->display_name;
    j["platform"] = c->platform;
    j["version"] = c->version;
    if (!c->device_family.empty()) j["deviceFamily"] = c->device_family;
    j["caps"] = c->caps;
    j["commands"] = c->commands;
    j["connectedAtMs"] = c->connected_at_ms;
    j["connId"] = c->conn_id;
  }
  return j;
}

Json NodeHub::list() const {
  Json nodes = Json::array();
  std::vector<std::string> seen;
  for (const nodes::PairedDevice& d : store_->paired()) {
    if (!d.has_role("node")) continue;
    nodes.push_back(node_json(d.device_id, find_node(d.device_id)));
    seen.push_back(d.device_id);
  }
  for (const auto& [id, n] : connected_)
    if (std::find(seen.begin(), seen.end(), n.node_id) == seen.end()) {
      nodes.push_back(node_json(n.node_id, &n));
      seen.push_back(n.node_id);
    }
  return Json{{"ts", clock_.wall_ms()}, {"nodes", std::move(nodes)}};
}

Result<Json> NodeHub::describe(const std::string& node_id) const {
  const Connected* c = find_node(node_id);
  const nodes::PairedDevice* d = store_->find_paired(node_id);
  if (!c && !(d && d->has_role("node")))
    return Error::make(ErrorCode::kNotFound, "unknown node: " + node_id + " (see node.list)",
                       "NODE_NOT_FOUND");
  return node_json(node_id, c);
}

void NodeHub::invoke(const Json& params, Answer answer) {
  std::string node_id = json_str(params, "nodeId");
  std::string command = json_str(params, "command");
  std::string idem = json_str(params, "idempotencyKey");
  std::int64_t now = clock_.wall_ms();
  std::erase_if(done_by_idem_, [&](const auto& kv) { return kv.second.expires_ms <= now; });
  if (auto d = done_by_idem_.find(idem); d != done_by_idem_.end()) return answer(d->second.result);
  if (auto p = pending_by_idem_.find(idem); p != pending_by_idem_.end()) {
    pending_.at(p->second).answers.push_back(std::move(answer));
    return;
  }
  const Connected* node = find_node(node_id);
  if (!node) {
    bool known = store_->find_paired(node_id) != nullptr;
    return answer(Error::make(ErrorCode::kUnavailable,
                              known ? "node " + node_id + " is not connected"
                                    : "unknown node: " + node_id + " (see node.list)",
                              known ? "NODE_NOT_CONNECTED" : "NODE_NOT_FOUND"));
  }
  if (std::find(cfg_.allow_commands.begin(), cfg_.allow_commands.end(), command) ==
      cfg_.allow_commands.end())
    return answer(Error::make(ErrorCode::kInvalidArgument,
                              "command " + command + " is not allowed (nodes.allow_commands)",
                              "NODE_COMMAND_NOT_ALLOWED"));
  if (std::find(node->commands.begin(), node->commands.end(), command) == node->commands.end())
    return answer(Error::make(ErrorCode::kInvalidArgument,
                              "node " + node_id.substr(0, 12) + " does not offer " + command,
                              "NODE_COMMAND_NOT_SUPPORTED"));
  if (pending_.size() >= kMaxPendingInvokes)
    return answer(Error::unavailable("too many node invocations in flight; retry later", 1000));
  int timeout_ms = cfg_.invoke_timeout_ms;
  if (params.contains("timeoutMs") && params["timeoutMs"].is_number_integer())
    timeout_ms = static_cast<int>(
        std::clamp<std::int64_t>(params["timeoutMs"].get<std::int64_t>(), 100, 600000));
  std::string id = uuid_v4();
  Json ev{{"id", id},
          {"nodeId", node_id},
          {"command", command},
          {"params", params.value("params", Json::object())},
          {"timeoutMs", timeout_ms},
          {"idempotencyKey", idem}};
  if (!send_to_(node->client_id, "node.invoke.request", std::move(ev)))
    return answer(Error::make(ErrorCode::kUnavailable, "node " + node_id + " is not connected",
                              "NODE_NOT_CONNECTED"));
  Pending& p = pending_[id];
  p.node_id = node_id;
  p.command = command;
  p.idem = idem;
  p.answers.push_back(std::move(answer));
  p.timer = std::make_unique<boost::asio::steady_timer>(io_);
  p.timer->expires_after(std::chrono::milliseconds(timeout_ms));
  p.timer->async_wait(
      alive_.guard([this, id, node_id, timeout_ms](const boost::system::error_code& ec) {
        if (ec) return;
        complete(id, Error::make(ErrorCode::kTimeout,
                                 "node " + node_id.substr(0, 12) + " did not answer within " +
                                     std::to_string(timeout_ms) + " ms",
                                 "NODE_INVOKE_TIMEOUT"));
      }));
  if (!idem.empty()) pending_by_idem_[idem] = id;
}

void NodeHub::complete(const std::string& id, Result<Json> result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.timer) p.timer->cancel();
  if (!p.idem.empty()) {
    pending_by_idem_.erase(p.idem);
    if (done_by_idem_.size() >= kMaxDone) done_by_idem_.erase(done_by_idem_.begin());
    done_by_idem_.insert_or_assign(p.idem, Done{result, clock_.wall_ms() + kDoneTtlMs});
  }
  for (auto& a : p.answers) a(result);
}

Result<Json> NodeHub::invoke_result(std::uint64_t client_id, const Json& params) {
  auto me = connected_.find(client_id);
  if (me == connected_.end()) return Error::invalid("node.invoke.result is for connected nodes");
  std::string id = json_str(params, "id");
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.node_id != me->second.node_id)
    return Error::make(ErrorCode::kInvalidArgument,
                       "unknown or finished invoke id: " + id + " (it may have timed out)",
                       "NODE_INVOKE_NOT_FOUND");
  const std::string node = me->second.node_id;
  const std::string command = it->second.command;
  if (params.value("ok", false)) {
    Json payload = params.value("payload", Json());
    if (payload.is_null() && params.contains("payloadJSON") && params["payloadJSON"].is_string()) {
      payload = Json::parse(params["payloadJSON"].get<std::string>(), nullptr, false);
      if (payload.is_discarded()) payload = params["payloadJSON"];
    }
    complete(id, Json{{"ok", true}, {"nodeId", node}, {"command", command}, {"payload", payload}});
  } else {
    const Json err = params.value("error", Json::object());
    std::string msg = json_str(err, "message");
    if (msg.empty()) msg = "the node reported a failure";
    Error e = Error::make(ErrorCode::kInvalidArgument, "node " + node.substr(0, 12) + ": " + msg,
                          "NODE_INVOKE_FAILED");
    if (err.is_object() && err.contains("code")) e.details["nodeCode"] = err["code"];
    complete(id, e);
  }
  return Json{{"ok", true}};
}

Result<Json> NodeHub::node_event(std::uint64_t client_id, const Json& params) {
  auto me = connected_.find(client_id);
  if (me == connected_.end()) return Error::invalid("node.event is for connected nodes");
  std::string event = json_str(params, "event");
  if (event.empty()) return Error::invalid("node.event needs an event name");
  broadcast_("node.event",
             Json{{"nodeId", me->second.node_id},
                  {"event", event},
                  {"payload", params.value("payload", Json())},
                  {"ts", clock_.wall_ms()}},
             protocol::Scope::kRead);
  return Json{{"ok", true}};
}

Json NodeHub::pair_list() {
  (void)store_->expire(clock_.wall_ms());
  return store_->list();
}

Result<Json> NodeHub::pair_approve(const std::string& request_id, const std::string& by) {
  auto d = store_->approve(request_id, clock_.wall_ms());
  if (!d.ok()) return d.error();
  log::info("pairing request {} approved by {}: device {}", request_id, by,
            d->device_id.substr(0, 12));
  broadcast_("node.pair.resolved",
             Json{{"requestId", request_id},
                  {"deviceId", d->device_id},
                  {"decision", "approved"},
                  {"resolvedBy", by},
                  {"ts", clock_.wall_ms()}},
             protocol::Scope::kPairing);
  return Json{{"ok", true}, {"requestId", request_id}, {"device", d->to_json()}};
}

Result<Json> NodeHub::pair_reject(const Json& params, const std::string& by) {
  std::string request_id = json_str(params, "requestId");
  if (!request_id.empty()) {
    auto r = store_->reject(request_id);
    if (!r.ok()) return r.error();
    broadcast_("node.pair.resolved",
               Json{{"requestId", request_id},
                    {"deviceId", r->device_id},
                    {"decision", "rejected"},
                    {"resolvedBy", by},
                    {"ts", clock_.wall_ms()}},
               protocol::Scope::kPairing);
    return Json{{"ok", true}, {"requestId", request_id}, {"rejected", true}};
  }
  std::string device_id = json_str(params, "deviceId");
  if (device_id.empty()) return Error::invalid("give requestId (pending) or deviceId (paired)");
  auto revoked = store_->revoke(device_id);
  if (!revoked.ok()) return revoked.error();
  if (!*revoked)
    return Error::make(ErrorCode::kNotFound, "unknown device: " + device_id, "DEVICE_NOT_FOUND");
  log::info("device {} revoked by {}", device_id.substr(0, 12), by);
  close_(device_id, "device revoked");
  broadcast_("node.pair.resolved",
             Json{{"deviceId", device_id},
                  {"decision", "revoked"},
                  {"resolvedBy", by},
                  {"ts", clock_.wall_ms()}},
             protocol::Scope::kPairing);
  return Json{{"ok", true}, {"deviceId", device_id}, {"revoked", true}};
}

}  // namespace simpleclaw::gateway
