#include "channels/telegram/telegram_update.h"

#include "base/json_fields.h"

namespace simpleclaw::channels::telegram {
namespace {

// Typed lookups that never throw: a field of the wrong type counts as absent.
const Json& field(const Json& o, const char* key) {
  static const Json kNull;
  if (!o.is_object()) return kNull;
  auto it = o.find(key);
  return it == o.end() ? kNull : *it;
}
bool flag(const Json& o, const char* key) {
  const Json& v = field(o, key);
  return v.is_boolean() && v.get<bool>();
}

std::optional<sdk::InboundMessage> to_inbound(const Json& msg, long long update_id,
                                              const BotIdentity& me) {
  const Json& from = field(msg, "from");
  const Json& chat = field(msg, "chat");
  if (!from.is_object() || !chat.is_object() || flag(from, "is_bot")) return std::nullopt;
  std::string text = json_str(msg, "text");
  if (text.empty()) text = json_str(msg, "caption");
  if (text.empty()) return std::nullopt;  // stickers, photos without caption, joins
  sdk::InboundMessage m;
  m.message_id = std::to_string(update_id);  // unique per bot: the redelivery key
  m.reply_id = id_text(field(msg, "message_id"));
  m.sender_id = id_text(field(from, "id"));
  if (m.sender_id.empty()) return std::nullopt;
  std::string name = json_str(from, "first_name");
  if (!json_str(from, "last_name").empty()) name += " " + json_str(from, "last_name");
  if (!json_str(from, "username").empty()) name += " (@" + json_str(from, "username") + ")";
  m.sender_name = name;
  std::string type = json_str(chat, "type");
  m.peer.chat_id = id_text(field(chat, "id"));
  if (m.peer.chat_id.empty()) return std::nullopt;
  m.peer.group = !type.empty() && type != "private";
  if (flag(msg, "is_topic_message")) m.peer.thread_id = id_text(field(msg, "message_thread_id"));
  if (m.peer.group) {
    if (!me.username.empty()) {
      std::string at = "@" + me.username;
      if (auto p = text.find(at); p != std::string::npos) {
        m.mentioned = true;
        text.erase(p, at.size());
        while (!text.empty() && text.front() == ' ') text.erase(0, 1);
      }
    }
    const Json& replied = field(field(msg, "reply_to_message"), "from");
    if (!me.id.empty() && id_text(field(replied, "id")) == me.id) m.mentioned = true;
  }
  // "/approve@my_bot x y" is the command form in groups.
  if (text.rfind("/approve@", 0) == 0) {
    auto sp = text.find(' ');
    text = "/approve" + (sp == std::string::npos ? "" : text.substr(sp));
  }
  m.text = std::move(text);
  return m;
}

}  // namespace

std::string id_text(const Json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
  if (v.is_string()) return v.get<std::string>();
  return {};
}

Update parse_update(const Json& u, const BotIdentity& me) {
  Update out;
  const Json& id = field(u, "update_id");
  if (id.is_number_integer()) out.update_id = id.get<long long>();
  if (const Json& q = field(u, "callback_query"); q.is_object()) {
    out.callback_id = json_str(q, "id");
    const Json& from = field(q, "from");
    const Json& chat = field(field(q, "message"), "chat");
    out.button.sender_id = id_text(field(from, "id"));
    out.button.sender_name = json_str(from, "first_name");
    out.button.peer.chat_id = chat.is_object() ? id_text(field(chat, "id")) : out.button.sender_id;
    out.button.peer.group = chat.is_object() && json_str(chat, "type") != "private";
    out.button.data = json_str(q, "data");
    if (!out.button.sender_id.empty() && !out.button.data.empty()) out.kind = Update::kButton;
    return out;
  }
  const Json* msg = &field(u, "message");
  if (!msg->is_object()) msg = &field(u, "edited_message");
  if (!msg->is_object()) return out;
  if (auto m = to_inbound(*msg, out.update_id, me)) {
    out.kind = Update::kMessage;
    out.message = std::move(*m);
  }
  return out;
}

}  // namespace simpleclaw::channels::telegram
