// Outbox: the loop side of the accounts' durable outbound queues (the rows are in the
// session database: sessions/outbox_store.h). Every message an account sends is stored
// before it is queued in memory and deleted once the platform took it; each failed
// attempt updates its row, so `channels.status` can say how long a reply has been
// waiting and why. A reply to a platform message knows its way before the run starts
// (route(), stored with the run), so a crash at any point leaves either a queued row or a
// run whose reply load() queues at the next start.
//
// Delivery is at least once: a crash after the platform took a message but before its
// row was deleted sends it again after the restart (a window of one database commit).
//
// Threading: loop thread; the database work runs on the DbWorker, completions on the loop.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "sessions/db_worker.h"
#include "sessions/types.h"
#include "simpleclaw/channel.h"
#include "simpleclaw/result.h"

namespace simpleclaw::channels {

// One message waiting for its platform.
struct QueuedMessage {
  std::int64_t seq = 0;  // its row; 0 = memory only (the database refused the write)
  sdk::OutboundMessage msg;
  int attempts = 0;  // failed sends so far
  std::string last_error;
  std::int64_t created_at = 0;
};

class Outbox {
 public:
  Outbox(sessions::DbWorker& db, const Clock& clock) : db_(db), clock_(clock) {}

  // The route stored with a run a platform message started (BeginRun::reply_route).
  static std::string route(const std::string& account, const sdk::Peer& peer,
                           const std::string& reply_to);
  // What a run's end says on the platform ("" = nothing: a run that chose silence).
  static std::string reply_text(sessions::RunStatus status, const std::string& text,
                                const std::string& error);

  using Loaded = std::function<void(Result<std::vector<QueuedMessage>>)>;
  // An account's queue in send order. Ended runs whose reply never reached the outbox (a
  // crash between the two, or a run interrupted by a restart) are queued first, their
  // replies cut into `max_text` chunks.
  void load(const std::string& account, std::size_t max_text, Loaded done);
  // Stores `msgs` in order; `reply_run_id` (a run's reply) is marked queued in the same
  // commit. `done` gets them with their row numbers.
  void add(const std::string& account, std::vector<sdk::OutboundMessage> msgs,
           const std::string& reply_run_id, Loaded done);
  // A run whose end sends nothing: its reply is settled.
  void settle(const std::string& run_id);
  void remove(std::int64_t seq);  // sent, or given up on
  void failed(std::int64_t seq, int attempts, const std::string& error);

 private:
  sessions::DbWorker& db_;
  const Clock& clock_;
};

}  // namespace simpleclaw::channels
