// channels.status / start / stop / logout and channels.pairing.list / approve / dismiss (SPEC §5
// Channels, §9): thin adapters to the ChannelManager, which owns the accounts, their
// health and their pairing codes.
#include "base/json_fields.h"
#include "channels/channel_manager.h"
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {

// `timeoutMs` (OpenClaw's CLI always sends it) needs no wait here: the status is in memory.
void method_channels_status(MethodCall& call) {
  call.respond(call.svc.channels.status_json(json_str(call.params, "channel")));
}

void method_channels_start(MethodCall& call) {
  call.respond(call.svc.channels.start_account(json_str(call.params, "channel"),
                                               json_str(call.params, "accountId")));
}

void method_channels_stop(MethodCall& call) {
  call.respond(call.svc.channels.stop_account(json_str(call.params, "channel"),
                                              json_str(call.params, "accountId")));
}

void method_channels_logout(MethodCall& call) {
  call.respond(call.svc.channels.logout(json_str(call.params, "channel"),
                                        json_str(call.params, "accountId")));
}

void method_channels_pairing_list(MethodCall& call) {
  call.respond(call.svc.channels.pairing_list(json_str(call.params, "channel"),
                                              json_str(call.params, "accountId")));
}

namespace {
// OpenClaw's clients name a request by `requestId`; simpleclaw's by the `code` (the same).
std::string request_of(const Json& p) {
  std::string id = json_str(p, "requestId");
  return id.empty() ? json_str(p, "code") : id;
}
}  // namespace

void method_channels_pairing_approve(MethodCall& call) {
  const Json& p = call.params;
  const std::string id = request_of(p);
  if (id.empty())
    return call.respond(
        Error::invalid("channels.pairing.approve: requestId (or code) is required"));
  call.respond(call.svc.channels.pairing_approve(json_str(p, "channel"), json_str(p, "accountId"),
                                                 id, json_bool(p, "notify", true)));
}

void method_channels_pairing_dismiss(MethodCall& call) {
  const Json& p = call.params;
  const std::string id = request_of(p);
  if (id.empty())
    return call.respond(
        Error::invalid("channels.pairing.dismiss: requestId (or code) is required"));
  call.respond(
      call.svc.channels.pairing_dismiss(json_str(p, "channel"), json_str(p, "accountId"), id));
}

}  // namespace simpleclaw::gateway
