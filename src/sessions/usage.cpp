#include "sessions/usage.h"

#include <algorithm>

namespace simpleclaw::sessions {
namespace {

// The calendar day of e.created_at (ms) as SQL: ?7 holds the fixed offset in seconds.
// PostgreSQL's "local" is its session's TimeZone, which the store sets to the host's zone.
std::string usage_day_sql(DayZone zone, store::Engine engine) {
  if (engine == store::Engine::kPostgres) {
    switch (zone) {
      case DayZone::kUtc:
        return "to_char(to_timestamp(e.created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
      case DayZone::kLocal:
        return "to_char(to_timestamp(e.created_at / 1000), 'YYYY-MM-DD')";
      case DayZone::kOffset:
        return "to_char(to_timestamp(e.created_at / 1000 + ?7) AT TIME ZONE 'UTC', "
               "'YYYY-MM-DD')";
    }
  }
  switch (zone) {
    case DayZone::kUtc:
      return "date(e.created_at / 1000, 'unixepoch')";
    case DayZone::kLocal:
      return "date(e.created_at / 1000, 'unixepoch', 'localtime')";
    case DayZone::kOffset:
      return "date(e.created_at / 1000 + ?7, 'unixepoch')";
  }
  return "''";
}

// FROM + WHERE shared by the aggregates: the range, the agent, the owner's namespace
// ("agent:<id>:user:<owner>:...", sessions/keys.h) and one key.
std::string usage_from_where(const UsageQuery& q) {
  std::string sql =
      " FROM entries e JOIN transcripts t ON t.session_id = e.session_id "
      "JOIN sessions s ON s.key = t.key WHERE e.created_at >= ?1 AND e.created_at <= ?2";
  if (!q.agent_id.empty()) sql += " AND s.agent_id = ?3";
  if (!q.key.empty()) sql += " AND t.key = ?4";
  if (!q.owner.empty())
    sql += " AND substr(t.key, strpos(substr(t.key, 7), ':') + 7, length(?6)) = ?6";
  return sql;
}

void bind_usage_filters(store::Stmt& s, const UsageQuery& q, bool with_day) {
  s.bind(1, q.start_ms).bind(2, q.end_ms);
  if (!q.agent_id.empty()) s.bind(3, q.agent_id);
  if (!q.key.empty()) s.bind(4, q.key);
  s.bind(5, std::int64_t{q.max_rows} + 1);  // one more row tells it was cut
  if (!q.owner.empty()) s.bind(6, "user:" + q.owner + ":");
  if (with_day && q.zone == DayZone::kOffset) s.bind(7, std::int64_t{q.offset_minutes} * 60);
}

// Runs `sql` and hands each row to `read`; at most max_rows rows (then `truncated`).
template <typename Read>
Status each_usage_row(store::Db& db, const std::string& sql, const UsageQuery& q, bool with_day,
                      bool& truncated, Read read) {
  auto s = db.prepare(sql.c_str());
  if (!s.ok()) return s.error();
  bind_usage_filters(*s, q, with_day);
  for (int n = 0;; ++n) {
    auto row = s->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    if (n >= q.max_rows) {
      truncated = true;
      break;
    }
    read(*s);
  }
  return Ok{};
}

}  // namespace

Result<UsageData> load_usage(store::Db& db, const UsageQuery& q) {
  UsageData out;
  const std::string day = usage_day_sql(q.zone, db.engine());
  const std::string from = usage_from_where(q);
  const std::string key = q.per_session ? "t.key" : "''";
  std::string sql = "SELECT " + key + ", " + day +
                    ", e.model, sum(e.input_tokens), sum(e.output_tokens), count(*), "
                    "min(e.created_at), max(e.created_at)" +
                    from +
                    " AND (e.input_tokens > 0 OR e.output_tokens > 0) "
                    "GROUP BY 1, 2, 3 ORDER BY 2, 1, 3 LIMIT ?5";
  auto st = each_usage_row(db, sql, q, true, out.truncated, [&](const store::Stmt& s) {
    out.usage.push_back(UsageRow{s.text(0), s.text(1), s.text(2), s.int64(3), s.int64(4),
                                 s.int64(5), s.int64(6), s.int64(7)});
  });
  if (!st.ok()) return st.error();
  if (!q.per_session) return out;

  sql = "SELECT t.key, " + day +
        ", e.role, count(*), sum(CASE WHEN e.tool_calls != '' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN e.state = 'error' OR e.is_error != 0 THEN 1 ELSE 0 END), "
        "min(e.created_at), max(e.created_at)" +
        from + " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT ?5";
  st = each_usage_row(db, sql, q, true, out.truncated, [&](const store::Stmt& s) {
    out.messages.push_back(MessageRow{s.text(0), s.text(1), s.text(2), s.int64(3), s.int64(4),
                                      s.int64(5), s.int64(6), s.int64(7)});
  });
  if (!st.ok()) return st.error();

  sql = "SELECT t.key, e.tool_name, count(*)" + from +
        " AND e.role = 'tool' GROUP BY 1, 2 ORDER BY 1, 2 LIMIT ?5";
  st = each_usage_row(db, sql, q, false, out.truncated, [&](const store::Stmt& s) {
    out.tools.push_back(ToolRow{s.text(0), s.text(1), s.int64(2)});
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<std::vector<UsageEntry>> session_entries(store::Db& db, const std::string& key,
                                                bool only_tokens, int limit, std::size_t text_max) {
  std::string sql =
      "SELECT e.created_at, e.role, substr(e.text, 1, ?3), e.model, e.tool_name, "
      "e.input_tokens, e.output_tokens, CASE WHEN e.tool_calls != '' THEN 1 ELSE 0 END "
      "FROM entries e JOIN transcripts t ON t.session_id = e.session_id WHERE t.key = ?1";
  if (only_tokens) sql += " AND (e.input_tokens > 0 OR e.output_tokens > 0)";
  sql += " ORDER BY e.id DESC LIMIT ?2";
  auto s = db.prepare(sql.c_str());
  if (!s.ok()) return s.error();
  // substr() counts characters, so a cut never splits a UTF-8 sequence.
  s->bind(1, key).bind(2, std::int64_t{limit}).bind(3, static_cast<std::int64_t>(text_max));
  std::vector<UsageEntry> out;
  for (;;) {
    auto row = s->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(UsageEntry{s->int64(0), s->text(1), s->text(2), s->text(3), s->text(4),
                             s->int64(5), s->int64(6), s->int64(7) != 0});
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace simpleclaw::sessions
