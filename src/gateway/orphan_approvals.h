// What an approval decided after a restart does. The run that asked for it was
// interrupted by the stop (its sender was told), and the approval was offered again;
// when someone allows it now, nothing waits for the decision any more. So the gateway
// runs the command itself, through the exec tool like any call (the policy and the
// pinned binaries are checked again; ApprovalManager::grant_once lets that call through
// without asking the human a second time), and reports the result where the request
// came from: in the session's transcript, which the agent reads on its next turn, and in
// the chat of a channel session. An allow-always also stores its pattern, as it would
// have before the restart.
//
// Threading: loop thread only.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace simpleclaw {
namespace agents {
class AgentDirectory;
class SessionService;
}  // namespace agents
namespace channels {
class ChannelManager;
}
namespace tools {
class ApprovalManager;
class ToolRunner;
struct ApprovalRecord;
}  // namespace tools
}  // namespace simpleclaw

namespace simpleclaw::gateway {

struct OrphanApprovalDeps {
  tools::ApprovalManager& approvals;
  tools::ToolRunner& tools;
  const agents::AgentDirectory& agents;
  agents::SessionService& sessions;
  channels::ChannelManager& channels;
  // allow-always: (agent id, patterns) into the config, as ConfigApplier::persist_allow.
  std::function<void(const std::string&, const std::vector<std::string>&)> persist_allow;
};

// `r` was just decided allow-once or allow-always (r.status) and has no run waiting.
void run_orphan_approval(const OrphanApprovalDeps& d, const tools::ApprovalRecord& r);

}  // namespace simpleclaw::gateway
