#include "sessions/cron_store.h"

namespace simpleclaw::sessions {
namespace {

constexpr const char* kRunCols =
    "seq, job_id, scheduled_ms, trigger, status, started_ms, ended_ms, session_key, run_id, "
    "error, summary, delivery_status, delivery_error";

CronRunRow read_cron_run(const store::Stmt& s) {
  CronRunRow r;
  r.seq = s.int64(0);
  r.job_id = s.text(1);
  r.scheduled_ms = s.int64(2);
  r.trigger = s.text(3);
  r.status = s.text(4);
  r.started_ms = s.int64(5);
  r.ended_ms = s.int64(6);
  r.session_key = s.text(7);
  r.run_id = s.text(8);
  r.error = s.text(9);
  r.summary = s.text(10);
  r.delivery_status = s.text(11);
  r.delivery_error = s.text(12);
  return r;
}

Json parse_object(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  return j.is_object() ? j : Json::object();
}

// Deletes a job's records beyond the newest kMaxRunsPerJob.
Status prune_runs(SessionStore& s, const std::string& job_id) {
  auto st = s.db().prepare(
      "DELETE FROM cron_runs WHERE job_id = ?1 AND seq <= (SELECT seq FROM cron_runs WHERE "
      "job_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)");
  if (!st.ok()) return st.error();
  st->bind(1, job_id).bind(2, static_cast<std::int64_t>(kMaxRunsPerJob));
  return st->run();
}

}  // namespace

Result<std::vector<CronJobRow>> load_cron_jobs(SessionStore& s) {
  auto st = s.db().prepare(
      "SELECT id, owner, spec, state, enabled, last_scheduled_ms, created_at, updated_at "
      "FROM cron_jobs ORDER BY created_at, id");
  if (!st.ok()) return st.error();
  std::vector<CronJobRow> out;
  for (;;) {
    auto row = st->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    CronJobRow j;
    j.id = st->text(0);
    j.owner = st->text(1);
    j.spec = parse_object(st->text(2));
    j.state = parse_object(st->text(3));
    j.enabled = st->int64(4) != 0;
    j.last_scheduled_ms = st->int64(5);
    j.created_at = st->int64(6);
    j.updated_at = st->int64(7);
    out.push_back(std::move(j));
  }
  return out;
}

Status put_cron_job(SessionStore& s, const CronJobRow& job) {
  auto st = s.db().prepare(
      "INSERT INTO cron_jobs (id, owner, spec, state, enabled, last_scheduled_ms, created_at, "
      "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE SET "
      "owner = ?2, spec = ?3, state = ?4, enabled = ?5, last_scheduled_ms = "
      "?6, updated_at = ?8");
  if (!st.ok()) return st.error();
  st->bind(1, job.id)
      .bind(2, job.owner)
      .bind(3, job.spec.dump())
      .bind(4, job.state.dump())
      .bind(5, static_cast<std::int64_t>(job.enabled))
      .bind(6, job.last_scheduled_ms)
      .bind(7, job.created_at)
      .bind(8, job.updated_at);
  return st->run();
}

Result<bool> delete_cron_job(SessionStore& s, const std::string& id, bool keep_runs) {
  auto st = s.db().prepare("DELETE FROM cron_jobs WHERE id = ?1");
  if (!st.ok()) return st.error();
  st->bind(1, id);
  if (auto r = st->run(); !r.ok()) return r.error();
  const bool removed = s.db().changes() > 0;
  if (keep_runs) return removed;
  auto runs = s.db().prepare("DELETE FROM cron_runs WHERE job_id = ?1");
  if (!runs.ok()) return runs.error();
  runs->bind(1, id);
  if (auto r = runs->run(); !r.ok()) return r.error();
  return removed;
}

Result<std::optional<std::int64_t>> claim_cron_run(SessionStore& s, const CronRunRow& r) {
  auto st = s.db().prepare(
      "INSERT INTO cron_runs (job_id, scheduled_ms, trigger, status, started_ms, "
      "ended_ms, session_key, run_id, error, summary, delivery_status) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
      "ON CONFLICT DO NOTHING RETURNING seq");
  if (!st.ok()) return st.error();
  const std::string status = r.status.empty() ? "running" : r.status;
  st->bind(1, r.job_id)
      .bind(2, r.scheduled_ms)
      .bind(3, r.trigger)
      .bind(4, status)
      .bind(5, r.started_ms)
      .bind(6, status == "running" ? std::int64_t{0} : r.ended_ms)
      .bind(7, r.session_key)
      .bind(8, r.run_id)
      .bind(9, r.error)
      .bind(10, r.summary)
      .bind(11, r.delivery_status);
  // No row back: this occurrence was claimed already (the partial unique index).
  auto claimed = st->step();
  if (!claimed.ok()) return claimed.error();
  if (!*claimed) return std::optional<std::int64_t>{};
  const std::int64_t seq = st->int64(0);
  if (r.trigger != "manual") {
    auto up = s.db().prepare(
        "UPDATE cron_jobs SET last_scheduled_ms = CASE WHEN last_scheduled_ms > ?2 "
        "THEN last_scheduled_ms ELSE ?2 END WHERE id = ?1");
    if (!up.ok()) return up.error();
    up->bind(1, r.job_id).bind(2, r.scheduled_ms);
    if (auto res = up->run(); !res.ok()) return res.error();
  }
  if (status != "running")
    if (auto p = prune_runs(s, r.job_id); !p.ok()) return p.error();
  return std::optional<std::int64_t>{seq};
}

Status finish_cron_run(SessionStore& s, const CronRunRow& r, const std::string& job_id,
                       const Json& job_state) {
  auto st = s.db().prepare(
      "UPDATE cron_runs SET status = ?2, ended_ms = ?3, session_key = ?4, run_id = ?5, "
      "error = ?6, summary = ?7, delivery_status = ?8, delivery_error = ?9 WHERE seq = ?1");
  if (!st.ok()) return st.error();
  st->bind(1, r.seq)
      .bind(2, r.status)
      .bind(3, r.ended_ms)
      .bind(4, r.session_key)
      .bind(5, r.run_id)
      .bind(6, r.error)
      .bind(7, r.summary)
      .bind(8, r.delivery_status)
      .bind(9, r.delivery_error);
  if (auto res = st->run(); !res.ok()) return res.error();
  // The job may have been removed while it ran: then there is no state to keep.
  auto up = s.db().prepare("UPDATE cron_jobs SET state = ?2 WHERE id = ?1");
  if (!up.ok()) return up.error();
  up->bind(1, job_id).bind(2, job_state.dump());
  if (auto res = up->run(); !res.ok()) return res.error();
  return prune_runs(s, job_id);
}

Result<std::vector<CronRunRow>> interrupt_cron_runs(SessionStore& s, std::int64_t now) {
  auto sel = s.db().prepare(
      (std::string("SELECT ") + kRunCols + " FROM cron_runs WHERE status = 'running' ORDER BY seq")
          .c_str());
  if (!sel.ok()) return sel.error();
  std::vector<CronRunRow> out;
  for (;;) {
    auto row = sel->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(read_cron_run(*sel));
  }
  auto up = s.db().prepare(
      "UPDATE cron_runs SET status = 'interrupted', ended_ms = ?1, error = 'interrupted: the "
      "gateway stopped while this run was in progress; it is not run again' WHERE status = "
      "'running'");
  if (!up.ok()) return up.error();
  up->bind(1, now);
  if (auto res = up->run(); !res.ok()) return res.error();
  for (auto& r : out) {
    r.status = "interrupted";
    r.ended_ms = now;
  }
  return out;
}

Result<std::pair<std::vector<CronRunRow>, int>> list_cron_runs(SessionStore& s,
                                                               const CronRunQuery& q) {
  // Built from fixed fragments only; every value is a bound parameter.
  std::string where = " WHERE 1 = 1";
  std::vector<std::string> binds;
  auto add = [&](const std::string& clause, const std::string& v) {
    binds.push_back(v);
    where += " AND " + clause + " ?" + std::to_string(binds.size());
  };
  if (!q.job_id.empty()) add("job_id =", q.job_id);
  auto add_in = [&](const char* column, const std::vector<std::string>& values) {
    if (values.empty()) return;
    where += std::string(" AND ") + column + " IN (";
    for (std::size_t i = 0; i < values.size(); ++i) {
      binds.push_back(values[i]);
      where += (i ? ", ?" : "?") + std::to_string(binds.size());
    }
    where += ")";
  };
  add_in("job_id", q.job_ids);
  add_in("status", q.statuses);
  if (!q.delivery_status.empty()) add("delivery_status =", q.delivery_status);
  if (!q.run_id.empty()) add("run_id =", q.run_id);
  if (!q.query.empty()) {
    binds.push_back(q.query);
    const std::string n = std::to_string(binds.size());
    where += " AND (strpos(lower(summary), lower(?" + n + ")) > 0 OR strpos(lower(error), lower(?" +
             n + ")) > 0)";
  }
  auto bind_all = [&](store::Stmt& st) {
    for (std::size_t i = 0; i < binds.size(); ++i) st.bind(static_cast<int>(i + 1), binds[i]);
  };
  auto count = s.db().prepare("SELECT count(*) FROM cron_runs" + where);
  if (!count.ok()) return count.error();
  bind_all(*count);
  auto has = count->step();
  if (!has.ok()) return has.error();
  const int total = *has ? static_cast<int>(count->int64(0)) : 0;

  auto st = s.db().prepare(std::string("SELECT ") + kRunCols + " FROM cron_runs" + where +
                           (q.newest_first ? " ORDER BY seq DESC" : " ORDER BY seq") + " LIMIT " +
                           std::to_string(q.limit) + " OFFSET " + std::to_string(q.offset));
  if (!st.ok()) return st.error();
  bind_all(*st);
  std::vector<CronRunRow> out;
  for (;;) {
    auto row = st->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(read_cron_run(*st));
  }
  return std::make_pair(std::move(out), total);
}

}  // namespace simpleclaw::sessions
