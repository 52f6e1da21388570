#include "gateway/device_pairing.h"

#include "base/crypto.h"
#include "base/ids.h"
#include "base/json_fields.h"
#include "base/log.h"
#include "nodes/device_identity.h"

namespace simpleclaw::gateway {
namespace {

// device.pair.requested carries what OpenClaw's event allows, nothing of ours.
Json requested_event(const nodes::PairingRequest& r) {
  Json j = r.to_json();
  j.erase("createdAtMs");
  j.erase("user");
  return j;
}

}  // namespace

Status DevicePairing::open(const std::string& state_dir) {
  auto s = nodes::PairingStore::open(state_dir + "/devices.json");
  if (!s.ok()) return s.error();
  store_.emplace(std::move(s).value());
  return Ok{};
}

Result<protocol::ScopeSet> DevicePairing::check_device_token(const Json& params,
                                                             std::string* user) {
  const Json auth = params.value("auth", Json::object());
  auto owner = store_->verify_token(json_str(auth, "deviceToken"));
  if (!owner.ok()) return owner.error();
  std::string role = params.value("role", std::string("operator"));
  if (owner->role != role)
    return Error::unauthenticated("unauthorized: this device token is for role " + owner->role,
                                  "AUTH_DEVICE_TOKEN_MISMATCH");
  if (json_str(params.value("device", Json::object()), "id") != owner->device_id)
    return Error::unauthenticated(
        "unauthorized: a device token must come with its device's signed proof (device.*)",
        "AUTH_DEVICE_TOKEN_MISMATCH");
  const nodes::PairedDevice* d = store_->find_paired(owner->device_id);
  if (user) *user = d ? d->user : std::string();
  if (role != "operator") return protocol::ScopeSet();
  // A rotated token may hold fewer scopes than the device was granted.
  const std::vector<std::string>& scopes =
      !owner->scopes.empty() ? owner->scopes : (d ? d->scopes : owner->scopes);
  return protocol::ScopeSet::negotiate(scopes, protocol::ScopeSet::all());
}

Result<DevicePairing::Bootstrap> DevicePairing::issue_bootstrap(std::int64_t ttl_ms) {
  const std::int64_t now = clock_.wall_ms();
  std::erase_if(bootstrap_, [now](const auto& e) { return e.second <= now; });
  if (bootstrap_.size() >= kMaxBootstrapTokens)
    return Error::unavailable("too many unused sign-in links (" +
                              std::to_string(kMaxBootstrapTokens) +
                              "); wait for them to expire or restart the gateway");
  Bootstrap b{random_token(), now + ttl_ms};
  bootstrap_[sha256_hex(b.token)] = b.expires_at_ms;
  return b;
}

Result<protocol::ScopeSet> DevicePairing::check_bootstrap_token(const Json& params) {
  const Json auth = params.value("auth", Json::object());
  const std::string token = json_str(auth, "bootstrapToken");
  auto it = bootstrap_.find(sha256_hex(token));
  if (token.empty() || it == bootstrap_.end() || it->second <= clock_.wall_ms())
    return Error::unauthenticated(
        "unauthorized: this sign-in link is used or expired; run `simpleclaw dashboard` for a "
        "new one",
        "AUTH_BOOTSTRAP_TOKEN_INVALID");
  if (params.value("role", std::string("operator")) != "operator" || !params.contains("device"))
    return Error::unauthenticated(
        "unauthorized: a sign-in link pairs an operator's device: connect with a device identity",
        "AUTH_BOOTSTRAP_TOKEN_INVALID");
  return protocol::ScopeSet::all();
}

Result<std::optional<DeviceAdmission>> DevicePairing::admit(const Json& params,
                                                            const std::string& nonce,
                                                            const DeviceCredential& cred) {
  std::string role = params.value("role", std::string("operator"));
  if (!params.contains("device")) {
    if (role == "node")
      return Error::unauthenticated(
          "unauthorized: a node must connect with a device identity (device.*); "
          "`simpleclaw node` creates one",
          "DEVICE_IDENTITY_REQUIRED");
    return std::optional<DeviceAdmission>();
  }
  const Json& dev = params["device"];
  const Json& client = params["client"];
  const Json auth = params.value("auth", Json::object());
  nodes::DeviceProof proof;
  proof.id = json_str(dev, "id");
  proof.public_key = json_str(dev, "publicKey");
  proof.signature = json_str(dev, "signature");
  proof.nonce = json_str(dev, "nonce");
  proof.signed_at_ms = dev.value("signedAt", std::int64_t{0});
  nodes::SignedFields f;
  f.client_id = json_str(client, "id");
  f.client_mode = json_str(client, "mode");
  f.role = role;
  f.scopes = json_strings(params, "scopes");
  f.token = json_str(auth, "token");
  if (f.token.empty()) f.token = json_str(auth, "deviceToken");
  if (f.token.empty()) f.token = json_str(auth, "bootstrapToken");
  f.platform = json_str(client, "platform");
  f.device_family = json_str(client, "deviceFamily");
  std::int64_t now = clock_.wall_ms();
  if (auto v = nodes::verify_device_proof(proof, f, nonce, now); !v.ok()) return v.error();

  DeviceAdmission out;
  out.device_id = proof.id;
  // One owner per device: a device paired for one user (or the admin) is not another's.
  if (const nodes::PairedDevice* d = store_->find_paired(proof.id); d && d->user != cred.user)
    return Error::unauthenticated("unauthorized: this device was paired for another user",
                                  "AUTH_DEVICE_OTHER_USER");
  if (!store_->is_paired(proof.id, proof.public_key, role)) {
    nodes::PairingInput in;
    in.device_id = proof.id;
    in.public_key = proof.public_key;
    in.display_name = json_str(client, "displayName");
    if (in.display_name.empty()) in.display_name = f.client_id;
    in.platform = f.platform;
    in.client_id = f.client_id;
    in.client_mode = f.client_mode;
    in.role = role;
    in.scopes = f.scopes;
    in.remote_ip = cred.remote_ip;
    in.origin = cred.origin;
    in.user = cred.user;
    // The gateway's own credential over loopback is proof enough (OpenClaw does the same):
    // whoever holds it could approve the request themselves.
    // A sign-in link from `simpleclaw dashboard` is the admin's approval given in advance.
    if (cred.used_bootstrap ||
        (cred.loopback && !cred.used_device_token && auto_approve_loopback_)) {
      auto p = store_->pair_directly(in, now);
      if (!p.ok()) return p.error();
      log::info("device {} ({}) paired as {} automatically ({})", proof.id.substr(0, 12),
                in.display_name, role, cred.used_bootstrap ? "sign-in link" : "loopback");
      broadcast_("device.pair.changed", Json::object());
    } else {
      auto r = store_->request_pairing(in, now);
      if (!r.ok()) return r.error();
      if (r->created) {
        log::info("pairing requested by device {} ({}) from {} as {}: request {}",
                  proof.id.substr(0, 12), in.display_name, cred.remote_ip, role,
                  r->request.request_id);
        announce_request(r->request);
      }
      Error e{ErrorCode::kNotPaired,
              "pairing required: an operator must approve request " + r->request.request_id +
                  " (device.pair.approve, or `openclaw devices approve`), then connect again",
              Json{{"code", "PAIRING_REQUIRED"}, {"requestId", r->request.request_id}},
              std::nullopt};
      return e;
    }
  }
  if (cred.used_bootstrap) bootstrap_.erase(sha256_hex(json_str(auth, "bootstrapToken")));
  (void)store_->mark_seen(proof.id, now);
  // A client that already holds a valid device token (sent with the gateway token, or
  // used alone) keeps it: minting again would cost a file write per connect.
  bool holds_token = cred.used_device_token;
  if (!holds_token && !json_str(auth, "deviceToken").empty()) {
    auto owner = store_->verify_token(json_str(auth, "deviceToken"));
    holds_token = owner.ok() && owner->device_id == proof.id && owner->role == role;
  }
  if (!holds_token) {
    auto t = store_->mint_token(proof.id, role, now);
    if (!t.ok()) return t.error();
    out.device_token = std::move(t).value();
  }
  return std::optional<DeviceAdmission>(std::move(out));
}

void DevicePairing::announce_request(const nodes::PairingRequest& r) {
  broadcast_("node.pair.requested", r.to_json());
  broadcast_("device.pair.requested", requested_event(r));
}

void DevicePairing::announce_resolved(const std::string& request_id, const std::string& device_id,
                                      const char* decision, const std::string& by) {
  const std::int64_t now = clock_.wall_ms();
  Json node_ev{{"deviceId", device_id}, {"decision", decision}, {"resolvedBy", by}, {"ts", now}};
  if (!request_id.empty()) {
    node_ev["requestId"] = request_id;
    broadcast_("device.pair.resolved", Json{{"requestId", request_id},
                                            {"deviceId", device_id},
                                            {"decision", decision},
                                            {"ts", now}});
  }
  broadcast_("node.pair.resolved", std::move(node_ev));
  broadcast_("device.pair.changed", Json::object());
}

// ---- node.pair.* ----

Json DevicePairing::node_pair_list() {
  (void)store_->expire(clock_.wall_ms());
  return store_->list();
}

Result<Json> DevicePairing::node_pair_approve(const std::string& request_id,
                                              const std::string& by) {
  auto r = approve(request_id, by);
  if (!r.ok()) return r.error();
  (*r)["ok"] = true;  // node.pair.approve's older shape: {ok, requestId, device}
  return r;
}

Result<Json> DevicePairing::node_pair_reject(const Json& params, const std::string& by) {
  std::string request_id = json_str(params, "requestId");
  if (!request_id.empty()) {
    auto r = store_->reject(request_id);
    if (!r.ok()) return r.error();
    announce_resolved(request_id, r->device_id, "rejected", by);
    return Json{{"ok", true}, {"requestId", request_id}, {"rejected", true}};
  }
  std::string device_id = json_str(params, "deviceId");
  if (device_id.empty()) return Error::invalid("give requestId (pending) or deviceId (paired)");
  auto removed = remove(device_id, by);
  if (!removed.ok()) return removed.error();
  return Json{{"ok", true}, {"deviceId", device_id}, {"revoked", true}};
}

// ---- device.pair.* / device.token.* ----

Json DevicePairing::device_json(const nodes::PairedDevice& d) const {
  Json j = d.to_json();
  j["connected"] = connected_(d.device_id);
  return j;
}

Json DevicePairing::list() {
  (void)store_->expire(clock_.wall_ms());
  Json pending = Json::array(), paired = Json::array();
  for (const nodes::PairingRequest& r : store_->pending()) pending.push_back(r.to_json());
  for (const nodes::PairedDevice& d : store_->paired()) paired.push_back(device_json(d));
  return Json{{"pending", std::move(pending)}, {"paired", std::move(paired)}};
}

Result<Json> DevicePairing::approve(const std::string& request_id, const std::string& by) {
  auto d = store_->approve(request_id, clock_.wall_ms());
  if (!d.ok()) return d.error();
  log::info("pairing request {} approved by {}: device {}", request_id, by,
            d->device_id.substr(0, 12));
  announce_resolved(request_id, d->device_id, "approved", by);
  return Json{{"requestId", request_id}, {"device", device_json(*d)}};
}

Result<Json> DevicePairing::reject(const std::string& request_id, const std::string& by) {
  auto r = store_->reject(request_id);
  if (!r.ok()) return r.error();
  log::info("pairing request {} rejected by {}: device {}", request_id, by,
            r->device_id.substr(0, 12));
  announce_resolved(request_id, r->device_id, "rejected", by);
  return Json{{"requestId", request_id}, {"deviceId", r->device_id}};
}

Result<Json> DevicePairing::remove(const std::string& device_id, const std::string& by) {
  auto revoked = store_->revoke(device_id);
  if (!revoked.ok()) return revoked.error();
  if (!*revoked)
    return Error::not_found("unknown device: " + device_id + " (see device.pair.list)",
                            "DEVICE_NOT_FOUND");
  log::info("device {} removed by {}", device_id.substr(0, 12), by);
  close_(device_id, "", "device removed");
  announce_resolved("", device_id, "revoked", by);
  return Json{{"deviceId", device_id}, {"removedAtMs", clock_.wall_ms()}};
}

Result<Json> DevicePairing::rename(const std::string& device_id, const std::string& label) {
  if (Status s = store_->rename(device_id, label); !s.ok()) return s.error();
  broadcast_("device.pair.changed", Json::object());
  return Json{{"deviceId", device_id}, {"label", label}};
}

Result<Json> DevicePairing::rotate_token(const Json& params, const std::string& by) {
  const std::string device_id = json_str(params, "deviceId");
  const std::string role = json_str(params, "role");
  std::optional<std::vector<std::string>> scopes;
  if (params.contains("scopes")) scopes = json_strings(params, "scopes");
  const std::int64_t now = clock_.wall_ms();
  auto token = store_->rotate_token(device_id, role, scopes ? &*scopes : nullptr, now);
  if (!token.ok()) return token.error();
  log::info("device {} token for {} rotated by {}", device_id.substr(0, 12), role, by);
  const nodes::PairedDevice* d = store_->find_paired(device_id);
  const nodes::DeviceToken* t = d ? d->token_for(role) : nullptr;
  std::vector<std::string> granted = t && !t->scopes.empty() ? t->scopes : d->scopes;
  broadcast_("device.pair.changed", Json::object());
  // The old token stops working at once; sockets it opened keep their session.
  return Json{{"deviceId", device_id},
              {"role", role},
              {"token", std::move(token).value()},
              {"tokenDelivery", "in-band"},
              {"scopes", std::move(granted)},
              {"rotatedAtMs", now}};
}

Result<Json> DevicePairing::revoke_token(const std::string& device_id, const std::string& role,
                                         const std::string& by) {
  auto revoked = store_->revoke_token(device_id, role);
  if (!revoked.ok()) return revoked.error();
  if (!*revoked)
    return Error::not_found("device " + device_id + " holds no token for role " + role,
                            "DEVICE_TOKEN_NOT_FOUND");
  log::info("device {} token for {} revoked by {}", device_id.substr(0, 12), role, by);
  close_(device_id, role, "device token revoked");
  broadcast_("device.pair.changed", Json::object());
  return Json{{"deviceId", device_id}, {"role", role}, {"revokedAtMs", clock_.wall_ms()}};
}

}  // namespace simpleclaw::gateway
