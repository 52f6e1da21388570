// channels.status / start / stop / logout and channels.pairing.list / approve (SPEC §5
// Channels, §9): thin adapters to the ChannelManager, which owns the accounts, their
// health and their pairing codes.
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {
namespace {

Error not_started() {
  return Error{ErrorCode::kUnavailable, "channels are not started yet", nullptr, std::nullopt};
}

Result<Reply> wrap(Result<Json> r) {
  if (!r.ok()) return r.error();
  return Reply(std::move(r).value());
}

}  // namespace

Result<Reply> method_channels_status(MethodCall& call) {
  if (!call.gw.has_channels()) return not_started();
  return Reply(call.gw.channels().status_json());
}

Result<Reply> method_channels_start(MethodCall& call) {
  if (!call.gw.has_channels()) return not_started();
  return wrap(call.gw.channels().start_account(call.params.value("channel", ""),
                                               call.params.value("accountId", "")));
}

Result<Reply> method_channels_stop(MethodCall& call) {
  if (!call.gw.has_channels()) return not_started();
  return wrap(call.gw.channels().stop_account(call.params.value("channel", ""),
                                              call.params.value("accountId", "")));
}

Result<Reply> method_channels_logout(MethodCall& call) {
  if (!call.gw.has_channels()) return not_started();
  return wrap(call.gw.channels().logout(call.params.value("channel", ""),
                                        call.params.value("accountId", "")));
}

Result<Reply> method_channels_pairing_list(MethodCall& call) {
  if (!call.gw.has_channels()) return not_started();
  std::string channel = call.params.is_object() ? call.params.value("channel", "") : "";
  return Reply(call.gw.channels().pairing_list(channel));
}

Result<Reply> method_channels_pairing_approve(MethodCall& call) {
  if (!call.gw.has_channels()) return not_started();
  return wrap(call.gw.channels().pairing_approve(call.params.value("channel", ""),
                                                 call.params.value("accountId", ""),
                                                 call.params.value("code", "")));
}

}  // namespace simpleclaw::gateway
