// ClusterOps: what a method asks of the other instances of a cluster when the thing it
// names is not here (docs/cluster.md "Session lanes"). Set in Services only in cluster
// mode (gateway/cluster/lane_forwarder.h implements it over NATS); methods fall back to
// it after looking locally, so a gateway of its own never pays for it.
//
// Threading: loop thread only; `done` runs on the loop, once.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

class ClusterOps {
 public:
  virtual ~ClusterOps() = default;
  // chat.abort of a run on another instance: the run ids it stopped there (none when no
  // instance had one of that session).
  virtual void abort(const std::string& session_key, const std::string& run_id,
                     std::function<void(std::vector<std::string>)> done) = 0;
  // exec.approval.resolve of an approval another instance holds (its run executes
  // there): that instance's answer, or nullopt when none has it.
  virtual void resolve(const std::string& id, const std::string& decision, const std::string& by,
                       std::function<void(std::optional<Result<Json>>)> done) = 0;
  // exec.approval.list: every pending approval in the shared store that has not expired
  // (the ones other instances' runs wait on too), as exec.approval.list shows each.
  virtual void stored_approvals(std::function<void(Json list)> done) = 0;
};

}  // namespace simpleclaw::gateway
