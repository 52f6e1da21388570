#include "sessions/hook_store.h"

namespace simpleclaw::sessions {

Result<WebhookIdVerdict> record_webhook_id(SessionStore& s, const std::string& id,
                                           const std::string& hook, std::int64_t expires_ms,
                                           std::int64_t now_ms, std::size_t max_ids) {
  auto prune = s.db().prepare("DELETE FROM webhook_ids WHERE expires_ms < ?1");
  if (!prune.ok()) return prune.error();
  prune->bind(1, now_ms);
  if (auto r = prune->run(); !r.ok()) return r.error();

  auto seen = s.db().prepare("SELECT 1 FROM webhook_ids WHERE id = ?1");
  if (!seen.ok()) return seen.error();
  seen->bind(1, id);
  auto row = seen->step();
  if (!row.ok()) return row.error();
  if (*row) return WebhookIdVerdict::kReplay;

  auto count = count_webhook_ids(s);
  if (!count.ok()) return count.error();
  if (*count >= static_cast<std::int64_t>(max_ids)) return WebhookIdVerdict::kFull;

  auto ins = s.db().prepare("INSERT INTO webhook_ids (id, hook, expires_ms) VALUES (?1, ?2, ?3)");
  if (!ins.ok()) return ins.error();
  ins->bind(1, id).bind(2, hook).bind(3, expires_ms);
  if (auto r = ins->run(); !r.ok()) return r.error();
  return WebhookIdVerdict::kNew;
}

Result<std::int64_t> count_webhook_ids(SessionStore& s) {
  auto st = s.db().prepare("SELECT count(*) FROM webhook_ids");
  if (!st.ok()) return st.error();
  auto row = st->step();
  if (!row.ok()) return row.error();
  return *row ? st->int64(0) : std::int64_t{0};
}

}  // namespace simpleclaw::sessions
