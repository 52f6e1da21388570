#include "sessions/outbox_store.h"

namespace simpleclaw::sessions {

Result<std::vector<OutboxRow>> load_outbox(SessionStore& s, const std::string& account) {
  auto st = s.db().prepare(
      "SELECT seq, account, peer, reply_to, text, buttons, attempts, last_error, created_at "
      "FROM outbox WHERE account = ?1 ORDER BY seq");
  if (!st.ok()) return st.error();
  st->bind(1, account);
  std::vector<OutboxRow> out;
  for (;;) {
    auto row = st->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    OutboxRow r;
    r.seq = st->int64(0);
    r.account = st->text(1);
    r.peer = st->text(2);
    r.reply_to = st->text(3);
    r.text = st->text(4);
    r.buttons = st->text(5);
    r.attempts = static_cast<int>(st->int64(6));
    r.last_error = st->text(7);
    r.created_at = st->int64(8);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<PendingReply>> pending_replies(SessionStore& s, const std::string& account) {
  // The reply is the run's last assistant entry with text (tool rounds come before it).
  // The route's account, in each engine's JSON words (a pending reply always has a route;
  // the CASE keeps PostgreSQL from parsing an empty one, whatever order it filters in).
  static constexpr const char* kAccount[] = {
      "json_extract(reply_route, '$.account')",
      "(CASE WHEN reply_route <> '' THEN CAST(reply_route AS jsonb) ->> 'account' END)"};
  const bool pg = s.db().engine() == store::Engine::kPostgres;
  auto st = s.db().prepare(
      std::string("SELECT run_id, reply_route, status, error, "
                  "  coalesce((SELECT text FROM entries WHERE entries.run_id = runs.run_id "
                  "            AND role = 'assistant' AND text != '' ORDER BY id DESC LIMIT 1), "
                  "'') FROM runs WHERE reply_state = 'pending' AND status NOT IN ('queued', "
                  "'running') AND ") +
      kAccount[pg ? 1 : 0] + " = ?1 ORDER BY created_at");
  if (!st.ok()) return st.error();
  st->bind(1, account);
  std::vector<PendingReply> out;
  for (;;) {
    auto row = st->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    PendingReply p;
    p.run_id = st->text(0);
    p.route = st->text(1);
    p.status = parse_run_status(st->text(2));
    p.error = st->text(3);
    p.text = st->text(4);
    out.push_back(std::move(p));
  }
  return out;
}

Result<bool> add_outbox(SessionStore& s, std::vector<OutboxRow>& rows,
                        const std::string& reply_run_id) {
  // The reply's state first: of two writers racing for one reply, the second finds it
  // queued (PostgreSQL re-checks the condition once the first commits) and adds nothing.
  if (!reply_run_id.empty()) {
    auto closed = close_reply(s, reply_run_id);
    if (!closed.ok()) return closed.error();
    if (!*closed) {
      for (OutboxRow& r : rows) r.seq = 0;
      return false;
    }
  }
  auto ins = s.db().prepare(
      "INSERT INTO outbox (account, peer, reply_to, text, buttons, attempts, last_error, "
      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING seq");
  if (!ins.ok()) return ins.error();
  for (OutboxRow& r : rows) {
    ins->bind(1, r.account).bind(2, r.peer).bind(3, r.reply_to).bind(4, r.text);
    ins->bind(5, r.buttons).bind(6, std::int64_t{r.attempts}).bind(7, r.last_error);
    ins->bind(8, r.created_at);
    auto row = ins->step();
    if (!row.ok()) return row.error();
    r.seq = *row ? ins->int64(0) : 0;
    ins->reset();
  }
  return true;
}

Result<bool> close_reply(SessionStore& s, const std::string& run_id) {
  auto st = s.db().prepare(
      "UPDATE runs SET reply_state = 'queued' WHERE run_id = ?1 AND reply_state <> 'queued'");
  if (!st.ok()) return st.error();
  st->bind(1, run_id);
  if (auto r = st->run(); !r.ok()) return r.error();
  if (s.db().changes() > 0) return true;
  // Nothing changed: queued already, or a run with no row (its reply is still sent).
  auto row = s.db().prepare("SELECT 1 FROM runs WHERE run_id = ?1");
  if (!row.ok()) return row.error();
  row->bind(1, run_id);
  auto found = row->step();
  if (!found.ok()) return found.error();
  return !*found;
}

Status delete_outbox(SessionStore& s, std::int64_t seq) {
  auto st = s.db().prepare("DELETE FROM outbox WHERE seq = ?1");
  if (!st.ok()) return st.error();
  st->bind(1, seq);
  return st->run();
}

Status note_outbox_failure(SessionStore& s, std::int64_t seq, int attempts,
                           const std::string& error) {
  auto st = s.db().prepare("UPDATE outbox SET attempts = ?2, last_error = ?3 WHERE seq = ?1");
  if (!st.ok()) return st.error();
  st->bind(1, seq).bind(2, std::int64_t{attempts}).bind(3, error);
  return st->run();
}

Result<std::int64_t> count_outbox(SessionStore& s) {
  auto st = s.db().prepare("SELECT count(*) FROM outbox");
  if (!st.ok()) return st.error();
  auto row = st->step();
  if (!row.ok()) return row.error();
  return *row ? st->int64(0) : std::int64_t{0};
}

}  // namespace simpleclaw::sessions
