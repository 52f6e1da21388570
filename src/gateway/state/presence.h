// Presence (SPEC §6): the gateway itself plus one entry per connected operator client or
// node, with a version that bumps on every change. Loop thread only.
//
// Entries are keyed by the client's `instanceId` (connect params client.instanceId):
// two sockets of one app instance (a reconnect racing the old socket's close, a second
// tab) are one entry, which leaves with its last socket. Clients without an instanceId
// get one entry per socket. Entries reported without a socket (a node announcing a
// device or app behind it: node.event {event:"presence"}) live until `ttl_ms` after
// their last report; expire() drops them (the maintenance timer calls it).
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

class Presence {
 public:
  explicit Presence(Json self_entry);
  // A socket authenticated: adds its entry or joins the entry of its instanceId (the
  // newest socket's details win). Returns true when the list changed.
  bool connect(const std::string& conn_id, Json entry);
  // A socket closed: leaves its entry; the entry goes with its last socket. Returns true
  // when the list changed.
  bool disconnect(const std::string& conn_id);
  // A socketless report for `instance_id` (see above); refreshes its deadline. Returns
  // true when the list changed (a new entry or new details).
  bool report(const std::string& instance_id, Json entry, std::int64_t now_ms, std::int64_t ttl_ms);
  // Drops socketless entries whose deadline passed; true when any was dropped.
  bool expire(std::int64_t now_ms);
  Json list() const;  // [self, entries... in arrival order]
  Json self_only() const { return Json::array({self_}); }
  std::uint64_t version() const { return version_; }
  std::size_t size() const { return entries_.size() + 1; }

 private:
  struct Entry {
    std::uint64_t order = 0;
    Json data;
    std::set<std::string> sockets;  // conn ids; empty = a socketless report
    std::int64_t expires_ms = 0;    // socketless only
  };
  Json self_;
  std::map<std::string, Entry> entries_;        // key: instanceId or "conn:<id>"
  std::map<std::string, std::string> by_conn_;  // conn id -> key
  std::uint64_t order_ = 0;
  std::uint64_t version_ = 1;
};

}  // namespace simpleclaw::gateway
