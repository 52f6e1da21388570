// NodeHub: the nodes connected right now and node.invoke routing (SPEC §5 Nodes). Which
// devices are paired (and the device identity check at connect) is DevicePairing's
// (device_pairing.h); a node is a device paired with role `node`.
//
// Invoke: node.invoke sends `node.invoke.request` to the node's socket and answers the
// caller when the node sends node.invoke.result, or with an error on timeout or
// disconnect. The same idempotencyKey while pending joins the pending call; after it
// finished (5 min) it gets the cached answer. Only commands in nodes.allow_commands that
// the node declared are sent.
//
// Threading: loop thread. Owned by the Gateway.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/alive.h"
#include "base/clock.h"
#include "config/config.h"
#include "gateway/protocol/scopes.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

struct Client;
class DevicePairing;

class NodeHub {
 public:
  using Answer = std::function<void(Result<Json>)>;
  // Sends an event to one socket; false when it is gone.
  using SendTo = std::function<bool(std::uint64_t client_id, const char* event, Json payload)>;
  // Broadcasts an event to operators holding `scope`.
  using Broadcast = std::function<void(const char* event, Json payload, protocol::Scope scope)>;

  NodeHub(boost::asio::io_context& io, const DevicePairing& pairing, SendTo send_to,
          Broadcast broadcast, const Clock& clock = system_clock());
  ~NodeHub();
  void configure(const config::Config& cfg) { cfg_ = cfg.nodes; }
  // A node's socket finished its handshake / closed.
  void node_connected(const Client& c, const std::string& device_id, const Json& params);
  void client_closed(std::uint64_t client_id);

  // Methods.
  Json list() const;
  Result<Json> describe(const std::string& node_id) const;
  void invoke(const Json& params, Answer answer);
  Result<Json> invoke_result(std::uint64_t client_id, const Json& params);
  Result<Json> node_event(std::uint64_t client_id, const Json& params);
  std::size_t connected_count() const { return connected_.size(); }

 private:
  struct Connected {
    std::uint64_t client_id = 0;
    std::string node_id, display_name, platform, version, device_family, conn_id;
    std::vector<std::string> caps, commands;
    std::int64_t connected_at_ms = 0;
  };
  struct Pending {
    std::string node_id, command, idem;
    std::vector<Answer> answers;  // the caller and any duplicate joined to it
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  struct Done {
    Result<Json> result;
    std::int64_t expires_ms;
  };
  const Connected* find_node(const std::string& node_id) const;
  Json node_json(const std::string& node_id, const Connected* c) const;
  void complete(const std::string& invoke_id, Result<Json> result);

  boost::asio::io_context& io_;
  const DevicePairing& pairing_;
  const Clock& clock_;
  SendTo send_to_;
  Broadcast broadcast_;
  config::NodesConfig cfg_;
  std::map<std::uint64_t, Connected> connected_;        // by client id
  std::map<std::string, Pending> pending_;              // by invoke id
  std::map<std::string, std::string> pending_by_idem_;  // idempotencyKey -> invoke id
  std::map<std::string, Done> done_by_idem_;            // finished, for duplicates
  Alive alive_;  // last: timers firing after destruction do nothing
};

}  // namespace simpleclaw::gateway
