// device.pair.* and device.token.* (OpenClaw's device pairing, SPEC §4 "Device
// identity"): views and changes over the one pairing store that DevicePairing owns, shared
// with node.pair.*. Admin-only in shared mode (the method table says so).
#include "base/json_fields.h"
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

}  // namespace simpleclaw::gateway
