// DevicePairing: device identity at the handshake and the pairing of devices (SPEC §4
// "Device identity"; OpenClaw's device.pair.* / device.token.* and node.pair.*). It owns
// the one pairing store (<state>/devices.json) that operators' devices and nodes share.
//
// A connect that carries a device identity must prove its key (a signature over this
// socket's challenge). A device not yet paired for the role it asks for is then
//   * paired at once when it connected over loopback with a valid gateway credential
//     (the token or password, or a shared-mode user's token) and
//     nodes.auto_approve_loopback is on (the default), as OpenClaw does, so a browser on
//     the gateway's own machine needs no second step ("approvedVia": "silent");
//   * otherwise refused with NOT_PAIRED / PAIRING_REQUIRED and a pending request that an
//     operator approves (device.pair.approve or node.pair.approve).
// A paired device gets a device token in hello-ok.auth.deviceToken, which it presents
// (with its proof) instead of the gateway's credential from then on.
//
// Events: device.pair.requested / device.pair.resolved / device.pair.changed and, for
// compatibility with nodes and older clients, node.pair.requested / node.pair.resolved;
// all to operators holding operator.pairing (in shared mode, only the admin).
//
// Threading: loop thread only.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/clock.h"
#include "config/config.h"
#include "gateway/protocol/scopes.h"
#include "nodes/pairing_store.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

// What a successful device admission gives the handshake.
struct DeviceAdmission {
  std::string device_id;
  std::string device_token;  // minted for hello-ok ("" when the client used its token)
};

// How the connect was authenticated, as far as pairing cares.
struct DeviceCredential {
  bool loopback = false;           // the real client address is loopback
  bool used_device_token = false;  // auth.deviceToken alone (the device is paired already)
  bool used_bootstrap = false;     // auth.bootstrapToken: pair this device now, from anywhere
  std::string user;                // shared mode: whose credential ("" = the admin's)
  std::string remote_ip;
  std::string origin;  // the browser's Origin, "" for other clients
};

class DevicePairing {
 public:
  // Broadcasts an event to the admin's operators holding operator.pairing.
  using Broadcast = std::function<void(const char* event, Json payload)>;
  // Closes the sockets of a device ("" role = every role).
  using CloseDevice = std::function<void(const std::string& device_id, const std::string& role,
                                         const std::string& why)>;
  // True when a socket of this device is connected now.
  using IsConnected = std::function<bool(const std::string& device_id)>;

  DevicePairing(Broadcast broadcast, CloseDevice close, IsConnected connected,
                const Clock& clock = system_clock())
      : broadcast_(std::move(broadcast)),
        close_(std::move(close)),
        connected_(std::move(connected)),
        clock_(clock) {}

  Status open(const std::string& state_dir);  // loads <state>/devices.json
  void configure(const config::Config& cfg) {
    auto_approve_loopback_ = cfg.nodes.auto_approve_loopback;
  }
  const nodes::PairingStore& store() const { return *store_; }

  // auth.deviceToken: the scopes the paired device's token grants (an operator) or none (a
  // node); *user = the shared-mode user the device belongs to ("" = the admin's). The
  // proof is still checked afterwards by admit().
  Result<protocol::ScopeSet> check_device_token(const Json& params, std::string* user);
  // Bootstrap tokens (`simpleclaw dashboard`): one-time, short-lived credentials that pair
  // the browser presenting them, from any address, as the admin's device. Kept in memory
  // only (a restart voids them), at most kMaxBootstrapTokens outstanding, stored hashed.
  static constexpr std::size_t kMaxBootstrapTokens = 32;
  struct Bootstrap {
    std::string token;
    std::int64_t expires_at_ms = 0;
  };
  Result<Bootstrap> issue_bootstrap(std::int64_t ttl_ms);
  // auth.bootstrapToken alone: the scopes it grants (every operator scope) while it is
  // unused and unexpired. admit() consumes it once the device is paired.
  Result<protocol::ScopeSet> check_bootstrap_token(const Json& params);
  // Checks params.device (if any) against this socket's nonce; pairs or refuses. Returns
  // nullopt when the connect carries no device (allowed for operators only).
  Result<std::optional<DeviceAdmission>> admit(const Json& params, const std::string& nonce,
                                               const DeviceCredential& cred);

  // node.pair.* (simpleclaw's older names, still used by `simpleclaw node` and nodes).
  Json node_pair_list();
  Result<Json> node_pair_approve(const std::string& request_id, const std::string& by);
  Result<Json> node_pair_reject(const Json& params, const std::string& by);

  // device.pair.* / device.token.* (OpenClaw's shapes).
  Json list();
  Result<Json> approve(const std::string& request_id, const std::string& by);
  Result<Json> reject(const std::string& request_id, const std::string& by);
  Result<Json> remove(const std::string& device_id, const std::string& by);
  Result<Json> rename(const std::string& device_id, const std::string& label);
  Result<Json> rotate_token(const Json& params, const std::string& by);
  Result<Json> revoke_token(const std::string& device_id, const std::string& role,
                            const std::string& by);

 private:
  void announce_request(const nodes::PairingRequest& r);
  void announce_resolved(const std::string& request_id, const std::string& device_id,
                         const char* decision, const std::string& by);
  Json device_json(const nodes::PairedDevice& d) const;

  Broadcast broadcast_;
  CloseDevice close_;
  IsConnected connected_;
  const Clock& clock_;
  bool auto_approve_loopback_ = true;
  std::optional<nodes::PairingStore> store_;
  std::map<std::string, std::int64_t> bootstrap_;  // sha256 hex of a token -> expiry (ms)
};

}  // namespace simpleclaw::gateway
