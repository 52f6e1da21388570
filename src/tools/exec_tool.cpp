#include "tools/exec_tool.h"

#include <sys/stat.h>

#include "base/fs.h"
#include "base/log.h"
#include "proc/subprocess.h"
#include "simpleclaw/registry.h"
#include "tools/exec_policy.h"
#include "tools/file_tools.h"

namespace simpleclaw::tools {

using proc::bwrap_available;
using proc::bwrap_prefix;
using proc::ProcessSpec;
using proc::run_collect;
using proc::RunHandle;
using proc::RunLimits;
using proc::RunResult;
using proc::SandboxSpec;
using proc::scrubbed_env;
namespace {

constexpr std::size_t kMaxCommandBytes = 64 * 1024;

// The life of one exec call: check -> (approval) -> re-check -> run -> done, once.
class ExecTask final : public ToolTask, public std::enable_shared_from_this<ExecTask> {
 public:
  ExecTask(boost::asio::io_context& io, sdk::HumanApproval& approvals, ToolDone done)
      : io_(io), approvals_(approvals), done_(std::move(done)) {}

  void cancel() override {
    cancelled_ = true;
    if (!approval_id_.empty()) approvals_.cancel(approval_id_, "cancelled");
    if (run_) run_->cancel();
  }

  void finish(std::string text, bool is_error) {
    if (finished_) return;
    finished_ = true;
    auto done = std::move(done_);
    done(ToolOutcome{std::move(text), is_error});  // the ToolRunner delivers it later
  }

  boost::asio::io_context& io_;
  sdk::HumanApproval& approvals_;
  ToolDone done_;
  std::string approval_id_;
  std::shared_ptr<RunHandle> run_;
  bool cancelled_ = false;
  bool finished_ = false;
};

std::string describe_result(const RunResult& r, int timeout_ms) {
  std::string out = r.output;
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (r.truncated) out += "[output cut at the limit]\n";
  if (!r.error.empty()) return out + "[" + r.error + "]";
  if (r.cancelled) return out + "[aborted: the process group was killed]";
  if (r.timed_out)
    return out + "[timed out after " + std::to_string(timeout_ms) +
           " ms: the process group was killed]";
  if (r.term_signal) return out + "[killed by signal " + std::to_string(r.term_signal) + "]";
  return out + "[exit code " + std::to_string(r.exit_code) + "]";
}

// The resolved binaries + argv of a check, to compare what was shown with what will run.
Json pinned(const ExecCheck& c) {
  Json arr = Json::array();
  for (const ResolvedCommand& rc : c.commands)
    arr.push_back(Json{{"binary", rc.binary}, {"argv", rc.argv}});
  return arr;
}

}  // namespace

ExecTool::ExecTool(boost::asio::io_context& io, sdk::HumanApproval& approvals,
                   std::string state_dir, PersistAllow persist_allow)
    : io_(io),
      approvals_(approvals),
      state_dir_(std::move(state_dir)),
      persist_allow_(std::move(persist_allow)) {}

std::vector<ToolSpec> ExecTool::specs() const {
  // Built once: the model is offered it on every call.
  static const std::vector<ToolSpec> kSpecs = {
      {"exec",
       "Run a shell command in the agent's workspace (sh syntax). Commands outside the "
       "allowlist wait for a human to approve them. Output and run time are capped.",
       Json{{"type", "object"},
            {"properties",
             {{"command", {{"type", "string"}, {"description", "The command line to run"}}},
              {"cwd", {{"type", "string"}, {"description", "Directory inside the workspace"}}},
              {"timeoutMs", {{"type", "integer"}, {"minimum", 100}}}}},
            {"required", {"command"}},
            {"additionalProperties", false}}}};
  return kSpecs;
}

std::shared_ptr<ToolTask> ExecTool::start(const ToolContext& ctx, const std::string& name,
                                          const Json& args, ToolDone done) {
  auto task = std::make_shared<ExecTask>(io_, approvals_, std::move(done));
  const config::ExecToolConfig& policy = ctx.policy.exec;
  auto command_it = args.find("command");
  if (command_it == args.end() || !command_it->is_string() ||
      command_it->get<std::string>().empty()) {
    task->finish("error: exec needs a non-empty string argument 'command'", true);
    return task;
  }
  std::string command = command_it->get<std::string>();
  if (command.size() > kMaxCommandBytes) {
    task->finish("error: the command is longer than 64 KiB", true);
    return task;
  }
  if (auto s = make_dirs(ctx.workspace, 0700); !s.ok()) {
    task->finish("error: " + s.error().message, true);
    return task;
  }
  std::string cwd = ctx.workspace;
  if (auto c = args.find("cwd");
      c != args.end() && c->is_string() && !c->get<std::string>().empty()) {
    auto r = resolve_in_workspace(ctx.workspace, c->get<std::string>(), false);
    struct stat st {};
    if (!r.ok() || ::stat(r->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      task->finish("error: cwd must be a directory inside the workspace" +
                       (r.ok() ? std::string() : ": " + r.error().message),
                   true);
      return task;
    }
    cwd = *r;
  }
  int timeout_ms = policy.timeout_ms;
  if (auto t = args.find("timeoutMs"); t != args.end() && t->is_number_integer())
    timeout_ms =
        static_cast<int>(std::clamp<std::int64_t>(t->get<std::int64_t>(), 100, policy.timeout_ms));

  ExecEnv env;
  env.path_env = kPath;
  env.cwd = cwd;
  env.workspace = ctx.workspace;
  ExecCheck check = check_exec(command, policy, env);

  bool sandbox = policy.sandbox.value_or(bwrap_available());
  std::string state_dir = state_dir_;
  auto run = [task, command, cwd, ctx, timeout_ms, sandbox, state_dir, policy,
              shown = pinned(check)]() {
    if (task->cancelled_) return task->finish("[aborted before it ran]", true);
    // Pinning: the command must still resolve to what the human saw.
    ExecEnv again_env;
    again_env.path_env = kPath;
    again_env.cwd = cwd;
    again_env.workspace = ctx.workspace;
    ExecCheck again = check_exec(command, policy, again_env);
    if (pinned(again) != shown)
      return task->finish("error: not run: the command's binaries changed since it was checked",
                          true);
    ProcessSpec spec;
    if (sandbox) {
      if (!bwrap_available())
        return task->finish(
            "error: tools.exec.sandbox is on but bwrap is not installed "
            "(apt install bubblewrap, or set tools.exec.sandbox: false)",
            true);
      SandboxSpec sb;
      sb.workspace = ctx.workspace;
      sb.network = policy.network;
      sb.hide = {state_dir};
      spec.argv = bwrap_prefix(sb);
    }
    spec.argv.insert(spec.argv.end(), {"/bin/sh", "-c", command});
    spec.env = scrubbed_env();
    spec.cwd = cwd;
    RunLimits limits;
    limits.timeout_ms = timeout_ms;
    limits.max_output = static_cast<std::size_t>(policy.max_output);
    task->run_ = run_collect(task->io_, std::move(spec), limits, [task, timeout_ms](RunResult r) {
      task->run_.reset();
      bool failed =
          !r.error.empty() || r.cancelled || r.timed_out || r.term_signal || r.exit_code != 0;
      task->finish(describe_result(r, timeout_ms), failed);
    });
  };

  switch (check.decision) {
    case ExecCheck::Decision::kDeny:
      task->finish("exec denied by policy: " + check.reason, true);
      return task;
    case ExecCheck::Decision::kAllow:
      run();
      return task;
    case ExecCheck::Decision::kAsk:
      break;
  }
  Json request{{"command", check.display},    {"cwd", cwd},
               {"agentId", ctx.agent_id},     {"sessionKey", ctx.session_key},
               {"runId", ctx.run_id},         {"host", "gateway"},
               {"security", policy.security}, {"ask", policy.ask},
               {"reason", check.reason},      {"commands", pinned(check)},
               {"sandbox", sandbox},          {"allowAlways", check.allow_always_ok}};
  if (check.allow_always_ok) {
    request["allowAlwaysPatterns"] = check.allow_always_patterns;
  } else {
    request["allowAlwaysUnavailable"] = check.reason;
  }
  std::vector<std::string> patterns = check.allow_always_patterns;
  PersistAllow persist = persist_allow_;
  std::string agent_id = ctx.agent_id;
  int approval_timeout = policy.approval_timeout_ms;
  task->approval_id_ = approvals_.request(
      std::move(request), approval_timeout,
      [task, run, patterns, persist, agent_id, approval_timeout](
          const std::string& decision, const std::string& reason, const std::string& by) {
        task->approval_id_.clear();
        if (decision == "allow-always" && persist) persist(agent_id, patterns);
        if (decision == "allow-once" || decision == "allow-always") return run();
        if (reason == "timeout")
          return task->finish("exec denied: no operator approved the command within " +
                                  std::to_string(approval_timeout / 1000) +
                                  " s (approval timed out)",
                              true);
        if (reason == "cancelled" || reason == "shutdown")
          return task->finish(kAbortedWaitingForApproval, true);
        task->finish("exec denied by " + (by.empty() ? std::string("an operator") : by) +
                         "; do not retry the same command",
                     true);
      });
  return task;
}

Status register_exec(sdk::Registry& r) {
  return r.add_tool({"exec", "exec: shell commands behind the exec policy and human approval",
                     [](sdk::ToolServices& s) {
                       return std::make_unique<ExecTool>(s.io, s.approvals, s.state_dir,
                                                         s.persist_allow);
                     }});
}

}  // namespace simpleclaw::tools
