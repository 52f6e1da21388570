#include "sessions/store.h"

#include <algorithm>

#include "base/ids.h"
#include "base/utf8.h"
#include "sessions/lease_store.h"
#include "store/migrations.h"

namespace simpleclaw::sessions {
namespace {

constexpr store::Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE sessions (
  key            TEXT PRIMARY KEY,
  session_id     TEXT NOT NULL UNIQUE,
  agent_id       TEXT NOT NULL,
  kind           TEXT NOT NULL DEFAULT 'direct',
  channel        TEXT NOT NULL DEFAULT '',
  label          TEXT NOT NULL DEFAULT '',
  model_override TEXT NOT NULL DEFAULT '',
  pinned         INTEGER NOT NULL DEFAULT 0,
  archived       INTEGER NOT NULL DEFAULT 0,
  status         TEXT NOT NULL DEFAULT 'idle',
  input_tokens   INTEGER NOT NULL DEFAULT 0,
  output_tokens  INTEGER NOT NULL DEFAULT 0,
  last_preview   TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE INDEX sessions_by_updated ON sessions(updated_at DESC);
CREATE TABLE transcripts (
  session_id TEXT PRIMARY KEY,
  key        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  ended_at   INTEGER
);
CREATE INDEX transcripts_by_key ON transcripts(key);
CREATE TABLE entries (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id    TEXT NOT NULL,
  message_id    TEXT NOT NULL UNIQUE,
  run_id        TEXT NOT NULL DEFAULT '',
  role          TEXT NOT NULL,
  text          TEXT NOT NULL,
  state         TEXT NOT NULL DEFAULT 'complete',
  stop_reason   TEXT NOT NULL DEFAULT '',
  model         TEXT NOT NULL DEFAULT '',
  label         TEXT NOT NULL DEFAULT '',
  input_tokens  INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);
CREATE INDEX entries_by_session ON entries(session_id, id);
CREATE TABLE runs (
  run_id      TEXT PRIMARY KEY,
  session_key TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  status      TEXT NOT NULL,
  error       TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  ended_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_status ON runs(status);
)sql"},
    // Tool calls (an assistant entry's tool_calls: JSON [{id, name, arguments}]) and
    // their results (role 'tool'), and exec approvals that must survive a restart.
    {2, R"sql(
ALTER TABLE entries ADD COLUMN tool_calls TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN tool_call_id TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN tool_name TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN is_error INTEGER NOT NULL DEFAULT 0;
CREATE TABLE approvals (
  id          TEXT PRIMARY KEY,
  request     TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  resolved_at INTEGER NOT NULL DEFAULT 0,
  resolved_by TEXT NOT NULL DEFAULT '',
  reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_by_status ON approvals(status);
)sql"},
    // usage.cost / sessions.usage read entries by time range.
    {3, R"sql(
CREATE INDEX entries_by_time ON entries(created_at);
)sql"},
    // Images attached to user messages: JSON [{sha256, mimeType, bytes, fileName?}]
    // (sessions/media.h); the bytes are files under <state>/media.
    {4, R"sql(
ALTER TABLE entries ADD COLUMN images TEXT NOT NULL DEFAULT '';
)sql"},
    // Scheduled jobs and their run records (sessions/cron_store.h). A scheduled occurrence
    // is claimed by inserting its run record: the partial unique index makes a second
    // claim of the same (job, scheduled time) fail, so no occurrence ever runs twice.
    {5, R"sql(
CREATE TABLE cron_jobs (
  id                TEXT PRIMARY KEY,
  owner             TEXT NOT NULL DEFAULT '',
  spec              TEXT NOT NULL,
  state             TEXT NOT NULL DEFAULT '{}',
  enabled           INTEGER NOT NULL DEFAULT 1,
  last_scheduled_ms INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE TABLE cron_runs (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id          TEXT NOT NULL,
  scheduled_ms    INTEGER NOT NULL,
  trigger         TEXT NOT NULL,
  status          TEXT NOT NULL,
  started_ms      INTEGER NOT NULL,
  ended_ms        INTEGER NOT NULL DEFAULT 0,
  session_key     TEXT NOT NULL DEFAULT '',
  run_id          TEXT NOT NULL DEFAULT '',
  error           TEXT NOT NULL DEFAULT '',
  summary         TEXT NOT NULL DEFAULT '',
  delivery_status TEXT NOT NULL DEFAULT 'not-requested',
  delivery_error  TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX cron_runs_occurrence ON cron_runs(job_id, scheduled_ms)
  WHERE trigger IN ('schedule', 'missed');
CREATE INDEX cron_runs_by_job ON cron_runs(job_id, seq);
CREATE INDEX cron_runs_by_status ON cron_runs(status);
)sql"},
    // Accepted webhook ids (sessions/hook_store.h): a replay is refused across restarts
    // until the id's timestamp is out of the signature tolerance (expires_ms).
    {6, R"sql(
CREATE TABLE webhook_ids (
  id         TEXT PRIMARY KEY,
  hook       TEXT NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX webhook_ids_by_expiry ON webhook_ids(expires_ms);
)sql"},
    // sessions.list's order: a page of 10,000 sessions is read from the index instead of
    // sorting every row (the Control UI's Sessions panel pages through it).
    {7, R"sql(
CREATE INDEX sessions_by_listing ON sessions(archived, pinned DESC, updated_at DESC, key);
)sql"},
    // Durable outbound queues and reply routes (sessions/outbox_store.h): a reply to a
    // platform message survives a crash or a restart while the platform is down.
    {8, R"sql(
ALTER TABLE runs ADD COLUMN reply_route TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN reply_state TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_reply_pending ON runs(reply_state) WHERE reply_state = 'pending';
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  account    TEXT NOT NULL,
  peer       TEXT NOT NULL,
  reply_to   TEXT NOT NULL DEFAULT '',
  text       TEXT NOT NULL,
  buttons    TEXT NOT NULL DEFAULT '',
  attempts   INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX outbox_by_account ON outbox(account, seq);
)sql"},
    // Cluster mode's leases with a fencing epoch (sessions/lease_store.h).
    {9, R"sql(
CREATE TABLE leases (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  epoch       INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
)sql"},
    // Cluster mode's shared config document: one row (sessions/shared_config_store.h).
    {10, R"sql(
CREATE TABLE cluster_config (
  id         INTEGER PRIMARY KEY,
  raw        TEXT NOT NULL,
  hash       TEXT NOT NULL,
  version    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL DEFAULT ''
);
)sql"},
    // Cluster mode: the instance a run was accepted on ('' on a gateway of its own), so a
    // start recovers only its own runs and a dead instance's are taken over by another.
    {11, R"sql(
ALTER TABLE runs ADD COLUMN instance TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_by_instance ON runs(instance, status);
)sql"},
    // Cluster mode: the epoch of the session lane a run was accepted under; its transcript
    // writes are refused once the lane has another epoch (SessionStore::set_lanes).
    {12, R"sql(
ALTER TABLE runs ADD COLUMN lane_epoch BIGINT NOT NULL DEFAULT 0;
)sql"},
    // Cluster mode: small documents every instance shares (a channel account's pairing
    // state), changed by one read-modify-write each (sessions/shared_doc_store.h).
    {13, R"sql(
CREATE TABLE shared_docs (
  name       TEXT PRIMARY KEY,
  doc        TEXT NOT NULL,
  version    BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL DEFAULT 0
);
)sql"},
};

// Every table of the schema above with its primary key, in the order a copy makes them
// (`simpleclaw store migrate`): keep it in step with new tables (a test checks).
constexpr store::TableSpec kTables[] = {
    {"sessions", "key", false},      {"transcripts", "session_id", false},
    {"entries", "id", true},         {"runs", "run_id", false},
    {"approvals", "id", false},      {"cron_jobs", "id", false},
    {"cron_runs", "seq", true},      {"webhook_ids", "id", false},
    {"outbox", "seq", true},         {"leases", "name", false},
    {"cluster_config", "id", false}, {"shared_docs", "name", false},
};

constexpr const char* kSessionCols =
    "key, session_id, agent_id, kind, channel, label, model_override, pinned, archived, status, "
    "input_tokens, output_tokens, last_preview, created_at, updated_at, "
    // The first user message of the current transcript (derivedTitle): one index seek.
    "(SELECT substr(text, 1, 400) FROM entries WHERE entries.session_id = sessions.session_id "
    "AND role = 'user' ORDER BY id LIMIT 1)";
constexpr const char* kEntryCols =
    "id, session_id, message_id, run_id, role, text, state, stop_reason, model, label, "
    "input_tokens, output_tokens, created_at, tool_calls, tool_call_id, tool_name, is_error, "
    "images";

SessionRow read_session(const store::Stmt& s) {
  SessionRow r;
  r.key = s.text(0);
  r.session_id = s.text(1);
  r.agent_id = s.text(2);
  r.kind = s.text(3);
  r.channel = s.text(4);
  r.label = s.text(5);
  r.model_override = s.text(6);
  r.pinned = s.int64(7) != 0;
  r.archived_at = s.int64(8);  // the column holds the time it was archived (older rows: 1)
  r.archived = r.archived_at != 0;
  r.status = parse_session_status(s.text(9));
  r.input_tokens = s.int64(10);
  r.output_tokens = s.int64(11);
  r.last_preview = s.text(12);
  r.created_at = s.int64(13);
  r.updated_at = s.int64(14);
  r.first_user_text = s.text(15);
  return r;
}

Entry read_entry(const store::Stmt& s) {
  Entry e;
  e.seq = s.int64(0);
  e.session_id = s.text(1);
  e.message_id = s.text(2);
  e.run_id = s.text(3);
  e.role = parse_role(s.text(4));
  e.text = s.text(5);
  e.state = parse_entry_state(s.text(6));
  e.stop_reason = s.text(7);
  e.model = s.text(8);
  e.label = s.text(9);
  e.input_tokens = s.int64(10);
  e.output_tokens = s.int64(11);
  e.created_at = s.int64(12);
  if (std::string calls = s.text(13); !calls.empty()) {
    e.tool_calls = Json::parse(calls, nullptr, false);
    if (e.tool_calls.is_discarded() || !e.tool_calls.is_array()) e.tool_calls = Json::array();
  }
  e.tool_call_id = s.text(14);
  e.tool_name = s.text(15);
  e.is_error = s.int64(16) != 0;
  e.images = images_from_column(s.text(17));
  return e;
}

RunRow read_run(const store::Stmt& s) {
  return RunRow{s.text(0), s.text(1),  s.text(2), parse_run_status(s.text(3)),
                s.text(4), s.int64(5), s.int64(6)};
}

// First 120 characters of a message for sessions.list, cut on a UTF-8 boundary.
std::string preview_of(const std::string& text) {
  constexpr std::size_t kMax = 120;
  if (text.size() <= kMax) return text;
  return std::string(utf8_prefix(text, kMax)) + "…";
}

Error not_found(const std::string& key) {
  return Error::not_found("session not found: " + key, "SESSION_NOT_FOUND");
}

}  // namespace

Result<SessionStore> SessionStore::open(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? std::string(".") : path.substr(0, slash);
  return open(store::Db::open(path), dir + "/media");
}

Result<SessionStore> SessionStore::open_postgres(const std::string& url,
                                                 const std::string& media_dir) {
  return open(store::Db::open_postgres(url), media_dir);
}

Result<SessionStore> SessionStore::open(Result<store::Db> db, const std::string& media_dir) {
  if (!db.ok()) return db.error();
  if (auto v = store::migrate(*db, kMigrations); !v.ok()) return v.error();
  return SessionStore(std::move(db).value(), MediaStore(media_dir));
}

Result<store::Stmt> SessionStore::prep(const char* sql) { return db_.prepare(sql); }

std::span<const store::TableSpec> SessionStore::tables() { return kTables; }

int SessionStore::latest_schema_version() { return static_cast<int>(std::size(kMigrations)); }

Result<std::vector<std::string>> SessionStore::table_names() {
  auto st = db_.engine() == store::Engine::kSqlite
                ? prep(
                      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                      "'sqlite_%' ORDER BY name")
                : prep(
                      "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                      "current_schema() AND table_name <> 'simpleclaw_schema' ORDER BY 1");
  if (!st.ok()) return st.error();
  std::vector<std::string> out;
  for (;;) {
    auto r = st->step();
    if (!r.ok()) return r.error();
    if (!*r) return out;
    out.push_back(st->text(0));
  }
}

Result<int> SessionStore::recover(std::int64_t now) {
  // Runs that had started cannot be resumed safely (a tool may have run): interrupted.
  // Queued ones never started: they stay queued and run after the restart (queued_runs).
  // In cluster mode only this instance's: the others' are theirs (or reap_instance's).
  auto s = prep(
      "UPDATE runs SET status = 'error', error = 'interrupted by a gateway restart', "
      "ended_at = ?1 WHERE status = 'running' AND instance = ?2");
  if (!s.ok()) return s.error();
  s->bind(1, now).bind(2, instance_);
  if (auto r = s->run(); !r.ok()) return r.error();
  int marked = db_.changes();
  if (auto r = settle_idle_sessions(); !r.ok()) return r.error();
  return marked;
}

Status SessionStore::settle_idle_sessions() {
  if (instance_.empty())  // one gateway: nothing runs before the start finishes
    return db_.exec("UPDATE sessions SET status = 'idle' WHERE status != 'idle'");
  return db_.exec(
      "UPDATE sessions SET status = 'idle' WHERE status != 'idle' AND NOT EXISTS (SELECT 1 "
      "FROM runs WHERE runs.session_key = sessions.key AND runs.status IN ('running', "
      "'queued'))");
}

Result<ReapedInstance> SessionStore::reap_instance(const std::string& dead,
                                                   const std::string& dead_holder,
                                                   std::int64_t now) {
  ReapedInstance out;
  // Its session lanes (and channel accounts) are free at once, not a moment later: the
  // adopted runs below take their lanes here.
  if (auto x = expire_holder(*this, dead_holder); !x.ok()) return x.error();
  auto s = prep(
      "UPDATE runs SET status = 'error', error = ?3, ended_at = ?1 WHERE status = 'running' "
      "AND instance = ?2");
  if (!s.ok()) return s.error();
  s->bind(1, now).bind(2, dead).bind(3, "interrupted: gateway instance " + dead + " stopped");
  if (auto r = s->run(); !r.ok()) return r.error();
  out.interrupted = db_.changes();
  // Accepted but never started: this instance runs them (their messages are durable).
  auto adopted = queued_runs_of(dead);
  if (!adopted.ok()) return adopted.error();
  out.adopted = std::move(*adopted);
  auto q = prep("UPDATE runs SET instance = ?2 WHERE status = 'queued' AND instance = ?1");
  if (!q.ok()) return q.error();
  q->bind(1, dead).bind(2, instance_);
  if (auto r = q->run(); !r.ok()) return r.error();
  for (const QueuedRun& a : out.adopted) {
    auto lane = take_lane(a.session_key);
    if (!lane.ok()) {
      // Taken by a live instance meanwhile: the run fails to start with that said.
      if (lane.error().details.is_object() &&
          lane.error().details.value("code", "") == "LANE_ELSEWHERE")
        continue;
      return lane.error();
    }
    auto e = prep("UPDATE runs SET lane_epoch = ?2 WHERE run_id = ?1");
    if (!e.ok()) return e.error();
    e->bind(1, a.run_id).bind(2, *lane);
    if (auto r = e->run(); !r.ok()) return r.error();
  }
  if (auto r = settle_idle_sessions(); !r.ok()) return r.error();
  return out;
}

Status SessionStore::mark_running(const std::string& run_id) {
  if (!lane_holder_.empty()) {
    // A run accepted before a restart or adopted from a dead instance runs under this
    // holder's lane: taken (or renewed) now, its epoch recorded for the fence.
    auto run = get_run(run_id);
    if (!run.ok()) return run.error();
    if (!*run) return Error::not_found("unknown run: " + run_id, "RUN_NOT_FOUND");
    auto lane = take_lane((*run)->session_key);
    if (!lane.ok()) return lane.error();
    auto s = prep(
        "UPDATE runs SET status = 'running', lane_epoch = ?2 WHERE run_id = ?1 AND status = "
        "'queued'");
    if (!s.ok()) return s.error();
    s->bind(1, run_id).bind(2, *lane);
    return s->run();
  }
  auto s = prep("UPDATE runs SET status = 'running' WHERE run_id = ?1 AND status = 'queued'");
  if (!s.ok()) return s.error();
  s->bind(1, run_id);
  return s->run();
}

void SessionStore::set_lanes(std::string holder, std::int64_t ttl_ms) {
  lane_holder_ = std::move(holder);
  lane_ttl_ms_ = ttl_ms;
}

Result<std::int64_t> SessionStore::take_lane(const std::string& key) {
  if (lane_holder_.empty()) return std::int64_t{0};
  auto l = acquire_lease(*this, lane_lease(key), lane_holder_, lane_ttl_ms_);
  if (!l.ok()) return l.error();
  if (l->held) return l->epoch;
  const std::string where = l->holder.substr(0, l->holder.find('#'));
  // Unavailable here, with a retry hint: the client is either forwarded there (the
  // RunEngine's forwarder) or told to retry, by when the lane may be free.
  Error e = Error::unavailable("session " + key + " is being served by gateway instance " + where,
                               lane_ttl_ms_);
  e.details = Json{{"code", "LANE_ELSEWHERE"}};
  e.details["holder"] = l->holder;
  e.details["instance"] = where;
  return e;
}

Result<bool> SessionStore::lane_still_held(const std::string& run_id) {
  if (lane_holder_.empty()) return true;
  auto s = prep(
      "SELECT runs.lane_epoch, leases.holder, leases.epoch FROM runs LEFT JOIN leases ON "
      "leases.name = 'lane:' || runs.session_key WHERE runs.run_id = ?1");
  if (!s.ok()) return s.error();
  s->bind(1, run_id);
  auto row = s->step();
  if (!row.ok()) return row.error();
  if (!*row) return true;  // no such run: the caller says so
  const std::int64_t epoch = s->int64(0);
  if (epoch == 0) return true;  // accepted before the lanes (or on a gateway of its own)
  return s->text(1) == lane_holder_ && s->int64(2) == epoch;
}

Status SessionStore::release_idle_lane(const std::string& key) {
  if (lane_holder_.empty()) return Ok{};
  auto s = prep(
      "UPDATE leases SET holder = '', expires_at = 0 WHERE name = ?1 AND holder = ?2 AND NOT "
      "EXISTS (SELECT 1 FROM runs WHERE session_key = ?3 AND status IN ('queued', 'running'))");
  if (!s.ok()) return s.error();
  s->bind(1, lane_lease(key)).bind(2, lane_holder_).bind(3, key);
  return s->run();
}

Result<std::vector<QueuedRun>> SessionStore::queued_runs() { return queued_runs_of(instance_); }

Result<std::vector<QueuedRun>> SessionStore::queued_runs_of(const std::string& instance) {
  auto s = prep(
      "SELECT runs.run_id, runs.session_key, runs.session_id, entries.id, entries.message_id "
      "FROM runs JOIN entries ON entries.run_id = runs.run_id AND entries.role = 'user' "
      "WHERE runs.status = 'queued' AND runs.instance = ?1 ORDER BY runs.created_at, entries.id");
  if (!s.ok()) return s.error();
  s->bind(1, instance);
  std::vector<QueuedRun> out;
  for (;;) {
    auto row = s->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    std::string run_id = s->text(0);
    if (!out.empty() && out.back().run_id == run_id) continue;  // its first user message
    out.push_back({run_id, s->text(1), s->text(2), s->int64(3), s->text(4)});
  }
  return out;
}

Result<std::optional<SessionRow>> SessionStore::get(const std::string& key) {
  auto s = prep((std::string("SELECT ") + kSessionCols + " FROM sessions WHERE key = ?1").c_str());
  if (!s.ok()) return s.error();
  s->bind(1, key);
  auto row = s->step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<SessionRow>{};
  return std::optional<SessionRow>{read_session(*s)};
}

Result<SessionRow> SessionStore::ensure(const SessionKey& key, std::int64_t now) {
  auto existing = get(key.key);
  if (!existing.ok()) return existing.error();
  if (*existing) return **existing;
  SessionRow r;
  r.key = key.key;
  r.session_id = uuid_v4();
  r.agent_id = key.agent_id;
  r.kind = key.kind;
  r.channel = key.channel;
  r.created_at = r.updated_at = now;
  auto s = prep(
      "INSERT INTO sessions (key, session_id, agent_id, kind, channel, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
  if (!s.ok()) return s.error();
  s->bind(1, r.key).bind(2, r.session_id).bind(3, r.agent_id).bind(4, r.kind).bind(5, r.channel);
  s->bind(6, now);
  if (auto x = s->run(); !x.ok()) return x.error();
  auto t = prep("INSERT INTO transcripts (session_id, key, created_at) VALUES (?1, ?2, ?3)");
  if (!t.ok()) return t.error();
  t->bind(1, r.session_id).bind(2, r.key).bind(3, now);
  if (auto x = t->run(); !x.ok()) return x.error();
  return r;
}

Result<std::optional<RunRow>> SessionStore::get_run(const std::string& run_id) {
  auto s = prep(
      "SELECT run_id, session_key, session_id, status, error, created_at, ended_at FROM runs "
      "WHERE run_id = ?1");
  if (!s.ok()) return s.error();
  s->bind(1, run_id);
  auto row = s->step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<RunRow>{};
  return std::optional<RunRow>{read_run(*s)};
}

namespace {
Status insert_entry(store::Db& db, Entry& e) {
  auto s = db.prepare(
      "INSERT INTO entries (session_id, message_id, run_id, role, text, state, stop_reason, "
      "model, label, input_tokens, output_tokens, created_at, tool_calls, tool_call_id, "
      "tool_name, is_error, images) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
      "RETURNING id");
  if (!s.ok()) return s.error();
  s->bind(1, e.session_id).bind(2, e.message_id).bind(3, e.run_id).bind(4, role_name(e.role));
  s->bind(5, e.text)
      .bind(6, entry_state_name(e.state))
      .bind(7, e.stop_reason)
      .bind(8, e.model)
      .bind(9, e.label);
  s->bind(10, e.input_tokens).bind(11, e.output_tokens).bind(12, e.created_at);
  s->bind(13,
          e.tool_calls.is_array() && !e.tool_calls.empty() ? e.tool_calls.dump() : std::string());
  s->bind(14, e.tool_call_id).bind(15, e.tool_name).bind(16, std::int64_t{e.is_error ? 1 : 0});
  s->bind(17, images_to_column(e.images));
  auto row = s->step();
  if (!row.ok()) return row.error();
  e.seq = *row ? s->int64(0) : 0;
  return Ok{};
}
}  // namespace

Result<BeginRunResult> SessionStore::begin_run(const BeginRun& b) {
  BeginRunResult out;
  auto existing = get_run(b.run_id);
  if (!existing.ok()) return existing.error();
  auto session = ensure(b.key, b.now);
  if (!session.ok()) return session.error();
  out.session = std::move(session).value();
  if (*existing) {
    out.existing = std::move(*existing);
    return out;
  }
  auto lane = take_lane(b.key.key);
  if (!lane.ok()) return lane.error();
  auto r = prep(
      "INSERT INTO runs (run_id, session_key, session_id, status, created_at, reply_route, "
      "reply_state, instance, lane_epoch) VALUES (?1, ?2, ?3, ?7, ?4, ?5, ?6, ?8, ?9)");
  if (!r.ok()) return r.error();
  r->bind(8, instance_).bind(9, *lane);
  r->bind(1, b.run_id).bind(2, b.key.key).bind(3, out.session.session_id).bind(4, b.now);
  r->bind(5, b.reply_route).bind(6, std::string(b.reply_route.empty() ? "" : "pending"));
  r->bind(7, std::string(b.starts_now ? "running" : "queued"));
  if (auto x = r->run(); !x.ok()) return x.error();
  out.user.session_id = out.session.session_id;
  out.user.message_id = b.message_id;
  out.user.run_id = b.run_id;
  out.user.role = Role::kUser;
  out.user.text = b.text;
  out.user.created_at = b.now;
  if (b.images) {
    for (const NewImage& img : *b.images) {
      auto ref = media_.put(img);
      if (!ref.ok()) return ref.error();  // the job's savepoint undoes the run row
      out.user.images.push_back(std::move(ref).value());
    }
  }
  if (auto x = insert_entry(db_, out.user); !x.ok()) return x.error();
  auto u = prep(
      "UPDATE sessions SET updated_at = ?2, last_preview = ?3, status = 'running' WHERE key = ?1");
  if (!u.ok()) return u.error();
  const std::string preview = preview_of(
      b.text.empty() && b.images && !b.images->empty() ? std::string("[image]") : b.text);
  u->bind(1, b.key.key).bind(2, b.now).bind(3, preview);
  if (auto x = u->run(); !x.ok()) return x.error();
  out.session.updated_at = b.now;
  out.session.last_preview = preview;
  out.session.status = SessionStatus::kRunning;
  return out;
}

Status SessionStore::set_session_status(const std::string& key, SessionStatus status,
                                        std::int64_t now) {
  auto u = prep("UPDATE sessions SET status = ?2 WHERE key = ?1");
  if (!u.ok()) return u.error();
  u->bind(1, key).bind(2, session_status_name(status));
  return u->run();
}

Result<std::optional<Entry>> SessionStore::finish_run(const FinishRun& f) {
  auto run = get_run(f.run_id);
  if (!run.ok()) return run.error();
  if (!*run) return Error::not_found("unknown run: " + f.run_id, "RUN_NOT_FOUND");
  // The fence: a run whose lane another instance has taken since (this one was cut off
  // from the database for longer than the lease) writes nothing to the transcript.
  auto held = lane_still_held(f.run_id);
  if (!held.ok()) return held.error();
  std::optional<Entry> reply = *held ? f.reply : std::nullopt;
  const RunStatus status = *held ? f.status : RunStatus::kError;
  const std::string error = *held ? f.error : std::string(kLaneLost);
  if (reply) {
    reply->session_id = (*run)->session_id;
    reply->run_id = f.run_id;
    reply->role = Role::kAssistant;
    reply->created_at = f.now;
    if (auto x = insert_entry(db_, *reply); !x.ok()) return x.error();
  }
  // Cluster mode: a run another instance adopted (this one was taken for dead) is
  // theirs to end; this late end changes nothing.
  auto r = prep(
      "UPDATE runs SET status = ?2, error = ?3, ended_at = ?4 WHERE run_id = ?1 AND (?5 = '' "
      "OR instance = ?5 OR instance = '')");
  if (!r.ok()) return r.error();
  r->bind(1, f.run_id).bind(2, run_status_name(status)).bind(3, error).bind(4, f.now);
  r->bind(5, instance_);
  if (auto x = r->run(); !x.ok()) return x.error();
  if (auto x = release_idle_lane(f.session_key); !x.ok()) return x.error();
  if (!f.joined_run.empty()) {
    auto j = prep("UPDATE entries SET run_id = ?1 WHERE message_id = ?2");
    if (!j.ok()) return j.error();
    j->bind(1, f.joined_run).bind(2, f.user_message_id);
    if (auto x = j->run(); !x.ok()) return x.error();
  }
  // The session may have been reset meanwhile: only its current transcript's row moves.
  auto u = prep(
      "UPDATE sessions SET input_tokens = input_tokens + ?2, output_tokens = output_tokens + ?3, "
      "updated_at = ?4, last_preview = CASE WHEN ?5 = '' THEN last_preview ELSE ?5 END "
      "WHERE key = ?1");
  if (!u.ok()) return u.error();
  u->bind(1, f.session_key).bind(2, f.input_tokens).bind(3, f.output_tokens).bind(4, f.now);
  u->bind(5, reply && !reply->text.empty() ? preview_of(reply->text) : std::string());
  if (auto x = u->run(); !x.ok()) return x.error();
  return reply;
}

Status SessionStore::append_step(const std::string& run_id, std::vector<Entry>& entries,
                                 std::int64_t now) {
  auto run = get_run(run_id);
  if (!run.ok()) return run.error();
  if (!*run) return Error::not_found("unknown run: " + run_id, "RUN_NOT_FOUND");
  auto held = lane_still_held(run_id);
  if (!held.ok()) return held.error();
  if (!*held) return Error::conflict(kLaneLost, "LANE_LOST");
  for (Entry& e : entries) {
    e.session_id = (*run)->session_id;
    e.run_id = run_id;
    e.created_at = now;
    if (auto x = insert_entry(db_, e); !x.ok()) return x.error();
  }
  return Ok{};
}

Result<Entry> SessionStore::inject(const SessionKey& key, const std::string& message_id,
                                   const std::string& text, const std::string& label,
                                   std::int64_t now) {
  auto session = ensure(key, now);
  if (!session.ok()) return session.error();
  Entry e;
  e.session_id = session->session_id;
  e.message_id = message_id;
  e.role = Role::kAssistant;
  e.text = text;
  e.state = EntryState::kInjected;
  e.label = label;
  e.created_at = now;
  if (auto x = insert_entry(db_, e); !x.ok()) return x.error();
  auto u = prep("UPDATE sessions SET updated_at = ?2, last_preview = ?3 WHERE key = ?1");
  if (!u.ok()) return u.error();
  u->bind(1, key.key).bind(2, now).bind(3, preview_of(text));
  if (auto x = u->run(); !x.ok()) return x.error();
  return e;
}

Result<HistoryPage> SessionStore::history(const std::string& key, int limit, int offset) {
  HistoryPage page;
  auto session = get(key);
  if (!session.ok()) return session.error();
  if (!*session) return not_found(key);
  page.session = **session;
  // One row more than asked tells whether older entries exist.
  auto s = prep((std::string("SELECT ") + kEntryCols +
                 " FROM entries WHERE session_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3")
                    .c_str());
  if (!s.ok()) return s.error();
  s->bind(1, page.session.session_id).bind(2, std::int64_t{limit} + 1).bind(3, offset);
  for (;;) {
    auto row = s->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    page.entries.push_back(read_entry(*s));
  }
  if (page.entries.size() > static_cast<std::size_t>(limit)) {
    page.has_more = true;
    page.entries.pop_back();
  }
  std::reverse(page.entries.begin(), page.entries.end());
  return page;
}

Result<std::vector<Entry>> SessionStore::context(const std::string& session_id, int max_entries) {
  auto s = prep((std::string("SELECT ") + kEntryCols +
                 " FROM entries WHERE session_id = ?1 AND role IN ('user', 'assistant', 'tool') "
                 "AND state IN ('complete', 'aborted', 'injected') ORDER BY id DESC LIMIT ?2")
                    .c_str());
  if (!s.ok()) return s.error();
  s->bind(1, session_id).bind(2, std::int64_t{max_entries});
  std::vector<Entry> out;
  for (;;) {
    auto row = s->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(read_entry(*s));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

namespace {
// ?6 = "user:<owner>:". The namespace follows the agent id: "agent:<id>:user:<owner>:..."
// (sessions/keys.h).
constexpr const char* kOwnerClause =
    "substr(key, strpos(substr(key, 7), ':') + 7, length(?6)) = ?6";
}  // namespace

Result<std::map<std::string, int>> SessionStore::count_by_agent(const std::string& owner) {
  std::string sql = "SELECT agent_id, count(*) FROM sessions";
  if (!owner.empty()) sql += std::string(" WHERE ") + kOwnerClause;
  sql += " GROUP BY agent_id";
  auto s = prep(sql.c_str());
  if (!s.ok()) return s.error();
  if (!owner.empty()) s->bind(6, "user:" + owner + ":");
  std::map<std::string, int> out;
  for (;;) {
    auto row = s->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out[s->text(0)] = static_cast<int>(s->int64(1));
  }
  return out;
}

Result<std::pair<std::vector<SessionRow>, int>> SessionStore::list(const ListFilter& f) {
  std::string where = " WHERE 1=1";
  if (!f.agent_id.empty()) where += " AND agent_id = ?1";
  if (!f.search.empty())
    where += " AND (strpos(lower(key), lower(?2)) > 0 OR strpos(lower(label), lower(?2)) > 0)";
  if (f.active_since > 0) where += " AND updated_at >= ?3";
  if (!f.include_archived) where += " AND archived = 0";
  const std::string ns = "user:" + f.owner + ":";
  if (!f.owner.empty()) where += std::string(" AND ") + kOwnerClause;
  auto bind_filters = [&](store::Stmt& s) {
    if (!f.owner.empty()) s.bind(6, ns);
    if (!f.agent_id.empty()) s.bind(1, f.agent_id);
    if (!f.search.empty()) s.bind(2, f.search);
    if (f.active_since > 0) s.bind(3, f.active_since);
  };
  auto count = prep(("SELECT count(*) FROM sessions" + where).c_str());
  if (!count.ok()) return count.error();
  bind_filters(*count);
  auto crow = count->step();
  if (!crow.ok()) return crow.error();
  int total = static_cast<int>(count->int64(0));
  auto s = prep((std::string("SELECT ") + kSessionCols + " FROM sessions" + where +
                 " ORDER BY pinned DESC, updated_at DESC, key LIMIT ?4 OFFSET ?5")
                    .c_str());
  if (!s.ok()) return s.error();
  bind_filters(*s);
  s->bind(4, std::int64_t{f.limit}).bind(5, std::int64_t{f.offset});
  std::vector<SessionRow> rows;
  for (;;) {
    auto row = s->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    rows.push_back(read_session(*s));
  }
  return std::make_pair(std::move(rows), total);
}

Result<SessionRow> SessionStore::reset(const std::string& key, const std::string& new_session_id,
                                       std::int64_t now) {
  auto session = get(key);
  if (!session.ok()) return session.error();
  if (!*session) return not_found(key);
  auto end = prep("UPDATE transcripts SET ended_at = ?2 WHERE session_id = ?1");
  if (!end.ok()) return end.error();
  end->bind(1, (*session)->session_id).bind(2, now);
  if (auto x = end->run(); !x.ok()) return x.error();
  auto t = prep("INSERT INTO transcripts (session_id, key, created_at) VALUES (?1, ?2, ?3)");
  if (!t.ok()) return t.error();
  t->bind(1, new_session_id).bind(2, key).bind(3, now);
  if (auto x = t->run(); !x.ok()) return x.error();
  auto u = prep(
      "UPDATE sessions SET session_id = ?2, updated_at = ?3, input_tokens = 0, "
      "output_tokens = 0, last_preview = '' WHERE key = ?1");
  if (!u.ok()) return u.error();
  u->bind(1, key).bind(2, new_session_id).bind(3, now);
  if (auto x = u->run(); !x.ok()) return x.error();
  SessionRow r = **session;
  r.session_id = new_session_id;
  r.updated_at = now;
  r.input_tokens = r.output_tokens = 0;
  r.last_preview.clear();
  r.first_user_text.clear();
  return r;
}

Result<std::vector<std::string>> SessionStore::stale_sessions(std::int64_t before, int limit) {
  auto q = prep(
      "SELECT key FROM sessions WHERE updated_at < ?1 AND last_preview != '' "
      "ORDER BY updated_at LIMIT ?2");
  if (!q.ok()) return q.error();
  q->bind(1, before).bind(2, static_cast<std::int64_t>(limit));
  std::vector<std::string> keys;
  for (;;) {
    auto row = q->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    keys.push_back(q->text(0));
  }
  return keys;
}

Result<Json> SessionStore::checkpoint() {
  // PostgreSQL's autovacuum and its own checkpoints do this on the server.
  if (db_.engine() == store::Engine::kPostgres)
    return Json{{"busy", 0}, {"logFrames", 0}, {"checkpointedFrames", 0}, {"vacuumedPages", 0}};
  // Free pages (deleted sessions, trimmed transcripts) go back to the file system first,
  // so the checkpoint below also truncates what the vacuum wrote to the WAL.
  auto free_pages = db_.pragma_int("freelist_count");
  auto pages = db_.pragma_int("page_count");
  auto mode = db_.pragma_int("auto_vacuum");  // 0 none, 1 full, 2 incremental
  std::int64_t vacuumed = 0;
  if (free_pages.ok() && pages.ok() && mode.ok() && *free_pages > 0) {
    if (*mode == 2) {
      if (db_.exec("PRAGMA incremental_vacuum").ok()) vacuumed = *free_pages;
    } else if (*mode == 0 && *free_pages >= kVacuumMinFreePages && *free_pages * 4 >= *pages) {
      // A database from before incremental auto-vacuum, a quarter of it free: one full
      // VACUUM rewrites it and switches it to incremental for good.
      if (db_.exec("PRAGMA auto_vacuum=INCREMENTAL; VACUUM").ok()) vacuumed = *free_pages;
    }
  }
  auto q = db_.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!q.ok()) return q.error();
  auto row = q->step();
  if (!row.ok()) return row.error();
  Json out{{"busy", *row ? q->int64(0) : 0},
           {"logFrames", *row ? q->int64(1) : 0},
           {"checkpointedFrames", *row ? q->int64(2) : 0},
           {"vacuumedPages", vacuumed}};
  q->reset();
  (void)db_.exec("PRAGMA optimize");  // refreshes planner statistics when they are stale
  return out;
}

Result<bool> SessionStore::remove(const std::string& key) {
  for (const char* sql :
       {"DELETE FROM entries WHERE session_id IN (SELECT session_id FROM transcripts WHERE key = "
        "?1)",
        "DELETE FROM runs WHERE session_key = ?1", "DELETE FROM transcripts WHERE key = ?1",
        "DELETE FROM sessions WHERE key = ?1"}) {
    auto s = prep(sql);
    if (!s.ok()) return s.error();
    s->bind(1, key);
    if (auto x = s->run(); !x.ok()) return x.error();
  }
  return db_.changes() > 0;
}

Result<SessionRow> SessionStore::patch(const std::string& key, const SessionPatch& p,
                                       std::int64_t now) {
  auto session = get(key);
  if (!session.ok()) return session.error();
  if (!*session) return not_found(key);
  SessionRow r = **session;
  if (p.label) r.label = *p.label;
  if (p.model_override) r.model_override = *p.model_override;
  if (p.pinned) r.pinned = *p.pinned;
  if (p.archived) {
    if (*p.archived && !r.archived) r.archived_at = now;  // archiving again keeps the time
    if (!*p.archived) r.archived_at = 0;
    r.archived = *p.archived;
  }
  r.updated_at = now;
  auto u = prep(
      "UPDATE sessions SET label = ?2, model_override = ?3, pinned = ?4, archived = ?5, "
      "updated_at = ?6 WHERE key = ?1");
  if (!u.ok()) return u.error();
  u->bind(1, key).bind(2, r.label).bind(3, r.model_override).bind(4, std::int64_t{r.pinned});
  u->bind(5, r.archived_at).bind(6, now);
  if (auto x = u->run(); !x.ok()) return x.error();
  return r;
}

Status SessionStore::save_approval(const ApprovalRow& a) {
  auto s = prep(
      "INSERT INTO approvals (id, request, status, created_at, expires_at, resolved_at, "
      "resolved_by, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO "
      "UPDATE SET request = excluded.request, status = excluded.status, created_at = "
      "excluded.created_at, expires_at = excluded.expires_at, resolved_at = "
      "excluded.resolved_at, resolved_by = excluded.resolved_by, reason = excluded.reason");
  if (!s.ok()) return s.error();
  s->bind(1, a.id).bind(2, a.request_json).bind(3, a.status).bind(4, a.created_at);
  s->bind(5, a.expires_at).bind(6, a.resolved_at).bind(7, a.resolved_by).bind(8, a.reason);
  return s->run();
}

Result<std::vector<ApprovalRow>> SessionStore::pending_approvals() {
  auto s = prep(
      "SELECT id, request, status, created_at, expires_at, resolved_at, resolved_by, reason "
      "FROM approvals WHERE status = 'pending' ORDER BY created_at");
  if (!s.ok()) return s.error();
  std::vector<ApprovalRow> out;
  for (;;) {
    auto row = s->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(ApprovalRow{s->text(0), s->text(1), s->text(2), s->text(7), s->text(6),
                              s->int64(3), s->int64(4), s->int64(5)});
  }
  return out;
}

}  // namespace simpleclaw::sessions
