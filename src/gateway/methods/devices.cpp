// device.pair.* and device.token.* (OpenClaw's device pairing, SPEC §4 "Device
// identity"): views and changes over the one pairing store that DevicePairing owns, shared
// with node.pair.*. Admin-only in shared mode (the method table says so).
#include "base/json_fields.h"
#include "base/log.h"
#include "gateway/device_pairing.h"
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {

void method_device_pair_list(MethodCall& call) { call.respond(call.svc.devices.list()); }

void method_device_pair_approve(MethodCall& call) {
  call.respond(call.svc.devices.approve(json_str(call.params, "requestId"), call.client.who()));
}

void method_device_pair_reject(MethodCall& call) {
  call.respond(call.svc.devices.reject(json_str(call.params, "requestId"), call.client.who()));
}

void method_device_pair_remove(MethodCall& call) {
  call.respond(call.svc.devices.remove(json_str(call.params, "deviceId"), call.client.who()));
}

void method_device_pair_rename(MethodCall& call) {
  call.respond(
      call.svc.devices.rename(json_str(call.params, "deviceId"), json_str(call.params, "label")));
}

void method_device_token_rotate(MethodCall& call) {
  call.respond(call.svc.devices.rotate_token(call.params, call.client.who()));
}

void method_device_token_revoke(MethodCall& call) {
  call.respond(call.svc.devices.revoke_token(json_str(call.params, "deviceId"),
                                             json_str(call.params, "role"), call.client.who()));
}

// A one-time sign-in link for a browser (`simpleclaw dashboard`): the token pairs the
// device that presents it, from any address. Admin only: it hands out the admin's access.
void method_dashboard_bootstrap(MethodCall& call) {
  const std::int64_t ttl_s = call.params.value("ttlSeconds", std::int64_t{600});
  auto b = call.svc.devices.issue_bootstrap(ttl_s * 1000);
  if (!b.ok()) return call.respond(b.error());
  log::info("sign-in link issued by {} (valid {} s, one use)", call.client.who(), ttl_s);
  call.respond(Json{{"bootstrapToken", b->token}, {"expiresAtMs", b->expires_at_ms}});
}

}  // namespace simpleclaw::gateway
