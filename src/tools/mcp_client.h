// MCP (Model Context Protocol) client over stdio, and the manager that exposes the tools of
// all configured servers to agents as "<server>__<tool>" (SPEC §8).
//
// McpClient runs one server (config::McpServerConfig) as a proc::SupervisedChild (spawn,
// restart with backoff, stop) and speaks JSON-RPC 2.0 to it: one JSON object (or batch) per line on
// stdin/stdout, stderr lines go to the debug log (rate-limited).
//   start -> initialize (protocolVersion 2025-06-18; the server may answer 2024-11-05 or
//   2025-03-26 too) -> notifications/initialized -> tools/list (nextCursor pages, at most
//   1000 tools) -> ready. notifications/tools/list_changed lists the tools again.
//   Server -> client requests: ping is answered {}, anything else gets -32601.
// * Every request has a deadline (the call's timeout_ms, else the config's timeout_ms);
//   a timed-out tools/call fails with "mcp server X: tools/call timed out after N ms" and
//   the server gets notifications/cancelled.
// * A non-JSON line on stdout is logged and skipped. A line over 8 MiB kills the server;
//   stdout volume is not otherwise capped (results may be large).
// * When the server exits (crash, oversize line, failed initialize) every pending call
//   fails with "mcp server X exited (code N); restarting" and the server is started again
//   after a backoff of 1 s, 2 s, 4 s ... capped at 60 s; the backoff resets once a server
//   has been ready for 60 s. Calls made while it is not ready wait for it (within their
//   own timeout) while it is starting, and fail at once while a restart is pending.
// * stop() closes stdin, sends SIGTERM to the process group and SIGKILL 2 s later.
//
// Threading: loop thread only; every callback runs there. A call's callback runs exactly
// once and is always posted (never inside call() or cancel()). The client is held by a
// shared_ptr (its owner: McpManager); pending operations hold it too, so it lives until
// stop() has finished. Nothing is called after stop()'s done callback.
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "simpleclaw/result.h"

namespace boost::asio {
class io_context;
}

namespace simpleclaw::proc {
class StdioRpcPeer;
class SupervisedChild;
}  // namespace simpleclaw::proc

namespace simpleclaw::tools {

struct McpTool {
  std::string name;
  std::string description;
  Json input_schema;  // the server's inputSchema ({"type":"object"} when absent)
};

struct ToolCallResult {
  // Text parts joined with "\n"; other parts summarised ("[image image/png 1234 bytes]",
  // "[resource file:///x]"); structuredContent as JSON when there is no content.
  std::string text;
  bool is_error = false;  // the tool reported an error (isError); the call itself worked
  Json raw;               // the whole tools/call result
};

enum class McpState { kStarting, kReady, kFailed, kStopped };
const char* mcp_state_name(McpState s);  // "starting" | "ready" | "failed" | "stopped"

struct McpClientOptions {
  std::string default_cwd;                          // used when the config's cwd is empty
  std::string client_version = "0.1.0";             // clientInfo.version
  std::chrono::milliseconds backoff_initial{1000};  // first restart delay
  std::chrono::milliseconds backoff_max{60000};
  std::chrono::milliseconds healthy_reset{60000};  // ready this long = backoff reset
  std::chrono::milliseconds stop_grace{2000};      // SIGTERM -> SIGKILL
  std::size_t max_line = 8 * 1024 * 1024;          // bytes in one stdout line
};

class McpClient : public std::enable_shared_from_this<McpClient> {
 public:
  using CallCallback = std::function<void(Result<ToolCallResult>)>;

  static std::shared_ptr<McpClient> create(boost::asio::io_context& io, config::McpServerConfig cfg,
                                           McpClientOptions opts = {});
  ~McpClient();
  McpClient(const McpClient&) = delete;
  McpClient& operator=(const McpClient&) = delete;

  // Spawns the server and initializes it. A no-op unless stopped and never started.
  void start();
  // Fails pending calls ("mcp server X stopped"), ends the process (see above), then posts
  // `done` (may be null). Idempotent: a second stop() just posts its done when finished.
  void stop(std::function<void()> done = nullptr);

  // Calls a tool. timeout_ms <= 0 = the config's timeout_ms. Returns an id for cancel().
  std::uint64_t call(const std::string& tool, Json arguments, int timeout_ms, CallCallback cb);
  // The callback gets "mcp server X: tools/call cancelled"; the server gets
  // notifications/cancelled. Unknown or finished ids are ignored.
  void cancel(std::uint64_t call_id);

  McpState state() const { return state_; }
  const std::vector<McpTool>& tools() const { return tools_; }
  const McpTool* find_tool(std::string_view name) const;
  const config::McpServerConfig& config() const { return cfg_; }
  const std::string& name() const { return cfg_.name; }
  int restarts() const;  // spawns after the first
  const std::string& last_error() const { return last_error_; }
  const std::string& protocol_version() const { return protocol_version_; }
  pid_t pid() const;  // -1 when no process runs
  // {name, state, pid, restarts, tools, protocolVersion, lastError?, stderrTail[]}
  Json status() const;

  // Optional observers (set before start()).
  std::function<void(McpState)> on_state_change;
  std::function<void()> on_tools_changed;  // after each completed tools/list

  struct Pending;

 private:
  McpClient(boost::asio::io_context& io, config::McpServerConfig cfg, McpClientOptions opts);
  proc::StdioRpcPeer* peer() const;  // the running process, or null
  std::uint64_t gen() const;         // its generation; stale callbacks are ignored
  bool stopping() const;
  void set_state(McpState s);
  using ResponseFn = std::function<void(Result<Json>)>;
  std::uint64_t request(const std::string& method, Json params, int timeout_ms, ResponseFn fn);
  void send_cancelled(std::uint64_t rpc_id, const char* reason);  // notifications/cancelled
  void on_notification(const std::string& method, const Json& params);
  void on_exit(const std::string& what, bool stopping, proc::StdioRpcPeer* gone);
  std::vector<std::string> stderr_tail() const;  // earlier processes' + the current one's
  long long restart_in_ms() const;               // until the pending restart (>= 0)
  void initialize();
  void list_tools(std::string cursor, std::vector<McpTool> acc, int pages);
  void send_call(std::uint64_t call_id);
  void complete_call(std::uint64_t call_id, Result<ToolCallResult> r);
  void fail_all(const std::string& message);
  std::string prefix() const { return "mcp server " + cfg_.name; }

  boost::asio::io_context& io_;
  config::McpServerConfig cfg_;
  McpClientOptions opts_;
  std::shared_ptr<proc::SupervisedChild> child_;  // the process and its restarts
  McpState state_ = McpState::kStopped;
  std::deque<std::string> err_tail_;  // last stderr lines of processes that exited
  std::uint64_t next_call_ = 1;       // call ids
  std::map<std::uint64_t, std::shared_ptr<Pending>> calls_;  // by call id
  std::vector<McpTool> tools_;
  bool listing_ = false;
  bool relist_ = false;
  std::string protocol_version_;
  std::string last_error_;
  bool stop_called_ = false;  // start() after stop() does nothing
};

// The tools of one server as agents see them.
struct McpToolSpec {
  std::string full_name;  // "<server>__<tool>"
  std::string server;
  std::string tool;
  std::string description;
  Json input_schema;
};

struct McpCallId {
  std::string server;
  std::uint64_t id = 0;  // 0 = the call failed at once (nothing to cancel)
};

// All configured servers. Loop thread only. Call stop_all() and wait for it before
// destroying the manager's io_context; the destructor stops (without waiting) whatever
// is still running.
class McpManager {
 public:
  explicit McpManager(boost::asio::io_context& io, McpClientOptions opts = {});
  ~McpManager();
  McpManager(const McpManager&) = delete;
  McpManager& operator=(const McpManager&) = delete;

  // Starts servers that are new (and enabled), stops removed or disabled ones, restarts
  // those whose command, args, env, cwd or timeout changed.
  void apply(const std::vector<config::McpServerConfig>& servers);
  // Tools of all servers as last listed (a restarting server keeps its list, so the
  // model's tool set does not flap), sorted by full name.
  std::vector<McpToolSpec> tool_specs() const;
  // Routes "<server>__<tool>"; an unknown name fails with "unknown MCP tool X". The
  // callback is always posted.
  McpCallId call(std::string_view full_name, Json arguments, int timeout_ms,
                 McpClient::CallCallback cb);
  void cancel(const McpCallId& id);
  // {servers: [client.status()...]}
  Json status() const;
  void stop_all(std::function<void()> done);
  std::shared_ptr<McpClient> client(std::string_view server) const;

 private:
  boost::asio::io_context& io_;
  McpClientOptions opts_;
  std::map<std::string, std::shared_ptr<McpClient>, std::less<>> clients_;
};

}  // namespace simpleclaw::tools
