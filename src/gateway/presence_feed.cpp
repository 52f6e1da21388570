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
  clients_.broadcast("presence", Json{{"presence", presence_.list()}},
                     Audience{protocol::Scope::kRead, std::string_view()}, true, &sv);
}

void PresenceFeed::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace simpleclaw::gateway
