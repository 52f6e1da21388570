#include "gateway/node_hub.h"

#include <algorithm>
#include <chrono>

#include "base/ids.h"
#include "base/json_fields.h"
#include "base/log.h"
#include "gateway/clients.h"
#include "gateway/device_pairing.h"

namespace simpleclaw::gateway {
namespace {

constexpr std::int64_t kDoneTtlMs = 5 * 60 * 1000;
constexpr std::size_t kMaxDone = 1000;
constexpr std::size_t kMaxPendingInvokes = 1000;

}  // namespace

NodeHub::NodeHub(boost::asio::io_context& io, const DevicePairing& pairing, SendTo send_to,
                 Broadcast broadcast, const Clock& clock)
    : io_(io),
      pairing_(pairing),
      clock_(clock),
      send_to_(std::move(send_to)),
      broadcast_(std::move(broadcast)) {}

NodeHub::~NodeHub() {
  for (auto& [id, p] : pending_)
    if (p.timer) p.timer->cancel();
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
  n.caps = json_strings(params, "caps");
  n.commands = json_strings(params, "commands");
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
  if (const nodes::PairedDevice* d = pairing_.store().find_paired(node_id)) {
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
  for (const nodes::PairedDevice& d : pairing_.store().paired()) {
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
  const nodes::PairedDevice* d = pairing_.store().find_paired(node_id);
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
    bool known = pairing_.store().find_paired(node_id) != nullptr;
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
  // Re-broadcast to operators is the handling every event gets.
  return Json{{"ok", true}, {"event", event}, {"handled", true}};
}

}  // namespace simpleclaw::gateway
