// The tool SDK: what a tool extension implements (a ToolProvider offering some tools to
// agents and running their calls), what it is given to run a call (ToolContext, with the
// agent's resolved tool policy) and what the gateway lends it when it is built
// (ToolServices: the loop, human approval, message delivery).
//
// Every outcome is text for the model; a failure is an outcome with is_error (what went
// wrong and what to do), never an exception or a crash.
//
// Threading: everything on the gateway's loop thread. start() returns at once; `done`
// runs exactly once, on the loop and never inside start() (also after cancel(), with the
// outcome saying so). Blocking work belongs on a worker thread that takes values in and
// hands values back.
//
// Part of the SDK: standard library, nlohmann/json and the SDK only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/provider.h"
#include "simpleclaw/result.h"

namespace boost::asio {
class io_context;
}

namespace simpleclaw::sdk {

// The exec tool's policy (tools.exec, overridable per agent).
struct ExecSettings {
  std::string security = "allowlist";  // deny | allowlist | full
  std::string ask = "on-miss";         // off | on-miss | always
  std::vector<std::string> allow;      // "<absolute binary> <argv globs...> [**]"
  std::optional<bool> sandbox;         // bubblewrap; unset = on when bwrap is installed
  bool network = true;                 // sandbox only: false = no network
  int timeout_ms = 120000;             // command killed (process group) after this
  long long max_output = 200000;       // output bytes kept for the model
  int approval_timeout_ms = 300000;    // unresolved approval -> deny (reason timeout)
};

// The web_fetch tool's limits (tools.web_fetch).
struct WebFetchSettings {
  long long max_bytes = 2000000;  // response bytes kept
  int timeout_ms = 30000;         // whole fetch
  int max_redirects = 5;          // redirects followed
  bool allow_private = false;     // loopback/private/link-local targets refused unless true
};

// An agent's tool policy: tools.* with agents.list[].tools overrides applied.
struct ToolPolicy {
  std::vector<std::string> allow;  // tool names; empty = all
  std::vector<std::string> deny;   // wins over allow
  ExecSettings exec;
  int max_steps = 25;  // model calls per run
  WebFetchSettings web_fetch;
  // Whether the tool `name` is enabled by allow/deny.
  bool permits(std::string_view name) const {
    for (const auto& d : deny)
      if (d == name) return false;
    if (allow.empty()) return true;
    for (const auto& a : allow)
      if (a == name) return true;
    return false;
  }
};

// Who is calling: the run, its agent's workspace and tool policy.
struct ToolContext {
  std::string run_id, session_key, agent_id;
  std::string workspace;  // absolute
  ToolPolicy policy;      // the agent's resolved policy
};

struct ToolOutcome {
  std::string text;
  bool is_error = false;
};
using ToolDone = std::function<void(ToolOutcome)>;

// A running call. cancel() stops it as soon as it can (kills a process group, withdraws
// an approval request); `done` still runs once.
class ToolTask {
 public:
  virtual ~ToolTask() = default;
  virtual void cancel() = 0;
};

// One kind of tool (exec, web_fetch, an MCP server's tools, ...): it offers some specs
// and runs calls to the names it offered.
class ToolProvider {
 public:
  virtual ~ToolProvider() = default;
  virtual std::vector<ToolSpec> specs() const = 0;
  virtual bool handles(const std::string& name) const = 0;
  virtual std::shared_ptr<ToolTask> start(const ToolContext& ctx, const std::string& name,
                                          const Json& args, ToolDone done) = 0;
};

// A human decision on a request (exec.approval.*): operators see `request` and answer.
class HumanApproval {
 public:
  virtual ~HumanApproval() = default;
  // decision: allow-once | allow-always | deny; reason (deny): denied | timeout |
  // cancelled | shutdown; by: who resolved ("" for timeout/cancel). Called exactly once.
  using Decided = std::function<void(const std::string& decision, const std::string& reason,
                                     const std::string& by)>;
  // Asks operators; returns the approval's id. `decided` runs once, on the loop.
  virtual std::string request(Json request, int timeout_ms, Decided decided) = 0;
  // Withdraws a pending request: it ends as deny with `reason`.
  virtual void cancel(const std::string& id, const std::string& reason) = 0;
};

// What the gateway lends a tool extension to build its provider (Registry tool
// factories). The references outlive every provider built from them.
struct ToolServices {
  boost::asio::io_context& io;
  HumanApproval& approvals;  // exec: human approval
  std::string state_dir;     // exec: where the approvals' allowlist files live
  // exec: stores allow-always patterns for an agent (its tools.exec.allow in config.yaml).
  std::function<void(const std::string& agent_id, const std::vector<std::string>& patterns)>
      persist_allow;
  // message: delivers `text` to `to` on `channel`; answers once with a short confirmation
  // or an error. `from_agent` is the sending agent.
  std::function<void(const std::string& channel, const std::string& to, const std::string& text,
                     const std::string& from_agent, std::function<void(Result<std::string>)> done)>
      deliver;
};

}  // namespace simpleclaw::sdk
