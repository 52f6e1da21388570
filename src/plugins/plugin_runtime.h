// PluginRuntime: one out-of-process plugin's life (internal to src/plugins; the gateway
// uses PluginHost). Its process is a proc::SupervisedChild (restarted after a crash, a
// hang or a protocol violation with exponential backoff and jitter, reset once it stayed
// healthy for healthy_reset; stopped politely with `shutdown`, then SIGTERM, then SIGKILL
// after stop_grace). This class adds the plugin protocol: the `initialize` handshake (and
// `tools/list` / `provider/models`) within init_timeout, and a `ping` every ping_interval
// (no answer within ping_timeout = hung: killed and restarted).
//
// A channel plugin serves every account of its channel from one process: each account's
// PluginChannel attaches itself by account id; the runtime routes the plugin's
// channel/* messages to it and tells every attached account when the process comes up or
// goes down. A provider plugin is asked `provider/models` after `initialize` (a JSON-RPC
// error = it lists none); each chat in flight (plugin_provider.h) attaches itself by
// requestId and gets that request's `provider/delta` notifications.
//
// Threading: loop thread only. Owned by PluginHost through a shared_ptr; timers and the
// peer's callbacks hold weak_ptrs, except stop(), which keeps the runtime alive until the
// process is gone so the host can drop it at once (config reload).
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "plugins/manifest.h"
#include "proc/stdio_rpc.h"
#include "proc/supervised_child.h"
#include "simpleclaw/result.h"

namespace simpleclaw::plugins {

class PluginChannel;

struct PluginHostOptions {
  std::chrono::milliseconds init_timeout{10000};    // initialize (+ tools/list) answered
  std::chrono::milliseconds ping_interval{15000};   // health probe period
  std::chrono::milliseconds ping_timeout{5000};     // no pong within = hung -> killed
  std::chrono::milliseconds backoff_initial{1000};  // first restart delay
  std::chrono::milliseconds backoff_max{60000};
  double backoff_jitter = 0.2;                       // delay * (1 +- jitter), uniform
  std::chrono::milliseconds healthy_reset{60000};    // up this long = backoff reset
  std::chrono::milliseconds shutdown_timeout{1000};  // `shutdown` answered, then SIGTERM
  std::chrono::milliseconds stop_grace{3000};        // SIGTERM -> SIGKILL
  std::chrono::milliseconds call_timeout{60000};     // tools/call, channel/send, channel/start
  std::size_t max_line = 1024 * 1024;                // bytes in one stdout line
  std::size_t max_bytes_per_sec = 4 * 1024 * 1024;   // stdout bytes per second
  int max_bad_lines = 20;                            // non-JSON lines in a row
  std::size_t stderr_lines_per_sec = 20;             // logged at debug
  std::size_t max_provider_requests = 16;            // provider/chat in flight per plugin
};

enum class PluginState { kDiscovered, kStarting, kRunning, kBackoff, kStopped, kFailed, kDisabled };
const char* plugin_state_name(PluginState s);

struct PluginToolInfo {
  std::string name;
  std::string description;
  Json input_schema;
};

// What configure() decided for one plugin.
struct PluginSetup {
  PluginManifest manifest;
  bool enabled = true;
  Json config = Json::object();   // plugins.entries.<name>.config
  Json accounts = Json::array();  // channel plugins: enabled account ids
  std::string config_error;       // non-empty = failed: never started
  Json fingerprint() const;       // equal = nothing to restart
};

class PluginRuntime : public std::enable_shared_from_this<PluginRuntime> {
 public:
  PluginRuntime(boost::asio::io_context& io, PluginSetup setup, const PluginHostOptions& opts);
  ~PluginRuntime();

  void start();  // a no-op when disabled, failed, or already started
  // Stops (see above) and posts `done` when the process is gone. Idempotent.
  void stop(std::function<void()> done = nullptr);

  const PluginSetup& setup() const { return setup_; }
  const std::string& name() const { return setup_.manifest.name; }
  PluginKind kind() const { return setup_.manifest.kind; }
  PluginState state() const { return state_; }
  bool running() const;
  int restarts() const;
  const std::string& last_error() const { return last_error_; }
  pid_t pid() const;
  const Json& capabilities() const { return capabilities_; }
  const std::vector<PluginToolInfo>& tools() const { return tools_; }
  // Provider plugins: the models `provider/models` reported at the last start.
  const std::vector<config::ModelEntry>& models() const { return models_; }
  const PluginHostOptions& options() const { return opts_; }
  Json status() const;  // one plugins.list entry

  // JSON-RPC to the running process; fails (posted) when it is not running.
  std::uint64_t request(const std::string& method, Json params, std::chrono::milliseconds timeout,
                        proc::StdioRpcPeer::ResponseFn fn);
  void forget(std::uint64_t id);
  void notify(const std::string& method, Json params);

  // Channel accounts (PluginChannel only). attach() replaces an older channel of the id.
  void attach(const std::string& account, PluginChannel* ch);
  void detach(const std::string& account, PluginChannel* ch);

  // Provider chats in flight: `provider/delta` {requestId, ...} goes to the handler attached
  // with that id (deltas for unknown ids are ignored).
  using DeltaFn = std::function<void(const Json& params)>;
  void attach_request(const std::string& request_id, DeltaFn fn);
  void detach_request(const std::string& request_id);
  std::size_t active_requests() const { return requests_.size(); }

 private:
  void initialize();
  void on_exit(const std::string& what, bool stopping);
  void on_request(const std::string& method, const Json& params, proc::StdioRpcPeer::Responder r);
  void on_notification(const std::string& method, const Json& params);
  void handshake_done(std::uint64_t gen, Result<Json> init);
  void list_tools(std::uint64_t gen);
  void list_models(std::uint64_t gen);
  void became_running();
  void schedule_ping(std::uint64_t gen);
  void fail_process(const std::string& reason);  // kill + restart
  void channels_down(const std::string& error);
  PluginChannel* channel_for(const Json& params) const;
  std::string prefix() const { return "plugin " + name(); }
  proc::StdioRpcPeer* peer() const;  // the running process, or null
  std::uint64_t gen() const;         // its generation
  bool stopping() const;
  // A completion of process `gen` may act: it is still the running one and no stop began.
  bool current(std::uint64_t gen) const;

  boost::asio::io_context& io_;
  PluginSetup setup_;
  PluginHostOptions opts_;
  std::shared_ptr<proc::SupervisedChild> child_;  // the process, kept running (null: not started)
  boost::asio::steady_timer ping_timer_;
  PluginState state_ = PluginState::kDiscovered;
  std::string last_error_;
  std::string version_;  // from initialize, else the manifest's
  Json capabilities_ = Json::object();
  std::vector<PluginToolInfo> tools_;
  std::vector<config::ModelEntry> models_;
  std::map<std::string, DeltaFn> requests_;
  std::int64_t started_at_ms_ = 0;
  std::map<std::string, PluginChannel*> channels_;
};

}  // namespace simpleclaw::plugins
