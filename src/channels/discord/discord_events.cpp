#include "channels/discord/discord_events.h"

#include <algorithm>
#include <exception>
#include <limits>

#include "base/utf8.h"
#include "channels/payload_fields.h"

namespace simpleclaw::channels::discord {
namespace {

using payload::field;
using payload::member;
using payload::trim;

constexpr std::size_t kReasonBytes = 64;     // network strings quoted in a reason
constexpr std::size_t kSnowflakeBytes = 20;  // 2^64 has 20 digits

// A display string (names, file names): anything but a string counts as absent, and it
// is clipped to `max` bytes. A wrong-typed nick is no reason to drop what somebody said.
std::string clipped(const Json& o, const char* key, std::size_t max = kMaxNameBytes) {
  const Json& v = member(o, key);
  if (!v.is_string()) return {};
  const auto& s = v.get_ref<const std::string&>();
  // Copy only what clip() looks at: max bytes plus the UTF-8 sequence cut at the end.
  return clip(s.substr(0, max + 4), max);
}

// An integer that fits int64 (a huge unsigned would wrap); nullopt for anything else.
std::optional<std::int64_t> int64_value(const Json& v) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return std::nullopt;
}

std::string quote(std::string_view s) { return payload::quote(s, kReasonBytes); }

GatewayEvent& malformed(GatewayEvent& e, std::string why) {
  e.kind = GatewayEvent::kMalformed;
  e.reason = std::move(why);
  return e;
}

GatewayEvent& ignored(GatewayEvent& e, std::string why) {
  e.kind = GatewayEvent::kIgnored;
  e.reason = std::move(why);
  return e;
}

// guild_id decides DM (no guild) or guild channel: a wrong-typed one must not make a
// guild message look like a DM (DMs need no mention), so it is malformed, not absent.
std::optional<bool> in_guild(const Json& d) {
  auto guild = field(d, "guild_id", kSnowflakeBytes);
  if (!guild) return std::nullopt;
  if (guild->empty()) return false;
  if (!is_snowflake(*guild)) return std::nullopt;
  return true;
}

void parse_ready(const Json& d, GatewayEvent& e) {
  const Json& user = member(d, "user");
  auto sid = field(d, "session_id", kMaxSessionIdBytes), uid = field(user, "id", kSnowflakeBytes);
  if (!sid || sid->empty() || !uid || !is_snowflake(*uid)) {
    malformed(e, "READY without session_id or user.id");
    return;
  }
  e.ready.session_id = *sid;
  e.ready.user_id = *uid;
  // Optional: without it the next start identifies instead of resuming.
  auto url = field(d, "resume_gateway_url", kMaxUrlBytes);
  if (url) e.ready.resume_gateway_url = *url;
  e.ready.username = clipped(user, "username");
  e.kind = GatewayEvent::kReady;
}

bool mentions_me(const Json& d, const std::string& text, const Identity& me) {
  const Json& mentions = member(d, "mentions");
  if (mentions.is_array())
    for (const Json& m : mentions) {
      const Json& id = member(m, "id");
      if (id.is_string() && id.get_ref<const std::string&>() == me.user_id) return true;
    }
  // A reply to one of our messages addresses us too.
  const Json& ref_id = member(member(member(d, "referenced_message"), "author"), "id");
  if (ref_id.is_string() && ref_id.get_ref<const std::string&>() == me.user_id) return true;
  return text.find("<@" + me.user_id + ">") != std::string::npos ||
         text.find("<@!" + me.user_id + ">") != std::string::npos;
}

void parse_message_create(const Json& d, const Identity& me, GatewayEvent& e) {
  const Json& author = member(d, "author");
  if (!author.is_object()) {
    malformed(e, "MESSAGE_CREATE without author");
    return;
  }
  auto author_id = field(author, "id", kSnowflakeBytes), id = field(d, "id", kSnowflakeBytes),
       channel_id = field(d, "channel_id", kSnowflakeBytes);
  if (!author_id || !id || !channel_id || !is_snowflake(*author_id) || !is_snowflake(*id) ||
      !is_snowflake(*channel_id)) {
    malformed(e, "MESSAGE_CREATE without ids");
    return;
  }
  const Json& bot = member(author, "bot");
  if (!bot.is_null() && !bot.is_boolean()) {
    malformed(e, "author.bot is not a boolean");
    return;
  }
  // Any bot's message, ours included: answering bots loops.
  if (bot.is_boolean() && bot.get<bool>()) {
    ignored(e, "message from a bot");
    return;
  }
  if (*author_id == me.user_id) {
    ignored(e, "our own message");
    return;
  }
  if (!member(d, "webhook_id").is_null()) {
    ignored(e, "message from a webhook");
    return;
  }
  // Only user messages (0 default, 19 reply); joins, pins, boosts are system messages.
  const Json& type_j = member(d, "type");
  if (!type_j.is_null()) {
    auto type = int64_value(type_j);
    if (!type) {
      malformed(e, "message type is not an integer");
      return;
    }
    if (*type != 0 && *type != 19) {
      ignored(e, "system message type " + std::to_string(*type));
      return;
    }
  }
  auto group = in_guild(d);
  if (!group) {
    malformed(e, "guild_id is not a snowflake");
    return;
  }
  payload::Text content = payload::text_field(d, "content", kMaxContentBytes);
  if (content.status == payload::Text::Status::kMalformed) {
    malformed(e, "content is not a string");
    return;
  }
  if (content.status == payload::Text::Status::kTooLong) {
    ignored(e, "content over " + std::to_string(kMaxContentBytes) + " bytes");
    return;
  }
  std::string text = std::move(content.text);
  bool mentioned = false;
  if (!me.user_id.empty()) {
    mentioned = mentions_me(d, text, me);
    for (const std::string& tag : {"<@" + me.user_id + ">", "<@!" + me.user_id + ">"})
      for (auto p = text.find(tag); p != std::string::npos; p = text.find(tag, p))
        text.erase(p, tag.size());
  }
  trim(text);
  const Json& attachments = member(d, "attachments");
  if (attachments.is_array()) {
    std::size_t n = 0;
    for (const Json& a : attachments) {
      std::string url = clipped(a, "url", kMaxAttachmentUrlBytes);
      if (url.empty()) continue;
      if (++n > kMaxAttachments) break;
      text += (text.empty() ? "" : "\n") + std::string("[attachment: ") +
              clipped(a, "filename", kMaxFilenameBytes) + " " + url + "]";
    }
  }
  if (text.empty()) {
    e.message.message_id = *id;
    e.message.peer.chat_id = *channel_id;
    e.kind = GatewayEvent::kNoContent;
    return;
  }
  auto& m = e.message;
  m.message_id = *id;
  m.sender_id = *author_id;
  std::string nick = clipped(member(d, "member"), "nick");
  std::string global = clipped(author, "global_name");
  m.sender_name = !nick.empty() ? nick : !global.empty() ? global : clipped(author, "username");
  m.peer.chat_id = *channel_id;  // a thread is a channel: replies go to it directly
  m.peer.group = *group;
  m.text = std::move(text);
  m.mentioned = mentioned;
  e.kind = GatewayEvent::kMessage;
}

void parse_interaction(const Json& d, GatewayEvent& e) {
  if (!d.is_object()) {
    malformed(e, "INTERACTION_CREATE without data");
    return;
  }
  // Only message components (type 3: buttons); slash commands and the rest are not ours.
  auto type = int64_value(member(d, "type"));
  if (!type || *type != 3) {
    ignored(e, "interaction is not a component press");
    return;
  }
  auto id = field(d, "id", kSnowflakeBytes), token = field(d, "token", kMaxInteractionTokenBytes),
       channel_id = field(d, "channel_id", kSnowflakeBytes),
       custom_id = field(member(d, "data"), "custom_id", kMaxCustomIdBytes);
  // In a guild the user is member.user; in a DM it is user.
  const Json& guild_member = member(d, "member");
  const Json& user = guild_member.is_object() ? member(guild_member, "user") : member(d, "user");
  auto uid = field(user, "id", kSnowflakeBytes);
  if (!id || !token || !channel_id || !custom_id || !uid || !is_snowflake(*id) ||
      !is_url_token(*token) || !is_snowflake(*channel_id) || !is_snowflake(*uid) ||
      custom_id->empty()) {
    malformed(e, "malformed component interaction");
    return;
  }
  auto group = in_guild(d);
  if (!group) {
    malformed(e, "guild_id is not a snowflake");
    return;
  }
  auto& b = e.button;
  b.sender_id = *uid;
  std::string global = clipped(user, "global_name");
  b.sender_name = !global.empty() ? global : clipped(user, "username");
  b.peer.chat_id = *channel_id;
  b.peer.group = *group;
  b.data = *custom_id;
  e.interaction_id = *id;
  e.interaction_token = *token;
  e.kind = GatewayEvent::kButton;
}

void parse_dispatch(const Json& j, const Json& d, const Identity& me, GatewayEvent& e) {
  auto t = field(j, "t", kMaxEventTypeBytes);
  if (!t) {
    malformed(e, "dispatch event type is not a string or too long");
    return;
  }
  e.type = *t;
  if (*t == "READY") {
    parse_ready(d, e);
  } else if (*t == "RESUMED") {
    e.kind = GatewayEvent::kResumed;
  } else if (*t == "MESSAGE_CREATE") {
    parse_message_create(d, me, e);
  } else if (*t == "INTERACTION_CREATE") {
    parse_interaction(d, e);
  } else {
    ignored(e, "event type " + quote(*t));
  }
}

}  // namespace

GatewayEvent parse_gateway(std::string_view frame, const Identity& me) {
  GatewayEvent e;
  if (frame.size() > kMaxFrameBytes) return malformed(e, "frame too large");
  Json j = Json::parse(frame.begin(), frame.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return malformed(e, "not a gateway payload");
  auto op = int64_value(member(j, "op"));
  if (!op) return malformed(e, "not a gateway payload");
  e.op = op;
  e.seq = int64_value(member(j, "s"));
  const Json& d = member(j, "d");
  try {
    switch (*op) {
      case 10: {
        const Json& iv = member(d, "heartbeat_interval");
        if (!iv.is_number()) return malformed(e, "HELLO without heartbeat_interval");
        e.heartbeat_interval = std::chrono::milliseconds(
            static_cast<long long>(std::clamp(iv.get<double>(), 50.0, 600000.0)));
        e.kind = GatewayEvent::kHello;
        break;
      }
      case 11:
        e.kind = GatewayEvent::kHeartbeatAck;
        break;
      case 1:
        e.kind = GatewayEvent::kHeartbeatRequest;
        break;
      case 7:
        e.kind = GatewayEvent::kReconnect;
        break;
      case 9:
        e.kind = GatewayEvent::kInvalidSession;
        e.resumable = d.is_boolean() && d.get<bool>();
        break;
      case 0:
        parse_dispatch(j, d, me, e);
        break;
      default:
        ignored(e, "op " + std::to_string(*op));
    }
  } catch (const std::exception& ex) {
    // Every accessor above is checked first; this is the belt to those braces. The reason
    // starts with "unexpected" so that the fuzz target can tell it apart.
    GatewayEvent bad;
    bad.op = e.op;
    bad.seq = e.seq;
    bad.type = e.type;
    return malformed(bad, std::string("unexpected field shape: ") + ex.what());
  }
  return e;
}

bool is_snowflake(std::string_view s) {
  return !s.empty() && s.size() <= kSnowflakeBytes &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_url_token(std::string_view s) {
  return !s.empty() && s.size() <= kMaxInteractionTokenBytes &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '_' || c == '-' || c == '.';
         });
}

std::string clip(std::string s, std::size_t n) {
  s.resize(utf8_prefix(s, n).size());
  return s;
}

}  // namespace simpleclaw::channels::discord
