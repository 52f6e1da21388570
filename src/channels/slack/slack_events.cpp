#include "channels/slack/slack_events.h"

#include <optional>

#include "base/utf8.h"
#include "channels/payload_fields.h"

namespace simpleclaw::channels::slack {
namespace {

using payload::member;
using payload::trim;

// Slack's limits for Block Kit (api.slack.com/reference/block-kit): a section's text is
// at most 3000 characters, a button label 75, a message 50 blocks, an actions block 25
// elements. Counting bytes stays within the character limits.
constexpr std::size_t kSectionTextBytes = 3000;
constexpr std::size_t kButtonLabelBytes = 75;
constexpr std::size_t kMaxSections = 40;
constexpr std::size_t kMaxButtons = 25;
constexpr std::size_t kReasonBytes = 64;  // network strings quoted in a reason

std::string quote(std::string_view s) { return payload::quote(s, kReasonBytes); }
std::optional<std::string> field(const Json& o, const char* key, std::size_t max = kMaxIdBytes) {
  return payload::field(o, key, max);
}

Envelope& malformed(Envelope& e, std::string why) {
  e.kind = Envelope::kMalformed;
  e.reason = std::move(why);
  return e;
}

Envelope& ignored(Envelope& e, std::string why) {
  e.kind = Envelope::kIgnored;
  e.reason = std::move(why);
  return e;
}

// A D... channel id is a direct message conversation (C/G are channels, private
// channels and group DMs).
bool is_dm_channel(std::string_view id) { return !id.empty() && id[0] == 'D'; }

void parse_event(const Json& payload, const Identity& me, Envelope& e) {
  const Json& ev = member(payload, "event");
  if (!ev.is_object()) {
    malformed(e, "events_api without an event object");
    return;
  }
  auto type = field(ev, "type");
  if (!type) {
    malformed(e, "event type is not a string");
    return;
  }
  if (*type != "message" && *type != "app_mention") {
    ignored(e, "event type " + quote(*type));
    return;
  }
  auto subtype = field(ev, "subtype");
  if (!subtype) {
    malformed(e, "message subtype is not a string");
    return;
  }
  // Edits, deletions, joins, bot_message ... are not someone talking to the agent.
  if (!subtype->empty() && *subtype != "thread_broadcast" && *subtype != "file_share") {
    ignored(e, "message subtype " + quote(*subtype));
    return;
  }
  // Any app's message (ours included) carries bot_id: answering bots loops.
  if (!member(ev, "bot_id").is_null()) {
    ignored(e, "message from a bot");
    return;
  }
  auto user = field(ev, "user"), channel = field(ev, "channel"), ts = field(ev, "ts"),
       thread_ts = field(ev, "thread_ts"), channel_type = field(ev, "channel_type");
  if (!user || !channel || !ts || !thread_ts || !channel_type) {
    malformed(e, "message field of the wrong type or too long");
    return;
  }
  if (user->empty() || channel->empty() || ts->empty()) {
    malformed(e, "message without user, channel or ts");
    return;
  }
  if (!me.user_id.empty() && *user == me.user_id) {
    ignored(e, "our own message");
    return;
  }
  payload::Text body = payload::text_field(ev, "text", kMaxInboundTextBytes);
  if (body.status == payload::Text::Status::kMalformed) {
    malformed(e, "message text is not a string");
    return;
  }
  if (body.status == payload::Text::Status::kTooLong) {
    ignored(e, "message text over " + std::to_string(kMaxInboundTextBytes) + " bytes");
    return;
  }
  std::string text = std::move(body.text);
  bool mentioned = !me.user_id.empty() && strip_mention(text, me.user_id);
  if (*type == "app_mention") mentioned = true;
  text = unescape_text(text);
  trim(text);
  if (text.empty()) {
    ignored(e, "message without text");
    return;
  }

  auto& m = e.message;
  m.sender_id = *user;
  m.sender_name = *user;
  const Json& profile = member(ev, "user_profile");
  for (const char* k : {"display_name", "real_name", "name"}) {
    auto n = field(profile, k, 128);
    if (n && !n->empty() && valid_utf8(*n)) {
      m.sender_name = *n;
      break;
    }
  }
  // app_mention carries no channel_type; it never happens in an IM, but go by the id.
  bool dm = *channel_type == "im" || (channel_type->empty() && is_dm_channel(*channel));
  m.peer.chat_id = *channel;
  m.peer.group = !dm;
  if (!dm) m.peer.thread_id = *thread_ts;
  m.text = std::move(text);
  m.mentioned = mentioned;
  m.message_id = *channel + ":" + *ts;
  e.dedupe_key = m.message_id;
  e.kind = Envelope::kMessage;
}

void parse_interactive(const Json& payload, Envelope& e) {
  if (!payload.is_object()) {
    malformed(e, "interactive without a payload object");
    return;
  }
  auto type = field(payload, "type");
  if (!type) {
    malformed(e, "interactive type is not a string");
    return;
  }
  if (*type != "block_actions") {
    ignored(e, "interactive type " + quote(*type));
    return;
  }
  const Json& user = member(payload, "user");
  const Json& container = member(payload, "container");
  auto user_id = field(user, "id"), user_name = field(user, "username", 128),
       channel = field(member(payload, "channel"), "id"),
       container_channel = field(container, "channel_id"),
       thread_ts = field(container, "thread_ts"),
       message_thread_ts = field(member(payload, "message"), "thread_ts");
  if (!user_id || !user_name || !channel || !container_channel || !thread_ts ||
      !message_thread_ts) {
    malformed(e, "block_actions field of the wrong type or too long");
    return;
  }
  if (user_id->empty()) {
    malformed(e, "block_actions without user.id");
    return;
  }
  std::string chan = !channel->empty() ? *channel : *container_channel;
  if (chan.empty()) {
    ignored(e, "block_actions outside a conversation");
    return;
  }
  const Json& actions = member(payload, "actions");
  if (!actions.is_array() || actions.empty()) {
    malformed(e, "block_actions without actions");
    return;
  }
  auto value = field(actions[0], "value", kMaxButtonValueBytes);
  if (!value) {
    malformed(e, "button value is not a string or too long");
    return;
  }
  if (value->empty()) {
    ignored(e, "action without a value (not one of our buttons)");
    return;
  }
  auto& b = e.button;
  b.sender_id = *user_id;
  b.sender_name = !user_name->empty() && valid_utf8(*user_name) ? *user_name : *user_id;
  b.peer.chat_id = chan;
  b.peer.group = !is_dm_channel(chan);
  if (b.peer.group) b.peer.thread_id = !thread_ts->empty() ? *thread_ts : *message_thread_ts;
  b.data = *value;
  e.kind = Envelope::kButton;
}

// A slash command the app registered (`/approve ...`). Slack never delivers a message
// that starts with "/" as a message: it runs it as a command, and a command not
// registered by any app is refused in the client ("not a valid command"). So the
// approval prompt's "/approve <id> ..." reaches us only this way: as the text
// "<command> <text>" from the user in the conversation it was typed in.
void parse_slash_command(const Json& payload, Envelope& e) {
  if (!payload.is_object()) {
    malformed(e, "slash_commands without a payload object");
    return;
  }
  auto command = field(payload, "command", 64), text = field(payload, "text", kMaxInboundTextBytes),
       user = field(payload, "user_id"), user_name = field(payload, "user_name", 128),
       channel = field(payload, "channel_id"), trigger = field(payload, "trigger_id");
  if (!command || !text || !user || !user_name || !channel || !trigger) {
    malformed(e, "slash command field of the wrong type or too long");
    return;
  }
  if (command->size() < 2 || (*command)[0] != '/' || user->empty() || channel->empty()) {
    malformed(e, "slash command without command, user_id or channel_id");
    return;
  }
  auto& m = e.message;
  m.sender_id = *user;
  m.sender_name = !user_name->empty() && valid_utf8(*user_name) ? *user_name : *user;
  m.peer.chat_id = *channel;
  m.peer.group = !is_dm_channel(*channel);
  std::string args = unescape_text(*text);
  trim(args);
  m.text = *command + (args.empty() ? std::string() : " " + args);
  m.mentioned = true;  // a command is addressed to the app that registered it
  // No ts: the trigger (one per invocation) or the envelope names it for dedupe.
  m.message_id = *channel + ":cmd:" + (!trigger->empty() ? *trigger : e.envelope_id);
  e.dedupe_key = m.message_id;
  e.kind = Envelope::kMessage;
}

}  // namespace

Envelope parse_envelope(std::string_view frame, const Identity& me) {
  Envelope e;
  if (frame.size() > kMaxFrameBytes) return malformed(e, "frame too large");
  Json j = Json::parse(frame.begin(), frame.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return malformed(e, "frame is not a JSON object");
  // Read the id first: whatever else is wrong, an envelope with an id gets its ack.
  auto id = field(j, "envelope_id", kMaxEnvelopeIdBytes);
  if (id && valid_utf8(*id)) e.envelope_id = *id;
  auto type = field(j, "type");
  if (!type || type->empty()) return malformed(e, "envelope without a type");
  try {
    if (*type == "hello") {
      e.kind = Envelope::kHello;
    } else if (*type == "disconnect") {
      e.kind = Envelope::kDisconnect;
      auto r = field(j, "reason");
      e.reason = r ? quote(*r) : std::string();
    } else if (*type == "events_api") {
      parse_event(member(j, "payload"), me, e);
    } else if (*type == "interactive") {
      parse_interactive(member(j, "payload"), e);
    } else if (*type == "slash_commands") {
      parse_slash_command(member(j, "payload"), e);
    } else {
      // Future types: acknowledged, otherwise not ours.
      ignored(e, "envelope type " + quote(*type));
    }
  } catch (const std::exception& ex) {
    // nlohmann's accessors are checked above; this is the belt to those braces.
    Envelope bad;
    bad.envelope_id = e.envelope_id;
    return malformed(bad, std::string("unexpected field shape: ") + ex.what());
  }
  return e;
}

bool strip_mention(std::string& text, std::string_view user_id) {
  if (user_id.empty()) return false;
  const std::string open = "<@" + std::string(user_id);
  bool found = false;
  std::size_t pos = 0;
  while ((pos = text.find(open, pos)) != std::string::npos) {
    std::size_t after = pos + open.size();
    std::size_t end = std::string::npos;
    if (after < text.size() && text[after] == '>') {
      end = after + 1;
    } else if (after < text.size() && text[after] == '|') {
      end = text.find('>', after);
      if (end != std::string::npos) ++end;
    }
    if (end == std::string::npos) {  // <@UBOTX...> is somebody else
      pos = after;
      continue;
    }
    text.erase(pos, end - pos);
    // "hey <@U1> there" -> "hey there", not "hey  there".
    if (pos > 0 && pos < text.size() && text[pos - 1] == ' ' && text[pos] == ' ')
      text.erase(pos, 1);
    found = true;
  }
  return found;
}

std::string unescape_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      if (s.substr(i, 4) == "&lt;") {
        out += '<';
        i += 3;
        continue;
      }
      if (s.substr(i, 4) == "&gt;") {
        out += '>';
        i += 3;
        continue;
      }
      if (s.substr(i, 5) == "&amp;") {
        out += '&';
        i += 4;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string escape_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Json build_post_message(const sdk::OutboundMessage& m) {
  Json j{{"channel", m.peer.chat_id}, {"text", escape_text(m.text)}};
  // A reply stays where the message was: in its thread (peer.thread_id), or at the top
  // level of the DM or channel. reply_to is deliberately not turned into a thread_ts:
  // the host sets it on a reply's first chunk only, so a long answer would start in a
  // new thread and go on in the channel, and the thread would be a session of its own
  // (…:thread:<ts>) that does not hold the question.
  if (!m.peer.thread_id.empty()) j["thread_ts"] = m.peer.thread_id;
  if (m.buttons.empty()) return j;

  Json blocks = Json::array();
  // Cut the text at UTF-8 boundaries so each escaped piece fits one section.
  std::string_view rest = m.text;
  while (!rest.empty() && blocks.size() < kMaxSections) {
    std::size_t i = 0, escaped = 0;
    while (i < rest.size()) {
      int n = utf8_sequence_length(rest, i);
      std::size_t step = n > 0 ? static_cast<std::size_t>(n) : 1;
      char c = rest[i];
      std::size_t grow = c == '&' ? 5 : (c == '<' || c == '>') ? 4 : step;
      if (escaped + grow > kSectionTextBytes) break;
      escaped += grow;
      i += step;
    }
    if (i == 0) break;  // cannot happen with a 3000-byte budget; never loop forever
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", escape_text(rest.substr(0, i))}}}});
    rest.remove_prefix(i);
  }
  Json elements = Json::array();
  for (std::size_t k = 0; k < m.buttons.size() && k < kMaxButtons; ++k) {
    const auto& b = m.buttons[k];
    std::string label(utf8_prefix(b.label, kButtonLabelBytes));
    if (label.empty()) label = "?";
    elements.push_back({{"type", "button"},
                        {"text", {{"type", "plain_text"}, {"text", label}}},
                        {"value", std::string(utf8_prefix(b.data, kMaxButtonValueBytes))},
                        {"action_id", "sc_button_" + std::to_string(k)}});
  }
  blocks.push_back({{"type", "actions"}, {"elements", std::move(elements)}});
  j["blocks"] = std::move(blocks);
  return j;
}

bool RecentIds::insert(const std::string& key) {
  if (set_.count(key)) return false;
  set_.insert(key);
  order_.push_back(key);
  while (order_.size() > capacity_) {
    set_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

}  // namespace simpleclaw::channels::slack
