#include "gateway/presence_feed.h"

#include <unistd.h>

namespace simpleclaw::gateway {
namespace {

std::string hostname() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// A connected client's entry, from its connect params.
Json entry_of(const Client& c) {
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
  e["roles"] = Json::array({role_name(c.role)});
  e["scopes"] = c.scopes.names();
  return e;
}

}  // namespace

PresenceFeed::PresenceFeed(boost::asio::io_context& io, ClientTable& clients, const Clock& clock,
                           std::function<Json()> state_version)
    : clients_(clients),
      clock_(clock),
      state_version_(std::move(state_version)),
      presence_(Json{{"host", hostname()},
                     {"ip", "127.0.0.1"},
                     {"version", SIMPLECLAW_VERSION},
                     {"platform", "linux"},
                     {"mode", "gateway"},
                     {"reason", "self"},
                     {"text", "simpleclaw gateway"},
                     {"ts", clock.wall_ms()}}),
      timer_(io) {}

bool PresenceFeed::connect(const Client& c) { return presence_.connect(c.conn_id, entry_of(c)); }

void PresenceFeed::disconnect(const std::string& conn_id) {
  if (presence_.disconnect(conn_id)) changed();
}

Status PresenceFeed::report(const Client& from, const Json& payload, std::int64_t ttl_ms) {
  if (!payload.is_object()) return Error::invalid("presence payload must be an object");
  const Json& id = payload.contains("instanceId") ? payload["instanceId"] : Json();
  if (!id.is_string() || id.get_ref<const std::string&>().empty() ||
      id.get_ref<const std::string&>().size() > 256)
    return Error::invalid("presence payload needs instanceId (a string of 1-256 characters)");
  // Only the closed set of presence fields, each a bounded string.
  std::int64_t now = clock_.wall_ms();
  Json entry{{"instanceId", id}, {"ts", now}, {"reason", "report"}, {"ip", from.peer.remote_ip}};
  for (const char* k : {"host", "version", "platform", "deviceFamily", "mode", "text"}) {
    if (!payload.contains(k)) continue;
    const Json& v = payload[k];
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 256)
      return Error::invalid(std::string("presence field ") + k +
                            " must be a string of at most 256 characters");
    entry[k] = v;
  }
  entry["roles"] = Json::array({"node"});
  // The report's own ts changes every time: Presence compares without it, so a repeated
  // report only refreshes the deadline.
  if (presence_.report(id.get<std::string>(), std::move(entry), now, ttl_ms)) changed();
  return Ok{};
}

void PresenceFeed::expire() {
  if (presence_.expire(clock_.wall_ms())) changed();
}

void PresenceFeed::changed() {
  if (flush_pending_ || stopped_) return;
  auto now = clock_.steady();
  auto due = last_broadcast_ + kInterval;
  if (now >= due) return flush();
  flush_pending_ = true;
  timer_.expires_after(due - now);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    flush_pending_ = false;
    if (!ec && !stopped_) flush();
  });
}

void PresenceFeed::flush() {
  last_broadcast_ = clock_.steady();
  Json sv = state_version_();
  // Shared mode: users do not see who is connected (owner "" = the admin only).
  Json local = local_list();
  Json all = local;
  append_remote(all);
  clients_.broadcast("presence", Json{{"presence", std::move(all)}},
                     Audience{protocol::Scope::kRead, std::string_view()}, true, &sv);
  if (publish_) publish_(local);
}

void PresenceFeed::append_remote(Json& list) const {
  for (const auto& [id, r] : remote_)
    for (const Json& e : r.entries) list.push_back(e);
}

Json PresenceFeed::local_list() const {
  Json out = presence_.list();
  if (instance_.empty()) return out;
  const std::string tag = "gateway-instance:" + instance_;
  for (Json& e : out) {
    Json& tags = e["tags"];
    if (!tags.is_array()) tags = Json::array();
    tags.push_back(tag);
  }
  return out;
}

Json PresenceFeed::list() const {
  Json out = local_list();
  append_remote(out);
  return out;
}

void PresenceFeed::set_cluster(std::string instance, std::function<void(const Json&)> publish) {
  instance_ = std::move(instance);
  publish_ = std::move(publish);
}

void PresenceFeed::republish() {
  if (publish_ && !stopped_) publish_(local_list());
}

void PresenceFeed::remote(const std::string& instance, const Json& entries,
                          std::chrono::milliseconds ttl) {
  if (instance == instance_ || !entries.is_array()) return;
  Remote& r = remote_[instance];
  r.expires = clock_.steady() + ttl;
  // Bounded like a local list: a few thousand entries at most per instance.
  Json kept = Json::array();
  for (const Json& e : entries)
    if (e.is_object() && kept.size() < 5000) kept.push_back(e);
  if (r.entries == kept) return;  // a heartbeat
  r.entries = std::move(kept);
  ++remote_version_;
  changed();
}

void PresenceFeed::expire_remote() {
  const auto now = clock_.steady();
  bool gone = false;
  for (auto it = remote_.begin(); it != remote_.end();) {
    if (it->second.expires < now) {
      it = remote_.erase(it);
      gone = true;
    } else {
      ++it;
    }
  }
  if (gone) {
    ++remote_version_;
    changed();
  }
}

void PresenceFeed::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace simpleclaw::gateway
