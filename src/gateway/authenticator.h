// Authenticator: who a connecting socket is (SPEC §4). It checks the connect params'
// credential behind the failed-attempt limiter and returns a typed Admission:
//
//   the gateway token or password        -> the admin: every scope, every session
//   a paired device's token (+ its proof) -> that device's grant; a device paired with a
//                                           shared-mode user's token logs in as that user
//   a shared-mode user's own token       -> that user, with their grant
//
// and, when the connect carries a device identity, the device's proof and pairing
// (DevicePairing::admit: NOT_PAIRED until approved; paired at once over loopback). Failures are
// counted, logged without the credential, and feed the limiter (10 per 60 s per
// (IP, Origin) -> 5 min lockout; loopback CLI clients exempt, browsers never).
//
// Threading: loop thread only.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "gateway/clients.h"
#include "gateway/device_pairing.h"
#include "gateway/live_config.h"
#include "gateway/state/auth.h"
#include "gateway/state/metrics.h"

namespace simpleclaw::gateway {

struct Admission {
  Role role = Role::kOperator;
  protocol::ScopeSet granted;  // what the credential grants (the socket gets what it asks, capped)
  const User* user = nullptr;  // shared mode: the user it logged in as (null = the admin)
  std::optional<DeviceAdmission> device;  // a device that proved its key
};

class Authenticator {
 public:
  Authenticator(const LiveConfig& config, DevicePairing& devices, Metrics& metrics,
                const Clock& clock = system_clock())
      : config_(config), devices_(devices), metrics_(metrics), clock_(clock) {}

  // `params` passed the connect schema. `nonce` is this socket's challenge. `done` runs at
  // once, or (a device to pair, a request to file, a token to mint; in a cluster, a
  // device token this instance's copy does not know yet) after the pairing store's I/O.
  using AdmitDone = std::function<void(Result<Admission>)>;
  void admit(const Json& params, const PeerInfo& peer, const std::string& nonce, AdmitDone done);
  // An HTTP request's `Authorization: Bearer <secret>` (the Control UI's bootstrap
  // config): the gateway token or password, a shared-mode user's token or a paired
  // device's operator token; behind the same limiter, logged the same way.
  Result<Admission> admit_bearer(std::string_view authorization, const PeerInfo& peer);

 private:
  // The credential: who it is, and what DevicePairing::admit needs to know about it.
  Result<Admission> check(const Json& params, const PeerInfo& peer, DeviceCredential* cred);
  // check(), then the device; `refreshed`: the pairing copy was re-read once already.
  void attempt(const Json& params, const PeerInfo& peer, const std::string& nonce, bool refreshed,
               AdmitDone done);
  Result<Admission> check_bearer(std::string_view secret);
  // The limiter around a check: refused while locked out (locked_out), failures counted
  // and logged (settle).
  std::optional<Error> locked_out(const PeerInfo& peer);
  Result<Admission> settle(const PeerInfo& peer, Result<Admission> a);

  const LiveConfig& config_;
  DevicePairing& devices_;
  Metrics& metrics_;
  const Clock& clock_;
  AuthLimiter limiter_;
};

}  // namespace simpleclaw::gateway
