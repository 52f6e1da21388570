// Channel payloads from the network: Telegram Bot API updates and Slack Socket Mode
// envelopes (JSON). Any input must be parsed or skipped without crashing or throwing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "channels/slack/slack_events.h"
#include "channels/telegram/telegram_update.h"

using namespace simpleclaw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Json j = Json::parse(in, nullptr, false);
  if (!j.is_discarded()) {
    channels::telegram::parse_update(j, {"claw_bot", "999"});
    if (j.is_object() && j.contains("result") && j["result"].is_array())
      for (const Json& u : j["result"]) channels::telegram::parse_update(u, {"claw_bot", "999"});
  }
  channels::slack::parse_envelope(in, {"UBOT", "BBOT", "clawbot"});
  return 0;
}
