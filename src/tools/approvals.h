// ApprovalManager: exec commands waiting for a human (SPEC §5 exec.approval.*, §8).
//
// An approval is an explicit object, like a blocked client in Redis: an id, the request
// exactly as it will run (command, cwd, agent, session, the resolved binaries), a
// deadline timer, and one `decided` callback that runs exactly once — on resolve, on
// expiry (deny, reason "timeout"), on cancel (the run was aborted) or at shutdown.
// Operators with operator.approvals get `exec.approval.requested` when one is created
// and `exec.approval.resolved` when it ends.
//
// Resolving is idempotent: the same decision again answers ok with alreadyResolved;
// a different decision after the first is refused (APPROVAL_ALREADY_RESOLVED). An id
// may be given as a unique prefix of at least 6 characters (chat /approve commands).
//
// Durability: every approval is saved through ApprovalStore (the sessions database).
// After a restart, load() re-offers the pending ones whose deadline has not passed and
// expires the rest. Their run is gone (it was interrupted by the stop), so an allow
// goes to on_orphan_allowed: the gateway runs the command itself (orphan_approvals.h),
// through the exec tool again, whose new request is let through once by grant_once()
// instead of asking the human a second time.
//
// Threading: loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/alive.h"
#include "base/clock.h"
#include "simpleclaw/result.h"
#include "simpleclaw/tool.h"

namespace simpleclaw::tools {

struct ApprovalRecord {
  std::string id;
  Json request;  // {command, cwd, agentId, sessionKey, runId, commands, ...}
  std::int64_t created_ms = 0, expires_ms = 0;
  std::string status = "pending";  // pending | allow-once | allow-always | deny
  std::string reason;              // deny: denied | timeout | cancelled | restart
  std::string resolved_by;
  std::int64_t resolved_ms = 0;
  Json to_json() const;  // {id, request, createdAtMs, expiresAtMs, status, ...}
  // As OpenClaw lists a pending one and announces it (exec.approval.list items and
  // exec.approval.requested): {id, request (+allowedDecisions), createdAtMs, expiresAtMs,
  // approvalKind: "exec"}.
  Json pending_json() const;
};

// Where approvals are kept across restarts (the gateway implements it on the DbWorker).
class ApprovalStore {
 public:
  virtual ~ApprovalStore() = default;
  virtual void save(const ApprovalRecord& r) = 0;  // insert or replace, asynchronously
  // The same, then `stored` once it is stored (or failed to be: logged); at once by
  // default. A new approval is announced then, so whoever hears of it, on any instance
  // of a cluster, finds it in the store.
  virtual void save(const ApprovalRecord& r, std::function<void()> stored) {
    save(r);
    stored();
  }
  virtual void load_pending(std::function<void(std::vector<ApprovalRecord>)> done) = 0;
};

// Where the events go (the gateway, to operators with operator.approvals).
class ApprovalSink {
 public:
  virtual ~ApprovalSink() = default;
  virtual void approval_event(const char* event, Json payload) = 0;
};

class ApprovalManager final : public sdk::HumanApproval {
 public:
  // decision: allow-once | allow-always | deny; reason (deny): denied | timeout |
  // cancelled | shutdown; by: who resolved ("" for timeout/cancel).
  using Decided = sdk::HumanApproval::Decided;
  static constexpr std::size_t kMaxPending = 1000;
  static constexpr std::size_t kKeepResolved = 1000;
  static constexpr std::size_t kMaxWatchers = 16;

  ApprovalManager(boost::asio::io_context& io, ApprovalStore& store, ApprovalSink& sink,
                  const Clock& clock = system_clock());
  ~ApprovalManager() override;

  // Re-offers / expires what a previous process left pending; `done` when finished.
  void load(std::function<void()> done);
  // A new approval; returns its id. Too many pending = decided at once (deny).
  std::string request(Json request, int timeout_ms, Decided decided) override;
  // The same with the id the requester chose (exec.approval.request {id}): refused when
  // it is not 1-128 characters of [A-Za-z0-9._:-] or already known.
  Result<std::string> request_as(std::string id, Json request, int timeout_ms, Decided decided);
  // exec.approval.waitDecision: `observer` runs once with the decision (at once when it
  // was already decided). Unknown id = NOT_FOUND; at most kMaxWatchers per approval.
  Status watch(const std::string& id_or_prefix, Decided observer);
  Result<Json> resolve(const std::string& id_or_prefix, const std::string& decision,
                       const std::string& by);
  // Ends a pending approval as deny with `reason` (no human decided).
  void cancel(const std::string& id, const std::string& reason) override;
  // Every pending approval decided deny "shutdown" (not saved: re-offered after restart).
  void shutdown();

  Json list() const;  // [pending_json(), oldest first]
  // Decided approvals kept in memory (the last kKeepResolved), newest first.
  std::vector<const ApprovalRecord*> recent() const;
  Result<Json> get(const std::string& id_or_prefix) const;
  std::size_t pending_count() const { return pending_.size(); }

  // An allow (once or always) decided for an approval whose run is gone (re-offered
  // after a restart). rec.status says which.
  std::function<void(const ApprovalRecord&)> on_orphan_allowed;
  // The next request() for exactly this command in this session (the request's
  // sessionKey, command and resolved binaries), within kGrantTtl, is decided allow-once
  // at once by `by` instead of waiting for a human: the decision a human already made.
  void grant_once(const ApprovalRecord& decided);
  static constexpr std::chrono::milliseconds kGrantTtl{60'000};

 private:
  struct Pending {
    ApprovalRecord rec;
    Decided decided;                // empty for an approval re-offered after a restart
    std::vector<Decided> watchers;  // exec.approval.waitDecision callers
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  Result<std::string> find_id(const std::string& id_or_prefix) const;
  void arm(Pending& p);
  void end(const std::string& id, const std::string& decision, const std::string& reason,
           const std::string& by, bool save = true);

  struct Grant {
    std::string by;
    std::chrono::steady_clock::time_point until;
  };
  static std::string grant_key(const Json& request);
  std::map<std::string, Grant> grants_;  // grant_key -> who decided; few, short-lived

  boost::asio::io_context& io_;
  ApprovalStore& store_;
  ApprovalSink& sink_;
  std::map<std::string, Pending> pending_;
  std::map<std::string, ApprovalRecord> resolved_;  // recent, for idempotent resolves
  std::deque<std::string> resolved_order_;
  const Clock& clock_;
  Alive alive_;  // last: deadlines firing after destruction do nothing
};

}  // namespace simpleclaw::tools
