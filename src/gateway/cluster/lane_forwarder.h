// LaneForwarder: a send for a session another instance is serving (docs/cluster.md
// "Session lanes"). The store refuses to begin a run on a session whose lane a live
// instance holds (LANE_ELSEWHERE); the RunEngine then hands the send here, and it goes
// over NATS request/reply ("lane.<instance>") to that instance, whose RunEngine begins the
// run in its lane and answers. The caller gets that answer, the same as from a local send
// (started, in flight, or the error); the run's stream reaches the caller's socket through
// the event relay.
//
// A forwarded send is never forwarded again: when the lane moved meanwhile the answer is
// an error to retry. When nobody answers (the instance just died), the error says so with
// a retry hint of one lease TTL, by which time another instance may take the lane over.
//
// Threading: loop thread only.
#pragma once
#include <chrono>
#include <string>

#include "agents/run_engine.h"
#include "base/alive.h"
#include "cluster/bus.h"
#include "gateway/cluster_ops.h"
#include "sessions/db_worker.h"
#include "tools/approvals.h"

namespace simpleclaw::gateway {

// Also the ClusterOps of gateway/cluster_ops.h: chat.abort and exec.approval.resolve of
// a run on another instance go to every instance ("ops"), and the one that has the run or
// the approval answers; the others stay silent, so no answer within a second means none
// has it.
class LaneForwarder final : public ClusterOps {
 public:
  LaneForwarder(agents::RunEngine& runs, tools::ApprovalManager& approvals, sessions::DbWorker& db,
                cluster::Bus& bus, std::string instance, std::chrono::milliseconds lease_ttl);
  ~LaneForwarder() override;

  std::uint64_t forwarded() const { return forwarded_; }
  std::uint64_t served() const { return served_; }

  // ClusterOps
  void abort(const std::string& session_key, const std::string& run_id,
             std::function<void(std::vector<std::string>)> done) override;
  void resolve(const std::string& id, const std::string& decision, const std::string& by,
               std::function<void(std::optional<Result<Json>>)> done) override;
  void stored_approvals(std::function<void(Json list)> done) override;

 private:
  void forward(agents::SendParams p, const std::string& instance,
               std::function<void(Result<agents::SendAck>)> done);
  void serve(const cluster::BusMessage& m);
  void serve_op(const cluster::BusMessage& m);
  // Asks every instance; nullopt when none answered in time (or NATS is down).
  void ask(const Json& op, std::function<void(std::optional<Json>)> done);

  agents::RunEngine& runs_;
  tools::ApprovalManager& approvals_;
  sessions::DbWorker& db_;
  cluster::Bus& bus_;
  const std::string instance_;
  const std::chrono::milliseconds ttl_;
  std::uint64_t forwarded_ = 0, served_ = 0;
  Alive alive_;  // last: answers completing after destruction do nothing
};

// The wire form of a send and of its answer (for the tests too).
Json send_params_json(const agents::SendParams& p);
Result<agents::SendParams> send_params_from(const Json& j);
Json send_answer_json(const Result<agents::SendAck>& r);
Result<agents::SendAck> send_answer_from(const Json& j);

}  // namespace simpleclaw::gateway
