// The pairing store (SPEC §4 "Device identity", §5 node.pair.*): pending pairing
// requests from unknown devices, the devices an operator approved, and the device tokens
// handed out in hello-ok.auth.deviceToken.
//
// State lives in memory and in one JSON file, `<state>/devices.json` (mode 0600). It is
// loaded once by open(); a file that cannot be parsed is an error naming the file and
// the fix, never silently replaced. Every mutation builds the new state, writes it
// atomically (write_file_atomic) and only then takes it: a failed write returns the
// error and leaves memory as it was, so memory never claims more than the disk holds.
// Device tokens are returned once and stored only as SHA-256 hex. In cluster mode the
// same state is one shared document in the database (gateway/device_pairing.h says how).
//
// Threads: owned by the loop thread; a plain class without locking. Writes are small,
// blocking and rare (pairing, approval, token mint, revoke, last-seen).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::nodes {

// A device asking to be paired (from its connect request).
struct PairingInput {
  std::string device_id;
  std::string public_key;  // any form raw_public_key() takes; stored as base64url
  std::string display_name;
  std::string platform;
  std::string client_id;
  std::string client_mode;
  std::string role;  // "node" or "operator"
  std::vector<std::string> scopes;
  std::string remote_ip;
  std::string origin;  // the browser's Origin ("" for other clients)
  std::string user;    // shared mode: the user whose token asked ("" = the admin's)
};

struct PairingRequest {
  std::string request_id;  // uuid
  std::string device_id;
  std::string public_key;  // base64url raw key
  std::string display_name;
  std::string platform;
  std::string client_id;
  std::string client_mode;
  std::string role;
  std::vector<std::string> scopes;
  std::string remote_ip;
  std::string origin;
  std::int64_t created_at_ms = 0;
  bool repair = false;  // the device is paired already and asks for more (a role or scopes)

  Json to_json() const;  // camelCase, as in node.pair.list and device.pair.list
  std::string user;      // shared mode: the user the device will belong to ("" = admin)
};

struct DeviceToken {
  std::string role;
  std::string hash;  // SHA-256 hex of the token; never leaves the store
  std::int64_t created_at_ms = 0;
  std::int64_t rotated_at_ms = 0;   // 0 = never rotated (device.token.rotate)
  std::vector<std::string> scopes;  // narrowed at rotation; empty = the device's scopes

  Json summary() const;  // {role, scopes?, createdAtMs, rotatedAtMs?}: no hash
};

struct PairedDevice {
  std::string device_id;
  std::string public_key;  // base64url raw key
  std::string display_name;
  std::string label;  // the operator's name for it (device.pair.rename); "" = none
  std::string platform;
  std::string client_id;
  std::string client_mode;
  std::string remote_ip;  // where it was last paired from
  std::vector<std::string> roles;
  std::vector<std::string> scopes;
  std::int64_t approved_at_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::string approved_via;         // "operator" (a request approved) or "silent" (loopback)
  std::string user;                 // shared mode: the user it belongs to, set at first pairing
  std::vector<DeviceToken> tokens;  // at most one per role

  // camelCase, as in node.pair.list and device.pair.list; tokens are summaries (no hash).
  Json to_json() const;
  bool has_role(std::string_view role) const;
  const DeviceToken* token_for(std::string_view role) const;
};

// request_pairing's answer: `created` is false when an existing request was returned
// (the caller then does not announce it again).
struct PairingOutcome {
  PairingRequest request;
  bool created = false;
};

// verify_token's answer.
struct TokenOwner {
  std::string device_id;
  std::string role;
  std::vector<std::string> scopes;  // the token's own (narrowed) scopes; empty = the device's
};

class PairingStore {
 public:
  static constexpr std::size_t kMaxPending = 100;              // oldest dropped beyond this
  static constexpr std::int64_t kPendingTtlMs = 3600000;       // a request expires after 1 h
  static constexpr std::int64_t kSeenWriteIntervalMs = 60000;  // lastSeen persisted this often

  // Loads `path` (normally <state>/devices.json). A missing file is an empty store.
  static Result<PairingStore> open(std::string path);
  // A store from its JSON text (devices.json's format; "" = empty) that writes to `path`,
  // or, with no path, one that only holds its state: cluster mode's copy of the shared
  // document, changed in memory and written to the database by its owner.
  static Result<PairingStore> parse(std::string_view text, std::string path = {});
  // The whole state in devices.json's format, token hashes included: for the file and the
  // shared document only, never for a client.
  Json to_json() const { return to_json(State{pending_, paired_, bootstrap_}); }

  // Files a request, or returns the pending one for the same device and role (its scopes
  // widened to include the new ones). Expired requests are dropped first. Fails when
  // the device id does not belong to the public key.
  Result<PairingOutcome> request_pairing(const PairingInput& in, std::int64_t now_ms);
  // Approves a pending request: the device becomes (or stays) paired, gaining the role and
  // scopes of the request. Unknown/expired id: INVALID_REQUEST, PAIRING_REQUEST_NOT_FOUND.
  Result<PairedDevice> approve(std::string_view request_id, std::int64_t now_ms);
  // Drops a pending request and returns it (for the resolved event).
  Result<PairingRequest> reject(std::string_view request_id);
  // Pairs without a request (loopback auto-approval, NodesConfig::auto_approve_loopback).
  Result<PairedDevice> pair_directly(const PairingInput& in, std::int64_t now_ms);

  // True when the device is paired with this role and `public_key` (any accepted form)
  // is the key it was paired with.
  bool is_paired(std::string_view device_id, std::string_view public_key,
                 std::string_view role) const;
  const PairedDevice* find_paired(std::string_view device_id) const;
  const PairingRequest* find_request(std::string_view request_id) const;
  const std::vector<PairingRequest>& pending() const { return pending_; }
  const std::vector<PairedDevice>& paired() const { return paired_; }

  // A new token for a paired device+role (32 random bytes, base64url), replacing any
  // previous one for that role. Not paired with that role: NOT_PAIRED.
  Result<std::string> mint_token(std::string_view device_id, std::string_view role,
                                 std::int64_t now_ms);
  // device.token.rotate: a new token for a role the device holds, optionally with fewer
  // scopes (never more than the device was granted: INVALID_REQUEST).
  Result<std::string> rotate_token(std::string_view device_id, std::string_view role,
                                   const std::vector<std::string>* scopes, std::int64_t now_ms);
  // device.token.revoke: drops the role's token (the device stays paired and can get a new
  // one by connecting with the gateway's credential). False when it had none.
  Result<bool> revoke_token(std::string_view device_id, std::string_view role);
  // device.pair.rename. Unknown device: NOT_FOUND.
  Status rename(std::string_view device_id, std::string_view label);

  // Which device and role a token belongs to. Every stored hash is compared, in constant
  // time. Unknown token: INVALID_REQUEST, AUTH_DEVICE_TOKEN_MISMATCH.
  Result<TokenOwner> verify_token(std::string_view token) const;

  // Forgets a device: its pairing, its tokens and its pending requests. True if it was
  // paired.
  Result<bool> revoke(std::string_view device_id);
  // Records a connect of a paired device (no-op for unknown devices). Kept in memory and
  // written to the file at most every kSeenWriteIntervalMs.
  Status mark_seen(std::string_view device_id, std::int64_t now_ms);
  // Drops pending requests older than kPendingTtlMs; returns how many.
  Result<std::size_t> expire(std::int64_t now_ms);

  // Sign-in links (`simpleclaw dashboard`): one-time tokens, kept as SHA-256 hex with
  // their expiry until used or expired. At most `max` outstanding: UNAVAILABLE beyond.
  Status add_bootstrap(const std::string& hash, std::int64_t expires_at_ms, std::int64_t now_ms,
                       std::size_t max);
  bool bootstrap_valid(std::string_view hash, std::int64_t now_ms) const;
  Status use_bootstrap(std::string_view hash);  // gone from now on (no-op if unknown)

  // node.pair.list payload: {pending:[...], paired:[...]}; no token hashes; requests
  // older than an hour at `now_ms` left out (the next change drops them from the store).
  Json list(std::int64_t now_ms) const;
  const std::string& path() const { return path_; }

 private:
  using Bootstraps = std::map<std::string, std::int64_t, std::less<>>;  // hash -> expiry
  struct State {
    std::vector<PairingRequest> pending;
    std::vector<PairedDevice> paired;
    Bootstraps bootstrap;
  };
  explicit PairingStore(std::string path) : path_(std::move(path)) {}

  Status commit(State next);  // persist (when there is a file), then adopt
  static Json to_json(const State& state);
  State snapshot() const { return State{pending_, paired_, bootstrap_}; }
  static void drop_expired(State& s, std::int64_t now_ms);
  static PairedDevice& upsert_paired(State& s, const PairingRequest& r, std::int64_t now_ms);

  std::string path_;
  std::vector<PairingRequest> pending_;  // oldest first
  std::vector<PairedDevice> paired_;
  Bootstraps bootstrap_;
  std::map<std::string, std::int64_t, std::less<>> seen_written_;  // lastSeen last written
};

}  // namespace simpleclaw::nodes
