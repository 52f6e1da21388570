#include "channels/outbox.h"

#include "base/log.h"
#include "channels/chunker.h"
#include "sessions/outbox_store.h"

namespace simpleclaw::channels {
namespace {

using sessions::OutboxRow;
using sessions::SessionStore;

Json peer_json(const sdk::Peer& p) {
  Json j{{"chatId", p.chat_id}};
  if (p.group) j["group"] = true;
  if (!p.thread_id.empty()) j["threadId"] = p.thread_id;
  if (!p.user_id.empty()) j["userId"] = p.user_id;
  return j;
}

sdk::Peer peer_from(const Json& j) {
  sdk::Peer p;
  if (!j.is_object()) return p;
  auto str = [&](const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  p.chat_id = str("chatId");
  p.group = j.contains("group") && j["group"].is_boolean() && j["group"].get<bool>();
  p.thread_id = str("threadId");
  p.user_id = str("userId");
  return p;
}

OutboxRow to_row(const std::string& account, const sdk::OutboundMessage& m, std::int64_t now) {
  OutboxRow r;
  r.account = account;
  r.peer = peer_json(m.peer).dump();
  r.reply_to = m.reply_to;
  r.text = m.text;
  if (!m.buttons.empty()) {
    Json b = Json::array();
    for (const sdk::Button& x : m.buttons) b.push_back({{"label", x.label}, {"data", x.data}});
    r.buttons = b.dump();
  }
  r.created_at = now;
  return r;
}

QueuedMessage from_row(const OutboxRow& r) {
  QueuedMessage q;
  q.seq = r.seq;
  q.msg.peer = peer_from(Json::parse(r.peer, nullptr, false));
  q.msg.text = r.text;
  q.msg.reply_to = r.reply_to;
  if (!r.buttons.empty()) {
    Json b = Json::parse(r.buttons, nullptr, false);
    if (b.is_array())
      for (const Json& x : b)
        if (x.is_object()) q.msg.buttons.push_back({x.value("label", ""), x.value("data", "")});
  }
  q.attempts = r.attempts;
  q.last_error = r.last_error;
  q.created_at = r.created_at;
  return q;
}

std::vector<QueuedMessage> from_rows(const std::vector<OutboxRow>& rows) {
  std::vector<QueuedMessage> out;
  out.reserve(rows.size());
  for (const OutboxRow& r : rows) out.push_back(from_row(r));
  return out;
}

// Fire-and-forget writes still say when they fail: the row then lies about the message.
void log_failure(const char* what, const Status& st) {
  if (!st.ok()) log::warn("outbox: {} failed: {}", what, st.error().message);
}

}  // namespace

std::string Outbox::route(const std::string& account, const sdk::Peer& peer,
                          const std::string& reply_to) {
  return Json{{"account", account}, {"peer", peer_json(peer)}, {"replyTo", reply_to}}.dump();
}

std::string Outbox::reply_text(sessions::RunStatus status, const std::string& text,
                               const std::string& error) {
  switch (status) {
    case sessions::RunStatus::kFinal:
    case sessions::RunStatus::kAborted:
      return text;  // aborted: the partial reply ("" = stopped before saying anything)
    case sessions::RunStatus::kError:
      if (error.rfind("interrupted", 0) == 0)
        return "Sorry, I was interrupted by a restart before I could finish answering your "
               "message. Please send it again.";
      return "Sorry, something went wrong: " + (error.empty() ? std::string("error") : error);
    default:
      return {};
  }
}

void Outbox::load(const std::string& account, std::size_t max_text, Loaded done) {
  const std::int64_t now = clock_.wall_ms();
  db_.post(
      [account, max_text, now](SessionStore& s) -> Result<std::vector<OutboxRow>> {
        auto pending = sessions::pending_replies(s, account);
        if (!pending.ok()) return pending.error();
        for (const sessions::PendingReply& p : *pending) {
          Json route = Json::parse(p.route, nullptr, false);
          std::string text = reply_text(p.status, p.text, p.error);
          std::vector<OutboxRow> rows;
          bool first = true;
          for (std::string& chunk : chunk_text(text, max_text)) {
            sdk::OutboundMessage m{
                peer_from(route.is_object() ? route.value("peer", Json()) : Json()),
                std::move(chunk),
                {},
                first && route.is_object() ? route.value("replyTo", "") : ""};
            rows.push_back(to_row(account, m, now));
            first = false;
          }
          auto added = sessions::add_outbox(s, rows, p.run_id);
          if (!added.ok()) return added.error();
          if (*added && !rows.empty())
            log::info("outbox: the reply to run {} was not queued before the restart; queued now",
                      p.run_id);
        }
        return sessions::load_outbox(s, account);
      },
      [done = std::move(done)](Result<std::vector<OutboxRow>> rows) {
        if (!rows.ok()) return done(rows.error());
        done(from_rows(*rows));
      });
}

void Outbox::add(const std::string& account, std::vector<sdk::OutboundMessage> msgs,
                 const std::string& reply_run_id, Loaded done) {
  std::vector<OutboxRow> rows;
  const std::int64_t now = clock_.wall_ms();
  for (const sdk::OutboundMessage& m : msgs) rows.push_back(to_row(account, m, now));
  db_.post(
      [rows = std::move(rows),
       reply_run_id](SessionStore& s) mutable -> Result<std::vector<OutboxRow>> {
        auto added = sessions::add_outbox(s, rows, reply_run_id);
        if (!added.ok()) return added.error();
        // Queued already by another instance (from the run's stored route): not twice.
        if (!*added) rows.clear();
        return std::move(rows);
      },
      [done = std::move(done)](Result<std::vector<OutboxRow>> rows) {
        if (!rows.ok()) return done(rows.error());
        done(from_rows(*rows));
      });
}

void Outbox::settle(const std::string& run_id) {
  db_.post(
      [run_id](SessionStore& s) -> Status {
        if (auto r = sessions::close_reply(s, run_id); !r.ok()) return r.error();
        return Ok{};
      },
      [](Status st) { log_failure("settling a reply", st); });
}

void Outbox::remove(std::int64_t seq) {
  if (seq <= 0) return;
  db_.post([seq](SessionStore& s) { return sessions::delete_outbox(s, seq); },
           [](Status st) { log_failure("removing a sent message", st); });
}

void Outbox::failed(std::int64_t seq, int attempts, const std::string& error) {
  if (seq <= 0) return;
  db_.post([seq, attempts, error](
               SessionStore& s) { return sessions::note_outbox_failure(s, seq, attempts, error); },
           [](Status st) { log_failure("recording a failed send", st); });
}

}  // namespace simpleclaw::channels
