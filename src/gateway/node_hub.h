// NodeHub: device identity at the handshake, pairing, and the nodes connected right now
// (SPEC §4 device identity, §5 Nodes).
//
// Handshake: a connect with `device` must prove it holds the key (Ed25519 signature of
// the v3/v2 payload over this socket's challenge nonce, signedAt within ±120 s, device.id
// = SHA-256 of the key). A device not yet paired for the role is refused with
// PAIRING_REQUIRED and a pending request an operator approves (node.pair.approve), except
// from loopback when nodes.auto_approve_loopback. A paired device gets a device token in
// hello-ok.auth.deviceToken (unless it sent a valid one) and may use it (auth.deviceToken,
// with its proof) instead of the gateway token. Role `node` requires a device identity.
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
#include "nodes/pairing_store.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

struct Client;

// What a successful device admission gives the handshake.
struct DeviceAdmission {
  std::string device_id;
  std::string device_token;  // minted for hello-ok ("" when the client used its token)
};

class NodeHub {
 public:
  using Answer = std::function<void(Result<Json>)>;
  // Sends an event to one socket; false when it is gone.
  using SendTo = std::function<bool(std::uint64_t client_id, const char* event, Json payload)>;
  // Broadcasts an event to operators holding `scope`.
  using Broadcast = std::function<void(const char* event, Json payload, protocol::Scope scope)>;
  // Closes every socket of a device (revocation).
  using CloseDevice = std::function<void(const std::string& device_id, const std::string& why)>;

  NodeHub(boost::asio::io_context& io, SendTo send_to, Broadcast broadcast, CloseDevice close,
          const Clock& clock = system_clock());
  ~NodeHub();
  Status open(const std::string& state_dir);  // loads <state>/devices.json
  void configure(const config::Config& cfg) { cfg_ = cfg.nodes; }

  // auth.deviceToken: the scopes the paired device holds (an operator) or none (a node);
  // *user = the shared-mode user the device belongs to ("" = the admin's). The proof is
  // still checked afterwards by admit().
  Result<protocol::ScopeSet> check_device_token(const Json& params, std::string* user);
  // Checks params.device (if any) against this socket's nonce; pairs or refuses. `user`:
  // whose credential this connect carries ("" = the admin's); a device belongs to the
  // user it was first paired for, and anyone else is refused. Returns nullopt when the
  // connect carries no device (allowed for operators only).
  Result<std::optional<DeviceAdmission>> admit(const Json& params, const std::string& nonce,
                                               const std::string& remote_ip, bool loopback,
                                               bool used_device_token, const std::string& user);
  // A node's socket finished its handshake / closed.
  void node_connected(const Client& c, const std::string& device_id, const Json& params);
  void client_closed(std::uint64_t client_id);

  // Methods.
  Json list() const;
  Result<Json> describe(const std::string& node_id) const;
  void invoke(const Json& params, Answer answer);
  Result<Json> invoke_result(std::uint64_t client_id, const Json& params);
  Result<Json> node_event(std::uint64_t client_id, const Json& params);
  Json pair_list();
  Result<Json> pair_approve(const std::string& request_id, const std::string& by);
  Result<Json> pair_reject(const Json& params, const std::string& by);
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
  const Clock& clock_;
  SendTo send_to_;
  Broadcast broadcast_;
  CloseDevice close_;
  config::NodesConfig cfg_;
  std::optional<nodes::PairingStore> store_;
  std::map<std::uint64_t, Connected> connected_;        // by client id
  std::map<std::string, Pending> pending_;              // by invoke id
  std::map<std::string, std::string> pending_by_idem_;  // idempotencyKey -> invoke id
  std::map<std::string, Done> done_by_idem_;            // finished, for duplicates
  Alive alive_;  // last: timers firing after destruction do nothing
};

}  // namespace simpleclaw::gateway
