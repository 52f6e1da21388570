#include "gateway/cluster/event_relay.h"

#include <array>

#include "base/log.h"

namespace simpleclaw::gateway {

namespace {
// The pairing events: the store they announce is shared, so an operator on any instance
// approves a device that asked through another.
constexpr std::array<std::string_view, 13> kRelayed = {"chat",
                                                       "agent",
                                                       "session.message",
                                                       "sessions.changed",
                                                       "cron",
                                                       "heartbeat",
                                                       "exec.approval.requested",
                                                       "exec.approval.resolved",
                                                       "device.pair.requested",
                                                       "device.pair.resolved",
                                                       "device.pair.changed",
                                                       "node.pair.requested",
                                                       "node.pair.resolved"};
}  // namespace

bool relayed_event(std::string_view event) {
  for (std::string_view e : kRelayed)
    if (e == event) return true;
  return false;
}

EventRelay::EventRelay(ClientTable& clients, cluster::Bus& bus, std::string instance)
    : clients_(clients), bus_(bus), instance_(std::move(instance)) {
  clients_.set_relay([this](const ClientTable::Relayed& e) { publish(e); });
  auto sub = bus_.subscribe("events", [this](const cluster::BusMessage& m) { deliver(m.data); });
  if (!sub.ok()) log::warn("cluster: NATS subscribe (events): {}", sub.error().message);
}

EventRelay::~EventRelay() { clients_.set_relay(nullptr); }

void EventRelay::publish(const ClientTable::Relayed& e) {
  if (!relayed_event(e.event)) return;
  const Audience& a = e.audience;
  Json audience{{"scope", static_cast<int>(a.scope)},
                {"subscribers", a.subscribers_only},
                {"watched", a.watched_key},
                {"followed", a.followed_key}};
  if (a.owner) audience["owner"] = *a.owner;
  Json j{{"from", instance_},    {"event", e.event}, {"payload", e.payload},
         {"audience", audience}, {"delta", e.delta}, {"droppable", e.droppable}};
  if (e.delta) j["runId"] = e.run_id;
  if (bus_.publish("events", j.dump()).ok())
    ++counts_.sent;
  else
    ++counts_.refused;  // NATS away: the clients elsewhere catch up from the store
}

void EventRelay::deliver(const std::string& data) {
  Json j = Json::parse(data, nullptr, false);
  if (!j.is_object() || j.value("from", "") == instance_) return;  // our own, echoed back
  const Json& a = j["audience"];
  const std::string event = j.value("event", "");
  if (!a.is_object() || !relayed_event(event)) return;
  // The audience's views point into these strings, alive until the delivery ends.
  const std::string watched = a.value("watched", ""), followed = a.value("followed", "");
  const std::string owner = a.value("owner", "");
  Audience who;
  who.scope = static_cast<protocol::Scope>(a.value("scope", 0));
  if (a.contains("owner")) who.owner = owner;
  who.subscribers_only = a.value("subscribers", false);
  who.watched_key = watched;
  who.followed_key = followed;
  const std::string run_id = j.value("runId", "");
  ++counts_.received;
  const bool delta = j.value("delta", false);
  clients_.deliver_relayed(
      ClientTable::Relayed{delta, event, run_id, j["payload"], who, j.value("droppable", false)});
  if (event == "chat" && !delta && on_end_) report_end(j["payload"]);
}

void EventRelay::report_end(const Json& p) {
  const std::string state = p.value("state", "");
  if (state != "final" && state != "error" && state != "aborted") return;
  RunEnd end;
  end.run_id = p.value("runId", "");
  end.session_key = p.value("sessionKey", "");
  end.status = sessions::parse_run_status(state);
  end.error = p.value("errorMessage", "");
  end.timed_out = p.value("errorKind", "") == "timeout";
  const Json message = p.value("message", Json::object());
  if (message.is_object()) {
    end.ended_at = message.value("timestamp", std::int64_t{0});
    const Json content = message.value("content", Json::array());
    if (content.is_array() && !content.empty() && content[0].is_object())
      end.text = content[0].value("text", "");
  }
  if (!end.run_id.empty()) on_end_(end);
}

}  // namespace simpleclaw::gateway
