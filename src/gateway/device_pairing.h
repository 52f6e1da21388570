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
// Cluster mode (share()): the store is one shared document in the database ("devices",
// sessions/shared_doc_store.h) and this instance holds a copy of it. Every change runs as
// one locked read-modify-write of the document on the DbWorker thread, against what the
// database holds then, and is adopted (and answered) only once committed: a token handed
// out on one instance is valid on every other, a device approved through one is paired
// everywhere, and two instances changing it at once both land. Reads (the handshake's
// checks, the lists) use the copy, refreshed after every change, when another instance
// announces one (NATS "devices.changed") and every lease renewal; a device token the copy
// does not know yet is looked up again before it is refused. Sockets of a device that was
// removed or whose role token was revoked close on every instance when its copy learns it.
// Single mode runs the same changes on <state>/devices.json, synchronously.
//
// Threading: loop thread only.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/alive.h"
#include "base/clock.h"
#include "config/config.h"
#include "gateway/protocol/scopes.h"
#include "nodes/pairing_store.h"
#include "simpleclaw/result.h"

namespace simpleclaw::sessions {
class DbWorker;
}

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
  // Cluster mode, after open(): `text` is the shared document as Gateway::open read it;
  // from now on changes go to the database through `db` and `changed` announces them.
  static constexpr const char* kSharedDoc = "devices";
  Status share(std::string_view text, std::int64_t version, sessions::DbWorker& db,
               std::function<void()> changed);
  bool shared() const { return db_ != nullptr; }
  // Re-reads the shared document (another instance changed it); `then` runs once this
  // copy is current (at once in single mode). Concurrent calls share one read.
  void refresh(std::function<void()> then = {});
  void configure(const config::Config& cfg) {
    auto_approve_loopback_ = cfg.nodes.auto_approve_loopback;
  }
  const nodes::PairingStore& store() const { return *store_; }

  // auth.deviceToken: the scopes the paired device's token grants (an operator) or none (a
  // node); *user = the shared-mode user the device belongs to ("" = the admin's). The
  // proof is still checked afterwards by admit().
  Result<protocol::ScopeSet> check_device_token(const Json& params, std::string* user);

  // Every answer that changes the store comes through one of these, after the commit.
  using Done = std::function<void(Result<Json>)>;
  using AdmitDone = std::function<void(Result<std::optional<DeviceAdmission>>)>;
  // Bootstrap tokens (`simpleclaw dashboard`): one-time, short-lived credentials that pair
  // the browser presenting them, from any address, as the admin's device. Kept in the
  // pairing store, hashed (so in a cluster a link issued by one instance works on every
  // other), at most kMaxBootstrapTokens outstanding.
  static constexpr std::size_t kMaxBootstrapTokens = 32;
  struct Bootstrap {
    std::string token;
    std::int64_t expires_at_ms = 0;
  };
  void issue_bootstrap(std::int64_t ttl_ms, std::function<void(Result<Bootstrap>)> done);
  // auth.bootstrapToken alone: the scopes it grants (every operator scope) while it is
  // unused and unexpired. admit() consumes it once the device is paired.
  Result<protocol::ScopeSet> check_bootstrap_token(const Json& params);
  // Checks params.device (if any) against this socket's nonce; pairs or refuses. Answers
  // nullopt when the connect carries no device (allowed for operators only). A paired
  // device that holds its token is answered at once; pairing, a pairing request or a new
  // token is a change of the store, answered after it.
  void admit(const Json& params, const std::string& nonce, const DeviceCredential& cred,
             AdmitDone done);

  // node.pair.* (simpleclaw's older names, still used by `simpleclaw node` and nodes).
  Json node_pair_list();
  void node_pair_approve(const std::string& request_id, const std::string& by, Done done);
  void node_pair_reject(const Json& params, const std::string& by, Done done);

  // device.pair.* / device.token.* (OpenClaw's shapes).
  Json list();
  void approve(const std::string& request_id, const std::string& by, Done done);
  void reject(const std::string& request_id, const std::string& by, Done done);
  void remove(const std::string& device_id, const std::string& by, Done done);
  void rename(const std::string& device_id, const std::string& label, Done done);
  void rotate_token(const Json& params, const std::string& by, Done done);
  void revoke_token(const std::string& device_id, const std::string& role, const std::string& by,
                    Done done);

 private:
  // A change of the store: runs on the authoritative state (this instance's file, or the
  // shared document on the DbWorker thread: then it must use only what it captured) and
  // fills its own result. `then` runs on the loop once it is committed and adopted.
  using Change = std::function<Status(nodes::PairingStore&)>;
  void change(Change op, std::function<void(Status)> then);
  // Adopts a newer copy of the shared document; closes what it no longer allows.
  void adopt(const std::string& text);
  // Cluster mode: the sockets `before` allowed that the adopted copy no longer does: a
  // removed device's, a revoked role token's.
  void close_dropped(const nodes::PairingStore& before);
  void mark_seen(const std::string& device_id, std::int64_t now);
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
  // Cluster mode.
  sessions::DbWorker* db_ = nullptr;
  std::function<void()> changed_;
  std::int64_t version_ = 0;                         // of the adopted shared document
  std::vector<std::function<void()>> refreshing_;    // waiting for the read in flight
  std::vector<std::function<void()>> refresh_next_;  // waiting for the read after it
  bool refresh_running_ = false;
  bool refresh_again_ = false;  // asked for while a read was in flight: one more
  std::map<std::string, std::int64_t> seen_posted_;  // device -> when lastSeen was last sent
  Alive alive_;                                      // last: no callback outlives this
};

}  // namespace simpleclaw::gateway
