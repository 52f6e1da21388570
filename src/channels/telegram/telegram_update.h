// Telegram Bot API updates -> what the channel hands to the host. Pure (no I/O): the
// channel, the unit tests and the channel-payload fuzz target all call it. Updates come
// from the network: any shape is accepted without throwing; what cannot be used is
// skipped (kind kSkip) and the offset still moves past it.
#pragma once
#include <optional>
#include <string>

#include "simpleclaw/channel.h"

namespace simpleclaw::channels::telegram {

struct BotIdentity {
  std::string username;  // without '@'
  std::string id;
};

struct Update {
  enum Kind { kSkip, kMessage, kButton } kind = kSkip;
  long long update_id = 0;
  sdk::InboundMessage message;  // kMessage
  sdk::ButtonPress button;      // kButton
  std::string callback_id;      // kButton: to answer with answerCallbackQuery
};

// One element of getUpdates' result array.
Update parse_update(const Json& u, const BotIdentity& me);

// A numeric or string id as text; "" for anything else.
std::string id_text(const Json& v);

}  // namespace simpleclaw::channels::telegram
