// Channel payloads from the network: Telegram Bot API updates, Slack Socket Mode envelopes
// and Discord gateway frames (JSON). Any input must be parsed or skipped without crashing
// or throwing.
//
// Every input goes to all three parsers (they share the JSON corpus, and one target keeps
// CI time down). For Discord the result is also checked: a message or a press
// carries snowflake ids, valid UTF-8 within the limits, and everything the channel puts
// into a diagnostic or a REST call can be dumped as JSON; the parser's catch-all never
// fires (that would be an unchecked accessor).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/utf8.h"
#include "channels/discord/discord_events.h"
#include "channels/slack/slack_events.h"
#include "channels/telegram/telegram_update.h"

using namespace simpleclaw;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_discord(std::string_view frame, const channels::discord::Identity& me) {
  namespace dc = channels::discord;
  dc::GatewayEvent e = dc::parse_gateway(frame, me);
  check(e.reason.rfind("unexpected", 0) != 0);
  check(e.reason.size() <= 200 && valid_utf8(e.reason));
  check(e.type.size() <= dc::kMaxEventTypeBytes);
  if (e.kind == dc::GatewayEvent::kHello)
    check(e.heartbeat_interval.count() >= 50 && e.heartbeat_interval.count() <= 600000);
  if (e.kind == dc::GatewayEvent::kReady) {
    check(!e.ready.session_id.empty() && e.ready.session_id.size() <= dc::kMaxSessionIdBytes);
    check(dc::is_snowflake(e.ready.user_id));
    check(e.ready.resume_gateway_url.size() <= dc::kMaxUrlBytes);
    check(e.ready.username.size() <= dc::kMaxNameBytes && valid_utf8(e.ready.username));
  }
  if (e.kind == dc::GatewayEvent::kMessage) {
    const auto& m = e.message;
    check(dc::is_snowflake(m.message_id) && dc::is_snowflake(m.sender_id) &&
          dc::is_snowflake(m.peer.chat_id));
    check(me.user_id.empty() || m.sender_id != me.user_id);
    check(!m.text.empty() && valid_utf8(m.text));
    check(m.text.size() <=
          dc::kMaxContentBytes +
              dc::kMaxAttachments * (dc::kMaxAttachmentUrlBytes + dc::kMaxFilenameBytes + 32));
    check(m.sender_name.size() <= dc::kMaxNameBytes && valid_utf8(m.sender_name));
    (void)Json({{"text", m.text}, {"name", m.sender_name}}).dump();
  }
  if (e.kind == dc::GatewayEvent::kButton) {
    const auto& b = e.button;
    check(dc::is_snowflake(e.interaction_id) && dc::is_url_token(e.interaction_token));
    check(dc::is_snowflake(b.sender_id) && dc::is_snowflake(b.peer.chat_id));
    check(!b.data.empty() && b.data.size() <= dc::kMaxCustomIdBytes && valid_utf8(b.data));
    check(b.sender_name.size() <= dc::kMaxNameBytes && valid_utf8(b.sender_name));
  }
  (void)Json({{"reason", e.reason}, {"type", e.type}}).dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Json j = Json::parse(in, nullptr, false);
  if (!j.is_discarded()) {
    channels::telegram::parse_update(j, {"claw_bot", "999"});
    if (j.is_object() && j.contains("result") && j["result"].is_array())
      for (const Json& u : j["result"]) channels::telegram::parse_update(u, {"claw_bot", "999"});
  }
  channels::slack::parse_envelope(in, {"UBOT", "BBOT", "clawbot"});

  // The size's parity picks the identity, so both "before READY" (no mentions, nothing is
  // our own) and "after" are reached without spending input bytes on it.
  channels::discord::Identity me;
  if (size % 2 == 1) me.user_id = "100000000000000001";
  check_discord(in, me);
  return 0;
}
