// ToolRunner: runs the tool calls a model makes (SPEC §8). It knows every tool's name,
// description and argument schema (what the model is offered, filtered by the agent's
// tools.allow / tools.deny) and runs a call to completion: file tools on a small worker
// pool, exec through the exec policy and, when needed, a human approval, MCP tools
// through their server.
//
// Every outcome is text for the model; a failure is an outcome with is_error (what went
// wrong and what to do), never an exception or a crash. Output is capped.
//
// Threading: loop thread. start() returns at once; `done` runs exactly once, on the loop
// thread and never inside start() (also after cancel(), with the outcome saying so).
// Providers may answer synchronously: start() wraps `done` in a post. Blocking work happens on the
// runner's worker threads, which take values in and hand values back.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "providers/provider.h"

namespace simpleclaw::tools {

// Who is calling: the run and its agent's workspace and tool policy.
struct ToolContext {
  std::string run_id, session_key, agent_id;
  std::string workspace;       // absolute
  config::ToolsConfig policy;  // the agent's resolved policy
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

// One kind of tool besides the built-in file tools (exec, MCP servers, ...): it offers
// some specs and runs calls to the names it offered.
class ToolProvider {
 public:
  virtual ~ToolProvider() = default;
  virtual std::vector<providers::ToolSpec> specs() const = 0;
  virtual bool handles(const std::string& name) const = 0;
  virtual std::shared_ptr<ToolTask> start(const ToolContext& ctx, const std::string& name,
                                          const Json& args, ToolDone done) = 0;
};

inline constexpr std::size_t kMaxToolResultBytes = 256 * 1024;  // stored and sent per call

class ToolRunner {
 public:
  explicit ToolRunner(boost::asio::io_context& io);
  ~ToolRunner();
  ToolRunner(const ToolRunner&) = delete;
  ToolRunner& operator=(const ToolRunner&) = delete;

  // Providers are consulted in the order added, before the built-in tools. Not owned.
  void add_provider(ToolProvider* p);
  // What the model is offered under `policy`, sorted by name.
  std::vector<providers::ToolSpec> specs(const config::ToolsConfig& policy) const;
  // Parses the arguments (a JSON object, else an error outcome), checks the policy and
  // runs the tool. Unknown or not-allowed tools are error outcomes.
  std::shared_ptr<ToolTask> start(const ToolContext& ctx, const providers::ToolCall& call,
                                  ToolDone done);

 private:
  std::shared_ptr<ToolTask> start_file_tool(const ToolContext& ctx, const std::string& name,
                                            Json args, ToolDone done);

  boost::asio::io_context& io_;
  // Made on the first file tool call: an idle gateway keeps no worker threads (RSS).
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::vector<ToolProvider*> providers_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// `text` cut to kMaxToolResultBytes on a UTF-8 boundary, with a note when cut.
std::string cap_tool_text(std::string text);

}  // namespace simpleclaw::tools
