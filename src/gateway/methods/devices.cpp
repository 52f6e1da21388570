// device.pair.* and device.token.* (OpenClaw's device pairing, SPEC §4 "Device
// identity"): views and changes over the one pairing store that DevicePairing owns, shared
// with node.pair.*. Admin-only in shared mode (the method table says so).
#include "base/json_fields.h"
#include "base/log.h"
#include "gateway/device_pairing.h"
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {

void method_device_pair_list(MethodCall& call) { call.respond(call.svc.devices.list()); }

// The changes are deferred: each is answered once the store holds it (in a cluster, the
// database; a token returned is then valid on every instance).
void method_device_pair_approve(MethodCall& call) {
  call.svc.devices.approve(json_str(call.params, "requestId"), call.client.who(), call.respond);
}

void method_device_pair_reject(MethodCall& call) {
  call.svc.devices.reject(json_str(call.params, "requestId"), call.client.who(), call.respond);
}

void method_device_pair_remove(MethodCall& call) {
  call.svc.devices.remove(json_str(call.params, "deviceId"), call.client.who(), call.respond);
}

void method_device_pair_rename(MethodCall& call) {
  call.svc.devices.rename(json_str(call.params, "deviceId"), json_str(call.params, "label"),
                          call.respond);
}

void method_device_token_rotate(MethodCall& call) {
  call.svc.devices.rotate_token(call.params, call.client.who(), call.respond);
}

void method_device_token_revoke(MethodCall& call) {
  call.svc.devices.revoke_token(json_str(call.params, "deviceId"), json_str(call.params, "role"),
                                call.client.who(), call.respond);
}

// A one-time sign-in link for a browser (`simpleclaw dashboard`): the token pairs the
// device that presents it, from any address. Admin only: it hands out the admin's access.
void method_dashboard_bootstrap(MethodCall& call) {
  const std::int64_t ttl_s = call.params.value("ttlSeconds", std::int64_t{600});
  call.svc.devices.issue_bootstrap(ttl_s * 1000, [respond = call.respond, who = call.client.who(),
                                                  ttl_s](Result<DevicePairing::Bootstrap> b) {
    if (!b.ok()) return respond(b.error());
    log::info("sign-in link issued by {} (valid {} s, one use)", who, ttl_s);
    respond(Json{{"bootstrapToken", b->token}, {"expiresAtMs", b->expires_at_ms}});
  });
}

}  // namespace simpleclaw::gateway
