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
// Providers may answer synchronously: start() wraps `done` in a post. File tools run on the
// BlockingPool, which takes values in and hands values back.
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/alive.h"
#include "base/blocking_pool.h"
#include "config/config.h"
#include "simpleclaw/result.h"
#include "simpleclaw/tool.h"

namespace simpleclaw::tools {

// The tool SDK's types (simpleclaw/tool.h) under their short names.
using sdk::ToolCall;
using sdk::ToolContext;
using sdk::ToolDone;
using sdk::ToolOutcome;
using sdk::ToolProvider;
using sdk::ToolSpec;
using sdk::ToolTask;

inline constexpr std::size_t kMaxToolResultBytes = 256 * 1024;  // stored and sent per call

class ToolRunner {
 public:
  // File tools run on `files` (shared with the gateway's other file work). Not owned.
  ToolRunner(boost::asio::io_context& io, BlockingPool& files);
  ~ToolRunner();
  ToolRunner(const ToolRunner&) = delete;
  ToolRunner& operator=(const ToolRunner&) = delete;

  // Providers are consulted in the order added, before the built-in tools. Not owned.
  void add_provider(ToolProvider* p);
  // What the model is offered under `policy`, sorted by name.
  std::vector<ToolSpec> specs(const config::ToolsConfig& policy) const;
  // Parses the arguments (a JSON object, else an error outcome), checks the policy and
  // runs the tool. Unknown or not-allowed tools are error outcomes.
  std::shared_ptr<ToolTask> start(const ToolContext& ctx, const ToolCall& call, ToolDone done);

 private:
  std::shared_ptr<ToolTask> start_file_tool(const ToolContext& ctx, const std::string& name,
                                            Json args, ToolDone done);

  boost::asio::io_context& io_;
  BlockingPool& files_;
  std::vector<ToolProvider*> providers_;
  Alive alive_;  // last: file tool results arriving after destruction are dropped
};

// `text` cut to kMaxToolResultBytes on a UTF-8 boundary, with a note when cut.
std::string cap_tool_text(std::string text);

}  // namespace simpleclaw::tools
