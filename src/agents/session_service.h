// SessionService: reading and editing sessions outside a run (SPEC §5 Sessions, chat.history,
// chat.inject): transcript pages, the session list, reset, delete, patch, and injected
// assistant messages. Typed results; the gateway's methods turn them into protocol JSON.
// Edits that would race a run coordinate with the RunEngine: a reset aborts the session's
// runs first, a delete is refused while one is in progress.
//
// Threading: loop thread; the database is reached only through the DbWorker. `done`
// callbacks run on the loop, once (not at all if the service was destroyed meanwhile).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "agents/run_events.h"
#include "base/alive.h"
#include "base/clock.h"
#include "providers/catalog.h"
#include "sessions/db_worker.h"
#include "sessions/usage.h"

namespace simpleclaw::agents {

template <typename T>
using Done = std::function<void(Result<T>)>;

struct History {
  std::string key;
  std::optional<sessions::HistoryPage> page;  // absent: nobody wrote to this session yet
  std::vector<std::string> active_run_ids;
};

struct SessionList {
  std::vector<sessions::SessionRow> rows;
  int total = 0;
};

class SessionService {
 public:
  SessionService(sessions::DbWorker& db, RunEngine& runs, const AgentDirectory& agents,
                 const providers::Catalog& catalog, RunSink& sink,
                 const Clock& clock = system_clock());

  // The newest `limit` entries of the session's current transcript, skipping `offset`.
  // With an `image_budget` (decoded bytes) the images of the page are read too, newest
  // first, while they fit (chat.history shows them; a page never carries more than this).
  void history(const sessions::SessionKey& key, int limit, int offset, Done<History> done,
               std::int64_t image_budget = 0);
  static constexpr std::int64_t kHistoryImageBytes = std::int64_t{16} << 20;
  // An assistant message appended without a run (reported like a finished reply).
  void inject(const sessions::SessionKey& key, const std::string& message, const std::string& label,
              Done<sessions::Entry> done);
  void list(sessions::ListFilter f, Done<SessionList> done);
  // A new sessionId; the old transcript is kept. The session's runs are aborted first.
  void reset(const sessions::SessionKey& key, Done<sessions::SessionRow> done);
  // Deletes the session and its transcripts: true if it existed. Refused (kConflict,
  // SESSION_BUSY) while a run is in progress.
  void remove(const sessions::SessionKey& key, Done<bool> done);
  void patch(const sessions::SessionKey& key, sessions::SessionPatch patch,
             Done<sessions::SessionRow> done);
  // Keys of sessions idle since `before` (the sessions.reset policy), oldest first.
  void stale(std::int64_t before, int limit, Done<std::vector<std::string>> done);

  // Usage aggregates (usage.cost, sessions.usage): SQL sums on the database thread.
  void usage(sessions::UsageQuery q, Done<sessions::UsageData> done);
  // The rows of these keys (those that exist), in the order asked; at most 1000 keys.
  void rows(std::vector<std::string> keys, Done<std::vector<sessions::SessionRow>> done);
  // A session's entries for sessions.usage.timeseries / .logs (sessions/usage.h).
  void usage_entries(std::string key, bool only_tokens, int limit, std::size_t text_max,
                     Done<std::vector<sessions::UsageEntry>> done);

 private:
  sessions::DbWorker& db_;
  RunEngine& runs_;
  const AgentDirectory& agents_;
  const providers::Catalog& catalog_;
  RunSink& sink_;
  const Clock& clock_;
  Alive alive_;  // last
};

}  // namespace simpleclaw::agents
