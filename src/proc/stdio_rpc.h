// StdioRpcPeer: one child process that speaks JSON-RPC 2.0 over stdio, one JSON object
// per line (the framing MCP servers and out-of-process plugins share). It owns the
// Process and does the wire work only; what to do when the child dies (restart, backoff)
// is the owner's business (src/plugins/plugin_runtime.*, src/tools/mcp_client.*).
//
// * Requests carry a numeric id and an optional deadline; the response (or an error, a
//   timeout, or the child's exit) is handed to the request's callback exactly once.
// * Requests from the child go to on_request with a Responder: answer later, once, from
//   the loop (e.g. a plugin's channel/inbound is answered only when the message is
//   durable). Notifications go to on_notification.
// * The child is untrusted: a stdout line over max_line bytes, more than
//   max_bytes_per_sec bytes of stdout in a one-second window, or max_bad_lines non-JSON
//   lines in a row kills it (SIGKILL to its process group) with that reason, which then
//   reaches on_exit (each cap can be turned off; McpClient tolerates garbage lines and
//   bursts). stderr lines go to the debug log, at most stderr_lines_per_sec per second
//   (the rest are counted and summarised), and the last few are kept for status.
// * With `batches`, a line may also hold a JSON array of messages (a JSON-RPC batch).
//
// Threading: loop thread only; every callback runs there. Response callbacks and
// on_exit are never called inside request()/kill()/spawn(). The peer keeps itself alive
// until on_exit ran (its Process's pending reads hold it); the owner holds a shared_ptr
// and may drop it early: then callbacks still run (guard them with your own weak token)
// but nothing else happens. After on_exit nothing more is called.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proc/subprocess.h"
#include "simpleclaw/result.h"

namespace boost::asio {
class io_context;
}

namespace simpleclaw::proc {

struct StdioRpcOptions {
  std::string log_name;                     // "plugin echo" (log lines, error texts)
  std::size_t max_line = 1024 * 1024;       // bytes in one stdout line
  std::size_t max_bytes_per_sec = 4 << 20;  // stdout bytes per 1 s window; 0 = no cap
  int max_bad_lines = 20;                   // non-JSON lines in a row; 0 = no cap
  std::size_t stderr_lines_per_sec = 20;    // logged at debug; the rest counted
  std::size_t max_pending = 4096;           // outstanding requests we sent
  bool batches = false;                     // accept a JSON array of messages per line
  std::string error_code = "RPC_ERROR";     // details.code of the child's JSON-RPC errors
};

class StdioRpcPeer : public std::enable_shared_from_this<StdioRpcPeer> {
 public:
  using ResponseFn = std::function<void(Result<Json>)>;

  // Answers one request from the child. Call at most once; a copy may be dropped
  // unanswered (the child then sees nothing: tell it with an error if it matters).
  class Responder {
   public:
    Responder() = default;
    void ok(Json result) const;
    void error(int code, std::string message) const;
    bool valid() const { return !peer_.expired(); }

   private:
    friend class StdioRpcPeer;
    Responder(std::weak_ptr<StdioRpcPeer> p, Json id) : peer_(std::move(p)), id_(std::move(id)) {}
    std::weak_ptr<StdioRpcPeer> peer_;
    Json id_;
  };

  struct Handlers {
    std::function<void(const std::string& method, const Json& params, Responder)> on_request;
    std::function<void(const std::string& method, const Json& params)> on_notification;
    // reason: empty for an exit the child chose; else why we killed it ("flooded stdout").
    std::function<void(const ExitStatus&, const std::string& reason)> on_exit;
    // A request timed out (its callback follows with the timeout error), e.g. to tell the
    // child to stop working on it.
    std::function<void(std::uint64_t id, const std::string& method)> on_timeout;
  };

  // "exited (code 3)", "exited (signal 9)", or the kill reason when there is one.
  static std::string exit_text(const ExitStatus& st, const std::string& reason);

  // Starts the child (spec.pipe_stdin and merge_stderr are forced to true / false).
  static Result<std::shared_ptr<StdioRpcPeer>> spawn(boost::asio::io_context& io, ProcessSpec spec,
                                                     StdioRpcOptions opts, Handlers handlers);
  ~StdioRpcPeer();
  StdioRpcPeer(const StdioRpcPeer&) = delete;
  StdioRpcPeer& operator=(const StdioRpcPeer&) = delete;

  // Sends a request; `fn` gets the result, an Error (the child's JSON-RPC error, a
  // timeout, or "exited") exactly once, always posted. timeout <= 0 = none. Returns the id.
  std::uint64_t request(const std::string& method, Json params, std::chrono::milliseconds timeout,
                        ResponseFn fn);
  // Drops a pending request: its callback never runs. Unknown ids are ignored.
  void forget(std::uint64_t id);
  void notify(const std::string& method, Json params);
  // SIGKILL to the group; `reason` reaches on_exit. Only the first reason counts.
  void kill(const std::string& reason);
  // SIGTERM to the group (stdin closed first, so a polite child sees EOF too).
  void terminate();
  // Stops reading: the child's remaining output is lost and on_exit follows the reap.
  void close_output();

  pid_t pid() const;
  bool exited() const { return exited_; }
  std::size_t bad_lines_total() const { return bad_total_; }
  const std::deque<std::string>& stderr_tail() const { return err_tail_; }

 private:
  StdioRpcPeer(boost::asio::io_context& io, StdioRpcOptions opts, Handlers h);
  void on_stdout(std::string_view data);
  void on_stderr(std::string_view data);
  void on_exit(const ExitStatus& st);
  void handle_line(std::string_view line);
  void handle_message(const Json& msg);
  void send(const Json& msg);
  void finish(std::uint64_t id, Result<Json> r);

  struct Pending;
  boost::asio::io_context& io_;
  StdioRpcOptions opts_;
  Handlers h_;
  std::shared_ptr<Process> proc_;
  std::string line_buf_;
  std::string err_buf_;
  std::deque<std::string> err_tail_;
  std::chrono::steady_clock::time_point window_start_{};
  std::size_t window_bytes_ = 0;
  std::chrono::steady_clock::time_point err_window_start_{};
  std::size_t err_window_lines_ = 0;
  std::size_t err_suppressed_ = 0;
  int bad_in_row_ = 0;
  std::size_t bad_total_ = 0;
  std::string kill_reason_;
  bool exited_ = false;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<Pending>> pending_;
};

}  // namespace simpleclaw::proc
