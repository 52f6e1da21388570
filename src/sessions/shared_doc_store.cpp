#include "sessions/shared_doc_store.h"

namespace simpleclaw::sessions {

namespace {

Result<std::optional<SharedDoc>> read_doc(SessionStore& s, const std::string& name, bool lock) {
  // PostgreSQL: inside a job's transaction, FOR UPDATE holds the row until the commit, so
  // a concurrent change waits and then reads this one's result. SQLite has one writer.
  const bool pg = s.db().engine() == store::Engine::kPostgres;
  auto st = s.db().prepare(std::string("SELECT doc, version FROM shared_docs WHERE name = ?1") +
                           (pg && lock ? " FOR UPDATE" : ""));
  if (!st.ok()) return st.error();
  st->bind(1, name);
  auto row = st->step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<SharedDoc>{};
  return std::optional<SharedDoc>{SharedDoc{st->text(0), st->int64(1)}};
}

}  // namespace

Result<std::optional<SharedDoc>> read_shared_doc(SessionStore& s, const std::string& name) {
  return read_doc(s, name, false);
}

Result<SharedDoc> change_shared_doc(SessionStore& s, const std::string& name,
                                    const DocChange& change, std::int64_t now_ms) {
  // A missing row is created first, so there is always a row to lock.
  auto ins = s.db().prepare(
      "INSERT INTO shared_docs (name, doc, version, updated_at) VALUES (?1, '', 0, ?2) "
      "ON CONFLICT (name) DO NOTHING");
  if (!ins.ok()) return ins.error();
  ins->bind(1, name).bind(2, now_ms);
  if (auto r = ins->run(); !r.ok()) return r.error();
  auto cur = read_doc(s, name, true);
  if (!cur.ok()) return cur.error();
  SharedDoc current = *cur ? std::move(**cur) : SharedDoc{};
  std::optional<std::string> text = change(current.text);
  if (!text) return current;
  SharedDoc next{std::move(*text), current.version + 1};
  auto up = s.db().prepare(
      "UPDATE shared_docs SET doc = ?2, version = ?3, updated_at = ?4 WHERE name = ?1");
  if (!up.ok()) return up.error();
  up->bind(1, name).bind(2, next.text).bind(3, next.version).bind(4, now_ms);
  if (auto r = up->run(); !r.ok()) return r.error();
  return next;
}

}  // namespace simpleclaw::sessions
