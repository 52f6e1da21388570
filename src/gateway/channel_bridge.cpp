#include "gateway/channel_bridge.h"

#include "gateway/agent_tools.h"
#include "gateway/health.h"

namespace simpleclaw::gateway {

void ChannelBridge::submit(channels::Submission s, std::function<void(Result<bool>)> accepted) {
  agents::SendParams p;
  p.session_key = std::move(s.session_key);
  p.message = std::move(s.text);
  p.idempotency_key = std::move(s.run_id);
  p.agent_id = std::move(s.agent_id);
  p.reply_route = std::move(s.reply_route);
  runs_.send(std::move(p), [accepted = std::move(accepted)](Result<agents::SendAck> r) {
    // started, in_flight (a redelivery) and a cached result all mean: it is durable.
    if (!r.ok()) return accepted(r.error());
    accepted(r->kind != agents::SendAck::Kind::kDone);
  });
}

Result<Json> ChannelBridge::resolve_approval(const std::string& id_or_prefix,
                                             const std::string& decision, const std::string& by) {
  return tools_.approvals().resolve(id_or_prefix, decision, by);
}

void ChannelBridge::channels_changed(Json payload) {
  // Shared mode: channel accounts are the admin's (channels.status is admin-only).
  clients_.broadcast("channels.changed", std::move(payload),
                     Audience{protocol::Scope::kRead, std::string_view()}, false);
  if (ready_()) health_.refresh(true);
}

void ChannelBridge::deliver(const std::string& channel, const std::string& to,
                            const std::string& text, const std::string& from_agent,
                            std::function<void(Result<std::string>)> done) {
  if (channel != "webchat") {
    if (!channels_.has_channel(channel))
      return done(Error::not_found(
          "unknown channel '" + channel + "' (configured channels are listed by channels.status)",
          "CHANNEL_NOT_FOUND"));
    return channels_.deliver(channel, "", to, text, std::move(done));
  }
  // webchat: the gateway's own chat; the text lands in that session as an assistant message.
  auto key = agents_.parse_key(to);
  if (!key.ok()) return done(key.error());
  sessions_.inject(*key, text, "message from agent " + from_agent,
                   [to, done = std::move(done)](Result<sessions::Entry> r) {
                     if (!r.ok()) return done(r.error());
                     done(std::string("sent to webchat session ") + to);
                   });
}

}  // namespace simpleclaw::gateway
