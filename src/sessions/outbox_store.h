// The durable half of the channel accounts' outbound queues, in the session database
// (same DbWorker, same group commit as transcripts):
//
//   outbox              one row per platform message waiting to be sent, in send order
//                       per account ("<channel>/<accountId>"); a row is deleted once the
//                       platform took the message, and carries the attempts so far and
//                       the last error meanwhile
//   runs.reply_route    for a run a platform message started: where its reply goes
//                       (JSON {account, peer, replyTo}), written with the run itself
//   runs.reply_state    'pending' until the reply is in the outbox, then 'queued'
//
// A reply is therefore never only in memory: the run row knows where it goes from the
// moment the user's message is durable, the outbox row holds it from the moment the run
// ended, and a crash between the run's end and the outbox insert is repaired at start by
// pending_replies() (the run ended, its reply state is still 'pending').
//
// Threading: like SessionStore, these run on the DbWorker thread only.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sessions/store.h"

namespace simpleclaw::sessions {

struct OutboxRow {
  std::int64_t seq = 0;  // send order (set by add_outbox)
  std::string account;   // "<channel>/<accountId>"
  std::string peer;      // JSON: the conversation (the channel layer's encoding)
  std::string reply_to;  // platform message id to thread under ("" = none)
  std::string text;
  std::string buttons;  // JSON array or ""
  int attempts = 0;     // failed sends so far
  std::string last_error;
  std::int64_t created_at = 0;
};

// A run with a reply route whose reply never reached the outbox.
struct PendingReply {
  std::string run_id;
  std::string route;  // runs.reply_route (JSON)
  RunStatus status = RunStatus::kError;
  std::string error;  // runs.error
  std::string text;   // the run's last assistant text ("" = none)
};

// Queued messages are bounded per account (the channel layer drops the oldest beyond it).
Result<std::vector<OutboxRow>> load_outbox(SessionStore& s, const std::string& account);
// Ended runs of `account` whose reply is still 'pending'.
Result<std::vector<PendingReply>> pending_replies(SessionStore& s, const std::string& account);
// Inserts `rows` in order (setting their seq) and, when `reply_run_id` is set, marks that
// run's reply queued in the same transaction. A reply is queued once: when another writer
// (another cluster instance, the start-up repair) queued it first, nothing is inserted,
// every seq stays 0 and the answer is false.
Result<bool> add_outbox(SessionStore& s, std::vector<OutboxRow>& rows,
                        const std::string& reply_run_id);
// A run whose reply needs no message (it chose to say nothing): its reply state ends.
// False when it had ended already.
Result<bool> close_reply(SessionStore& s, const std::string& run_id);
Status delete_outbox(SessionStore& s, std::int64_t seq);
Status note_outbox_failure(SessionStore& s, std::int64_t seq, int attempts,
                           const std::string& error);
// Messages waiting per account (doctor, status).
Result<std::int64_t> count_outbox(SessionStore& s);

}  // namespace simpleclaw::sessions
