// ExecTool: the `exec {command, cwd?, timeoutMs?}` tool (SPEC §8).
//
// 1. The command is parsed and checked against the agent's exec policy (exec_policy.h):
//    allow, ask or deny. 2. Ask = an approval request to operators (ApprovalManager) with
//    the command exactly as it will run; the call waits for allow-once / allow-always /
//    deny / expiry. allow-always stores the exact patterns that were shown, through
//    `persist_allow` (the gateway edits config.yaml). 3. What was approved is pinned:
//    before running, the command is checked again and must resolve to the same binaries
//    and argv that were shown, else it is not run. 4. It runs as `/bin/sh -c <command>` in
//    the workspace (or cwd inside it), with the gateway's secrets scrubbed from the
//    environment, a timeout and an output cap, in its own process group (killed whole on
//    abort or timeout), inside bubblewrap when sandboxing is on (read-only system,
//    writable workspace, the state dir hidden, optionally no network).
//
// Threading: loop thread.
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <string>
#include <vector>

#include "tools/tool_runner.h"

namespace simpleclaw::tools {

// The result of an exec whose approval was withdrawn (chat.abort, gateway shutdown).
inline constexpr const char* kAbortedWaitingForApproval = "[aborted while waiting for approval]";

class ExecTool final : public ToolProvider {
 public:
  // Stores allow-always patterns for an agent (the gateway: agents.list[].tools.exec.allow
  // in config.yaml). Called on the loop; the result only logs.
  using PersistAllow = decltype(sdk::ToolServices::persist_allow);

  ExecTool(boost::asio::io_context& io, sdk::HumanApproval& approvals, std::string state_dir,
           PersistAllow persist_allow);

  std::vector<ToolSpec> specs() const override;
  bool handles(const std::string& name) const override { return name == "exec"; }
  std::shared_ptr<ToolTask> start(const ToolContext& ctx, const std::string& name, const Json& args,
                                  ToolDone done) override;

  // PATH used to resolve commands, for the policy and the process alike.
  static constexpr const char* kPath = "/usr/local/bin:/usr/bin:/bin";

 private:
  boost::asio::io_context& io_;
  sdk::HumanApproval& approvals_;
  std::string state_dir_;
  PersistAllow persist_allow_;
};

}  // namespace simpleclaw::tools
