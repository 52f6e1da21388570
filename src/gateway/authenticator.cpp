#include "gateway/authenticator.h"

#include <strings.h>

#include "base/log.h"

namespace simpleclaw::gateway {

Result<Admission> Authenticator::check(const Json& params, const PeerInfo& peer,
                                       DeviceCredential* cred) {
  Admission a;
  a.role = params.value("role", std::string("operator")) == "node" ? Role::kNode : Role::kOperator;
  // Credentials: the gateway's token/password, or a paired device's own token (checked
  // together with the device's signed proof below).
  const Json auth = params.value("auth", Json::object());
  const bool device_token_auth = auth.is_object() && auth.contains("deviceToken") &&
                                 !auth.contains("token") && !auth.contains("password");
  // A sign-in link's one-time token (`simpleclaw dashboard`), alone.
  const bool bootstrap_auth = auth.is_object() && auth.contains("bootstrapToken") &&
                              !device_token_auth && !auth.contains("token") &&
                              !auth.contains("password");
  std::string device_user;  // the user a paired device belongs to ("" = the admin's)
  auto granted = device_token_auth ? devices_.check_device_token(params, &device_user)
                 : bootstrap_auth  ? devices_.check_bootstrap_token(params)
                                   : check_credentials(config_.auth(), auth);
  // Shared mode: not the gateway's credential, maybe a user's own token.
  const UserDirectory& users = config_.users();
  if (!granted.ok() && !device_token_auth && !users.empty() && auth.is_object() &&
      auth.contains("token") && auth["token"].is_string()) {
    if ((a.user = users.match(auth["token"].get_ref<const std::string&>())))
      granted = a.user->scopes;
  }
  // A user's paired device logs in as that user, with at most the user's current grant;
  // a removed user's devices are refused.
  if (granted.ok() && device_token_auth && !device_user.empty()) {
    a.user = users.find(device_user);
    if (!a.user)
      granted = Error::unauthenticated("unauthorized: the user this device was paired for is gone",
                                       "AUTH_USER_REMOVED");
    else
      granted = protocol::ScopeSet::negotiate(granted->names(), a.user->scopes);
  }
  // Nodes are the admin's: a node gets work from every user.
  if (a.user && a.role != Role::kOperator)
    granted = Error::unauthenticated(
        "unauthorized: shared-mode users connect as operators (nodes use the gateway token)",
        "AUTH_USER_ROLE");
  if (!granted.ok()) return granted.error();
  a.granted = *granted;
  // For the device proof (DevicePairing::admit): a user's device is paired for that user.
  cred->loopback = peer.loopback;
  cred->used_device_token = device_token_auth;
  cred->used_bootstrap = bootstrap_auth;
  cred->user = a.user ? a.user->name : std::string();
  cred->remote_ip = peer.remote_ip;
  cred->origin = peer.origin;
  return a;
}

void Authenticator::attempt(const Json& params, const PeerInfo& peer, const std::string& nonce,
                            bool refreshed, AdmitDone done) {
  DeviceCredential cred;
  Result<Admission> a = check(params, peer, &cred);
  if (!a.ok() && !refreshed && devices_.shared() &&
      (a.error().detail_code() == "AUTH_DEVICE_TOKEN_MISMATCH" ||
       a.error().detail_code() == "AUTH_BOOTSTRAP_TOKEN_INVALID")) {
    // Cluster mode: a token minted (or a sign-in link issued) on another instance a moment
    // ago may not be in this instance's copy yet. One re-read, then the answer stands.
    return devices_.refresh([this, params, peer, nonce, done = std::move(done)]() mutable {
      attempt(params, peer, nonce, true, std::move(done));
    });
  }
  if (!a.ok()) return done(settle(peer, std::move(a)));
  // The device proof: the key's signature over this socket's challenge nonce, then its
  // pairing.
  devices_.admit(
      params, nonce, cred,
      [this, peer, a = std::move(*a), user = cred.user,
       done = std::move(done)](Result<std::optional<DeviceAdmission>> device) mutable {
        if (!device.ok()) return done(settle(peer, device.error()));
        a.device = std::move(device).value();
        // The answer may come after the store's I/O, and a config reload meanwhile may
        // have replaced (or removed) the user: look them up again.
        if (!user.empty()) {
          if (!(a.user = config_.users().find(user)))
            return done(settle(peer, Error::unauthenticated("unauthorized: this user was removed",
                                                            "AUTH_USER_REMOVED")));
          a.granted = protocol::ScopeSet::negotiate(a.granted.names(), a.user->scopes);
        }
        done(settle(peer, std::move(a)));
      });
}

Result<Admission> Authenticator::check_bearer(std::string_view secret) {
  Admission a;
  if (secret.empty())
    return Error::unauthenticated("unauthorized: send Authorization: Bearer <gateway token>",
                                  "AUTH_REQUIRED");
  const std::string s(secret);
  auto granted = check_credentials(config_.auth(), Json{{"token", s}});
  if (!granted.ok()) granted = check_credentials(config_.auth(), Json{{"password", s}});
  if (!granted.ok()) {
    if ((a.user = config_.users().match(s))) granted = a.user->scopes;
  }
  if (!granted.ok()) {
    auto owner = devices_.store().verify_token(s);
    if (owner.ok() && owner->role == "operator") {
      const nodes::PairedDevice* d = devices_.store().find_paired(owner->device_id);
      granted =
          protocol::ScopeSet::negotiate(d ? d->scopes : owner->scopes, protocol::ScopeSet::all());
    }
  }
  if (!granted.ok()) return granted.error();
  a.granted = *granted;
  return a;
}

Result<Admission> Authenticator::admit_bearer(std::string_view authorization,
                                              const PeerInfo& peer) {
  std::string_view secret;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() &&
      strncasecmp(authorization.data(), kBearer.data(), kBearer.size()) == 0)
    secret = authorization.substr(kBearer.size());
  if (auto e = locked_out(peer)) return *e;
  return settle(peer, check_bearer(secret));
}

void Authenticator::admit(const Json& params, const PeerInfo& peer, const std::string& nonce,
                          AdmitDone done) {
  if (auto e = locked_out(peer)) return done(*e);
  attempt(params, peer, nonce, false, std::move(done));
}

std::optional<Error> Authenticator::locked_out(const PeerInfo& peer) {
  if (AuthLimiter::exempt(peer)) return std::nullopt;
  auto left = limiter_.locked_for(AuthLimiter::key(peer), clock_.wall_ms());
  if (!left) return std::nullopt;
  Error e = Error::unauthenticated("unauthorized: too many failed attempts; retry later",
                                   "AUTH_RATE_LIMITED");
  e.retry_after_ms = *left;
  return e;
}

Result<Admission> Authenticator::settle(const PeerInfo& peer, Result<Admission> a) {
  const std::string key = AuthLimiter::key(peer);
  const bool exempt = AuthLimiter::exempt(peer);
  const std::int64_t now = clock_.wall_ms();
  // A device waiting for pairing approval is not a failed attempt.
  if (!a.ok() && a.error().is_not_paired()) return a;
  if (!a.ok()) {
    ++metrics_.auth_failures;
    // Never the credential itself: who, from where, and why.
    std::string code = a.error().detail_code();
    Json record{{"ip", peer.remote_ip}, {"origin", peer.origin}, {"code", code}};
    if (!peer.proxy_ip.empty()) record["proxy"] = peer.proxy_ip;
    log::record("auth.failed", std::move(record),
                fmt::format("auth failed from {}{}{}{}{}: {}", peer.remote_ip,
                            peer.proxy_ip.empty() ? "" : " via proxy ", peer.proxy_ip,
                            peer.origin.empty() ? "" : " origin ", peer.origin, code),
                spdlog::level::warn);
    if (!exempt) {
      if (auto lock = limiter_.record_failure(key, now)) {
        ++metrics_.auth_lockouts;
        log::warn("locking out {} {} for {} s after repeated auth failures", peer.remote_ip,
                  peer.origin, *lock / 1000);
      }
    }
    return a;
  }
  if (!exempt) limiter_.record_success(key);
  return a;
}

}  // namespace simpleclaw::gateway
