#include "gateway/device_pairing.h"

#include <string_view>
#include <unordered_map>

#include "base/crypto.h"
#include "base/ids.h"
#include "base/json_fields.h"
#include "base/log.h"
#include "nodes/device_identity.h"
#include "sessions/db_worker.h"
#include "sessions/shared_doc_store.h"

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

Status DevicePairing::share(std::string_view text, std::int64_t version, sessions::DbWorker& db,
                            std::function<void()> changed) {
  auto s = nodes::PairingStore::parse(text);
  if (!s.ok()) return s.error();
  store_.emplace(std::move(s).value());
  version_ = version;
  db_ = &db;
  changed_ = std::move(changed);
  return Ok{};
}

void DevicePairing::refresh(std::function<void()> then) {
  if (!db_) {
    if (then) then();
    return;
  }
  if (refresh_running_) {
    // The read in flight may predate what this caller was told of: one more read after
    // it, shared by everyone who asks meanwhile.
    refresh_again_ = true;
    if (then) refresh_next_.push_back(std::move(then));
    return;
  }
  if (then) refreshing_.push_back(std::move(then));
  refresh_running_ = true;
  db_->post([](sessions::SessionStore& s) { return sessions::read_shared_doc(s, kSharedDoc); },
            alive_.guard([this](Result<std::optional<sessions::SharedDoc>> r) {
              refresh_running_ = false;
              if (!r.ok())
                log::warn("devices: cannot re-read the shared pairing store: {}",
                          r.error().message);
              else if (*r && (*r)->version != version_) {
                version_ = (*r)->version;
                adopt((*r)->text);
              }
              auto waiting = std::exchange(refreshing_, {});
              if (std::exchange(refresh_again_, false)) {
                refreshing_ = std::exchange(refresh_next_, {});
                refresh();
              }
              for (auto& then : waiting) then();
            }));
}

void DevicePairing::change(Change op, std::function<void(Status)> then) {
  if (!db_) return then(op(*store_));  // removals close their sockets in their `then`
  struct Outcome {
    Status op = Ok{};
    sessions::SharedDoc doc;
  };
  db_->post(
      [op = std::move(op), now = clock_.wall_ms()](sessions::SessionStore& s) -> Result<Outcome> {
        Outcome out;
        auto doc = sessions::change_shared_doc(
            s, kSharedDoc,
            [&](const std::string& current) -> std::optional<std::string> {
              auto state = nodes::PairingStore::parse(current);
              if (!state.ok()) {
                out.op = state.error();
                return std::nullopt;
              }
              out.op = op(*state);
              if (!out.op.ok()) return std::nullopt;  // refused: nothing written
              return state->to_json().dump();
            },
            now);
        if (!doc.ok()) return doc.error();
        out.doc = std::move(*doc);
        return out;
      },
      alive_.guard([this, then = std::move(then)](Result<Outcome> r) {
        if (!r.ok())
          return then(Error::make(r.error().code,
                                  "the pairing change was not stored: " + r.error().message +
                                      "; nothing changed, try again"));
        if (r->doc.version != version_) {
          version_ = r->doc.version;
          adopt(r->doc.text);
        }
        if (r->op.ok() && changed_) changed_();
        then(std::move(r->op));
      }));
}

void DevicePairing::adopt(const std::string& text) {
  auto next = nodes::PairingStore::parse(text);
  if (!next.ok()) {
    // Written by a newer simpleclaw, or damaged by hand: keep the copy this one has.
    log::error("devices: {}", next.error().message);
    return;
  }
  nodes::PairingStore before = std::move(*store_);
  store_.emplace(std::move(next).value());
  close_dropped(before);
}

void DevicePairing::close_dropped(const nodes::PairingStore& before) {
  // Linear: the copy is adopted after every change, with however many devices.
  std::unordered_map<std::string_view, const nodes::PairedDevice*> current;
  for (const nodes::PairedDevice& d : store_->paired()) current.emplace(d.device_id, &d);
  for (const nodes::PairedDevice& was : before.paired()) {
    auto it = current.find(was.device_id);
    const nodes::PairedDevice* now = it == current.end() ? nullptr : it->second;
    if (!now) {
      if (connected_(was.device_id)) close_(was.device_id, "", "device removed");
      continue;
    }
    for (const nodes::DeviceToken& t : was.tokens)
      if (!now->token_for(t.role) && connected_(was.device_id))
        close_(was.device_id, t.role, "device token revoked");
  }
}

void DevicePairing::mark_seen(const std::string& device_id, std::int64_t now) {
  (void)store_->mark_seen(device_id, now);  // the file, or the cluster's copy
  if (!db_) return;
  // The shared document gets it at most once a minute per device from this instance
  // (lastSeen is informational).
  std::int64_t& posted = seen_posted_[device_id];
  if (now - posted < nodes::PairingStore::kSeenWriteIntervalMs) return;
  posted = now;
  change([device_id, now](nodes::PairingStore& s) { return s.mark_seen(device_id, now); },
         [](Status) {});
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

void DevicePairing::issue_bootstrap(std::int64_t ttl_ms,
                                    std::function<void(Result<Bootstrap>)> done) {
  const std::int64_t now = clock_.wall_ms();
  auto b = std::make_shared<Bootstrap>(Bootstrap{random_token(), now + ttl_ms});
  change(
      [hash = sha256_hex(b->token), b, now](nodes::PairingStore& s) {
        return s.add_bootstrap(hash, b->expires_at_ms, now, kMaxBootstrapTokens);
      },
      [b, done = std::move(done)](Status st) {
        if (!st.ok()) return done(st.error());
        done(std::move(*b));
      });
}

Result<protocol::ScopeSet> DevicePairing::check_bootstrap_token(const Json& params) {
  const Json auth = params.value("auth", Json::object());
  const std::string token = json_str(auth, "bootstrapToken");
  if (token.empty() || !store_->bootstrap_valid(sha256_hex(token), clock_.wall_ms()))
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

void DevicePairing::admit(const Json& params, const std::string& nonce,
                          const DeviceCredential& cred, AdmitDone done) {
  std::string role = params.value("role", std::string("operator"));
  if (!params.contains("device")) {
    if (role == "node")
      return done(Error::unauthenticated(
          "unauthorized: a node must connect with a device identity (device.*); "
          "`simpleclaw node` creates one",
          "DEVICE_IDENTITY_REQUIRED"));
    return done(std::optional<DeviceAdmission>());
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
  const std::int64_t now = clock_.wall_ms();
  if (auto v = nodes::verify_device_proof(proof, f, nonce, now); !v.ok()) return done(v.error());

  // One owner per device: a device paired for one user (or the admin) is not another's.
  const Error other_user = Error::unauthenticated(
      "unauthorized: this device was paired for another user", "AUTH_DEVICE_OTHER_USER");
  if (const nodes::PairedDevice* d = store_->find_paired(proof.id); d && d->user != cred.user)
    return done(other_user);
  // A client that already holds a valid device token (sent with the gateway token, or
  // used alone) keeps it: minting again would cost a write per connect.
  bool holds_token = cred.used_device_token;
  if (!holds_token && !json_str(auth, "deviceToken").empty()) {
    auto owner = store_->verify_token(json_str(auth, "deviceToken"));
    holds_token = owner.ok() && owner->device_id == proof.id && owner->role == role;
  }
  if (holds_token && store_->is_paired(proof.id, proof.public_key, role)) {
    mark_seen(proof.id, now);  // the common reconnect: nothing to change
    return done(std::optional<DeviceAdmission>(DeviceAdmission{proof.id, {}}));
  }

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
  const bool pair_now =
      cred.used_bootstrap || (cred.loopback && !cred.used_device_token && auto_approve_loopback_);
  // Decided against the store as it is when the change runs (in a cluster another
  // instance may have paired or claimed the device since this copy was read).
  struct Outcome {
    bool paired_now = false;
    std::optional<nodes::PairingOutcome> request;  // set: not paired, a request filed
    std::string token;
  };
  auto out = std::make_shared<Outcome>();
  // A sign-in link is used up by the connect it lets in (checked again here: another
  // connect may have used it since this copy was read).
  std::string link = cred.used_bootstrap ? sha256_hex(json_str(auth, "bootstrapToken")) : "";
  change(
      [in, pair_now, holds_token, other_user, now, out, link](nodes::PairingStore& s) -> Status {
        if (!link.empty() && !s.bootstrap_valid(link, now))
          return Error::unauthenticated(
              "unauthorized: this sign-in link is used or expired; run `simpleclaw dashboard` "
              "for a new one",
              "AUTH_BOOTSTRAP_TOKEN_INVALID");
        if (const nodes::PairedDevice* d = s.find_paired(in.device_id); d && d->user != in.user)
          return other_user;
        if (!s.is_paired(in.device_id, in.public_key, in.role)) {
          if (!pair_now) {
            auto r = s.request_pairing(in, now);
            if (!r.ok()) return r.error();
            out->request = std::move(*r);
            return Ok{};
          }
          if (auto p = s.pair_directly(in, now); !p.ok()) return p.error();
          out->paired_now = true;
        }
        if (Status seen = s.mark_seen(in.device_id, now); !seen.ok()) return seen;
        if (!holds_token) {
          auto t = s.mint_token(in.device_id, in.role, now);
          if (!t.ok()) return t.error();
          out->token = std::move(t).value();
        }
        return link.empty() ? Status(Ok{}) : s.use_bootstrap(link);
      },
      [this, in, out, cred, done = std::move(done)](Status st) {
        if (!st.ok()) return done(st.error());
        if (out->request) {
          const nodes::PairingRequest& r = out->request->request;
          if (out->request->created) {
            log::info("pairing requested by device {} ({}) from {} as {}: request {}",
                      in.device_id.substr(0, 12), in.display_name, cred.remote_ip, in.role,
                      r.request_id);
            announce_request(r);
          }
          return done(Error{ErrorCode::kNotPaired,
                            "pairing required: an operator must approve request " + r.request_id +
                                " (device.pair.approve, or `openclaw devices approve`), then "
                                "connect again",
                            Json{{"code", "PAIRING_REQUIRED"}, {"requestId", r.request_id}},
                            std::nullopt});
        }
        if (out->paired_now) {
          log::info("device {} ({}) paired as {} automatically ({})", in.device_id.substr(0, 12),
                    in.display_name, in.role, cred.used_bootstrap ? "sign-in link" : "loopback");
          broadcast_("device.pair.changed", Json::object());
        }
        done(std::optional<DeviceAdmission>(DeviceAdmission{in.device_id, std::move(out->token)}));
      });
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

Json DevicePairing::node_pair_list() { return store_->list(clock_.wall_ms()); }

void DevicePairing::node_pair_approve(const std::string& request_id, const std::string& by,
                                      Done done) {
  approve(request_id, by, [done = std::move(done)](Result<Json> r) {
    if (r.ok()) (*r)["ok"] = true;  // node.pair.approve's older shape: {ok, requestId, device}
    done(std::move(r));
  });
}

void DevicePairing::node_pair_reject(const Json& params, const std::string& by, Done done) {
  std::string request_id = json_str(params, "requestId");
  if (!request_id.empty()) {
    return reject(request_id, by, [request_id, done = std::move(done)](Result<Json> r) {
      if (!r.ok()) return done(std::move(r));
      done(Json{{"ok", true}, {"requestId", request_id}, {"rejected", true}});
    });
  }
  std::string device_id = json_str(params, "deviceId");
  if (device_id.empty())
    return done(Error::invalid("give requestId (pending) or deviceId (paired)"));
  remove(device_id, by, [device_id, done = std::move(done)](Result<Json> r) {
    if (!r.ok()) return done(std::move(r));
    done(Json{{"ok", true}, {"deviceId", device_id}, {"revoked", true}});
  });
}

// ---- device.pair.* / device.token.* ----

Json DevicePairing::device_json(const nodes::PairedDevice& d) const {
  Json j = d.to_json();
  j["connected"] = connected_(d.device_id);
  return j;
}

Json DevicePairing::list() {
  Json all = store_->list(clock_.wall_ms());
  for (Json& d : all["paired"]) d["connected"] = connected_(d["deviceId"].get<std::string>());
  return all;
}

void DevicePairing::approve(const std::string& request_id, const std::string& by, Done done) {
  auto device = std::make_shared<nodes::PairedDevice>();
  change(
      [request_id, device, now = clock_.wall_ms()](nodes::PairingStore& s) -> Status {
        auto d = s.approve(request_id, now);
        if (!d.ok()) return d.error();
        *device = std::move(*d);
        return Ok{};
      },
      [this, request_id, by, device, done = std::move(done)](Status st) {
        if (!st.ok()) return done(st.error());
        log::info("pairing request {} approved by {}: device {}", request_id, by,
                  device->device_id.substr(0, 12));
        announce_resolved(request_id, device->device_id, "approved", by);
        done(Json{{"requestId", request_id}, {"device", device_json(*device)}});
      });
}

void DevicePairing::reject(const std::string& request_id, const std::string& by, Done done) {
  auto request = std::make_shared<nodes::PairingRequest>();
  change(
      [request_id, request](nodes::PairingStore& s) -> Status {
        auto r = s.reject(request_id);
        if (!r.ok()) return r.error();
        *request = std::move(*r);
        return Ok{};
      },
      [this, request_id, by, request, done = std::move(done)](Status st) {
        if (!st.ok()) return done(st.error());
        log::info("pairing request {} rejected by {}: device {}", request_id, by,
                  request->device_id.substr(0, 12));
        announce_resolved(request_id, request->device_id, "rejected", by);
        done(Json{{"requestId", request_id}, {"deviceId", request->device_id}});
      });
}

void DevicePairing::remove(const std::string& device_id, const std::string& by, Done done) {
  change(
      [device_id](nodes::PairingStore& s) -> Status {
        auto revoked = s.revoke(device_id);
        if (!revoked.ok()) return revoked.error();
        if (!*revoked)
          return Error::not_found("unknown device: " + device_id + " (see device.pair.list)",
                                  "DEVICE_NOT_FOUND");
        return Ok{};
      },
      [this, device_id, by, done = std::move(done)](Status st) {
        if (!st.ok()) return done(st.error());
        log::info("device {} removed by {}", device_id.substr(0, 12), by);
        // In a cluster every instance closes them as it adopts the change (close_dropped).
        if (!db_) close_(device_id, "", "device removed");
        seen_posted_.erase(device_id);
        announce_resolved("", device_id, "revoked", by);
        done(Json{{"deviceId", device_id}, {"removedAtMs", clock_.wall_ms()}});
      });
}

void DevicePairing::rename(const std::string& device_id, const std::string& label, Done done) {
  change([device_id, label](nodes::PairingStore& s) { return s.rename(device_id, label); },
         [this, device_id, label, done = std::move(done)](Status st) {
           if (!st.ok()) return done(st.error());
           broadcast_("device.pair.changed", Json::object());
           done(Json{{"deviceId", device_id}, {"label", label}});
         });
}

void DevicePairing::rotate_token(const Json& params, const std::string& by, Done done) {
  const std::string device_id = json_str(params, "deviceId");
  const std::string role = json_str(params, "role");
  std::optional<std::vector<std::string>> scopes;
  if (params.contains("scopes")) scopes = json_strings(params, "scopes");
  const std::int64_t now = clock_.wall_ms();
  struct Rotated {
    std::string token;
    std::vector<std::string> granted;
  };
  auto out = std::make_shared<Rotated>();
  change(
      [device_id, role, scopes, now, out](nodes::PairingStore& s) -> Status {
        auto token = s.rotate_token(device_id, role, scopes ? &*scopes : nullptr, now);
        if (!token.ok()) return token.error();
        out->token = std::move(token).value();
        const nodes::PairedDevice* d = s.find_paired(device_id);
        const nodes::DeviceToken* t = d ? d->token_for(role) : nullptr;
        if (d) out->granted = t && !t->scopes.empty() ? t->scopes : d->scopes;
        return Ok{};
      },
      [this, device_id, role, by, now, out, done = std::move(done)](Status st) {
        if (!st.ok()) return done(st.error());
        log::info("device {} token for {} rotated by {}", device_id.substr(0, 12), role, by);
        broadcast_("device.pair.changed", Json::object());
        // The old token stops working at once; sockets it opened keep their session.
        done(Json{{"deviceId", device_id},
                  {"role", role},
                  {"token", std::move(out->token)},
                  {"tokenDelivery", "in-band"},
                  {"scopes", std::move(out->granted)},
                  {"rotatedAtMs", now}});
      });
}

void DevicePairing::revoke_token(const std::string& device_id, const std::string& role,
                                 const std::string& by, Done done) {
  change(
      [device_id, role](nodes::PairingStore& s) -> Status {
        auto revoked = s.revoke_token(device_id, role);
        if (!revoked.ok()) return revoked.error();
        if (!*revoked)
          return Error::not_found("device " + device_id + " holds no token for role " + role,
                                  "DEVICE_TOKEN_NOT_FOUND");
        return Ok{};
      },
      [this, device_id, role, by, done = std::move(done)](Status st) {
        if (!st.ok()) return done(st.error());
        log::info("device {} token for {} revoked by {}", device_id.substr(0, 12), role, by);
        // In a cluster every instance closes them as it adopts the change (close_dropped).
        if (!db_) close_(device_id, role, "device token revoked");
        broadcast_("device.pair.changed", Json::object());
        done(Json{{"deviceId", device_id}, {"role", role}, {"revokedAtMs", clock_.wall_ms()}});
      });
}

}  // namespace simpleclaw::gateway
