// Gateway: the core of the control plane. It owns every piece of mutable runtime state
// (clients, presence, health, config, auth limiter, timers) and is driven by the
// transport through on_open / on_message / on_close and by HTTP routes.
//
// Threading: one io_context thread (the loop) calls everything here; there are no
// locks. Transports are held by shared_ptr in the client table and call back with the
// numeric client id, so a socket closing never leaves a dangling pointer.
//
// Life of a request: ws_session reads a message -> on_message -> decode (JSON or
// MessagePack) -> frame schema -> method table lookup -> scope check -> params schema ->
// handler -> res frame queued on the same socket.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "agents/chat_service.h"
#include "channels/channel_manager.h"
#include "config/config.h"
#include "gateway/agent_tools.h"
#include "gateway/node_hub.h"
#include "gateway/protocol/codec.h"
#include "gateway/protocol/scopes.h"
#include "gateway/state/auth.h"
#include "gateway/state/event_loop.h"
#include "gateway/state/metrics.h"
#include "gateway/state/presence.h"
#include "gateway/state/transport.h"
#include "gateway/state/users.h"
#include "plugins/plugin_host.h"
#include "providers/catalog.h"
#include "sessions/db_worker.h"

namespace simpleclaw::gateway {

inline constexpr int kProtocolVersion = 4;

// Where the gateway lives on disk and what it listens on; fixed after start-up except
// the config, which config.set/patch and SIGHUP replace.
struct RuntimeInfo {
  std::string state_dir;
  std::string config_path;
  std::string log_file;
  std::string bind_host;  // the address actually bound, e.g. "127.0.0.1"
  int port = 0;           // the port actually bound
  bool tls = false;
  std::string tls_fingerprint;  // SHA-256 of the certificate (hex, colon-free)
  std::string token_source;     // "config" | "env" | "file:<path>" | "generated:<path>"
  // --port / SIMPLECLAW_PORT and --bind: they win over the file, also after a reload.
  std::optional<int> port_override;
  std::optional<std::string> bind_override;
};

struct Client {
  std::uint64_t id = 0;
  std::string conn_id;  // uuid, shown to the client in hello-ok
  std::shared_ptr<Transport> transport;
  PeerInfo peer;
  protocol::Encoding enc = protocol::Encoding::kJson;
  bool authed = false;
  bool counted_preauth = true;
  std::string nonce;
  std::int64_t connected_at_ms = 0;
  std::uint64_t seq = 0;  // last event seq sent (or dropped) on this socket
  std::string role;
  protocol::ScopeSet scopes;
  Json client_info;       // connect.params.client
  std::string device_id;  // a device identity that proved its key (else "")
  // Shared mode: the user this socket authenticated as ("" = the admin: the gateway
  // token, password or a paired device) and a fingerprint of that user's token and
  // grants; a change of either closes the socket with 4001 (see Gateway::reload_users).
  std::string user;
  std::string user_grant;
  bool sessions_subscribed = false;  // sessions.subscribe: gets sessions.changed
  // Streaming deltas held back while this socket's previous frames are still being
  // written: one per (event, run), merged (see Gateway::stream_delta).
  struct HeldDelta {
    std::string event;  // "chat" | "agent"
    std::string run_id;
    Json payload;
  };
  std::vector<HeldDelta> held;
  std::unique_ptr<boost::asio::steady_timer> handshake_timer;
};

// A method handler's answer: a fresh JSON payload or a shared pre-encoded one.
struct Reply {
  Json json;
  protocol::SharedPayloadPtr shared;
  Reply(Json j) : json(std::move(j)) {}                          // NOLINT: implicit on purpose
  Reply(protocol::SharedPayloadPtr s) : shared(std::move(s)) {}  // NOLINT
};

class Gateway;
// A handler that answers later (after a database commit, a probe) calls defer() and
// returns anything; the function it gets sends the res frame when called (once), if the
// socket is still open.
using Responder = std::function<void(Result<Json>)>;
struct MethodCall {
  Gateway& gw;
  Client& client;
  const std::string& method;
  const Json& params;  // null when absent
  const Json* id = nullptr;
  bool deferred = false;
  // For the per-method RPC metrics: the method's table slot and when dispatch began.
  std::size_t slot = 0;
  std::chrono::steady_clock::time_point started{};
  Responder defer();
};

class Gateway : public agents::ChatSink,
                public tools::ApprovalSink,
                public channels::ChannelDispatch {
 public:
  Gateway(boost::asio::io_context& io, RuntimeInfo info, config::Config cfg, config::FileState file,
          AuthSettings auth);
  ~Gateway();

  // --- lifecycle
  void start();  // maintenance timers; call after the listener is bound
  // Graceful stop: `shutdown` event to every client, close 1012, then `done` once all
  // sockets closed or after the grace period.
  void shutdown(const std::string& reason, std::function<void()> done);
  bool ready() const { return ready_ && !draining_; }

  // --- transport hooks
  // 0 = may upgrade; else an HTTP status (403 origin refused, 503 over a cap).
  int admit_upgrade(const PeerInfo& peer, std::string_view host_header);
  void upgrade_failed(const PeerInfo& peer);  // undo admit_upgrade's reservation
  std::uint64_t on_open(std::shared_ptr<Transport> t, const PeerInfo& peer);
  void on_message(std::uint64_t id, std::string_view data, bool binary);
  void on_close(std::uint64_t id);
  // The socket's outbound queue became empty: send what was held back for it.
  void on_drained(std::uint64_t id);

  // --- HTTP
  std::string metrics_text() const;

  // --- used by method handlers
  // owner: when set, users other than *owner (shared mode) do not get the event; the
  // admin always does.
  void broadcast(std::string_view event, Json payload, protocol::Scope scope, bool droppable,
                 bool with_state_version = false, const std::string* owner = nullptr);
  // The health snapshot as `user` sees it ("" = the admin: everything).
  protocol::SharedPayloadPtr health_snapshot(std::string_view user) const;
  // health {probe:true}: re-reads the session summary from the store, rebuilds the
  // snapshot (bumping stateVersion.health and broadcasting when it changed), then answers
  // with `user`'s view.
  void probe_health(std::string user, Responder done);
  // Like broadcast(), but the admin gets `admin_view` and each user user_view(name).
  void broadcast_views(
      std::string_view event, const protocol::SharedPayloadPtr& admin_view,
      const std::function<protocol::SharedPayloadPtr(const std::string&)>& user_view,
      protocol::Scope scope, bool droppable, bool with_state_version);
  // node.event {event:"presence"}: a socketless presence entry (see Presence::report).
  Status presence_report(const Client& from, const Json& payload);
  Json status() const;
  Json presence_list() const { return presence_.list(); }
  Json state_version() const;
  const RuntimeInfo& info() const { return info_; }
  void set_listen_port(int port) { info_.port = port; }
  // status.discovery {mdns, tailscale?}; set by run_gateway (loop thread) as states change.
  void set_discovery_status(Json j) { discovery_ = std::move(j); }
  const config::Config& config() const { return cfg_; }
  const config::FileState& config_file() const { return file_; }
  // Hot-applies a validated config written by config.set/patch or read on SIGHUP;
  // returns true when some changed key needs a restart (bind, port, TLS).
  bool apply_config(config::Config next, config::FileState file);
  Status reload_config();  // SIGHUP
  std::int64_t uptime_ms() const;
  std::size_t client_count() const { return clients_.size(); }
  Metrics& metrics() { return metrics_; }
  // Counts one answered request of method-table slot `slot` (see RpcStats).
  void record_rpc(std::size_t slot, bool ok, std::chrono::steady_clock::time_point started);
  const UserDirectory& users() const { return users_; }
  // Opens <state>/sessions.db (migrations, crash recovery) and starts the chat service.
  Status open_store(const std::string& path);
  // Start-up steps after open_store (SPEC §1 order), each returning a summary for the
  // start-up log: out-of-process plugins discovered and started, then channel accounts
  // created (they connect in the background).
  std::string start_plugins();
  std::string start_channels();
  bool has_channels() const { return channels_ != nullptr; }
  bool has_plugins() const { return plugins_ != nullptr; }
  agents::ChatService& chat() { return *chat_; }
  AgentTools& agent_tools() { return *tools_; }
  NodeHub& nodes() { return *nodes_; }
  channels::ChannelManager& channels() { return *channels_; }
  plugins::PluginHost& plugins() { return *plugins_; }
  providers::Catalog& catalog() { return catalog_; }
  // Runs blocking work (file I/O) on the store's worker thread, in order with the
  // database jobs; `done(result)` runs on the loop. `work` must only touch its captures.
  template <typename Work, typename Done>
  void run_blocking(Work work, Done done) {
    db_->post([work = std::move(work)](sessions::SessionStore&) mutable { return work(); },
              std::move(done));
  }
  // Sends a deferred answer (see MethodCall::defer).
  void respond(std::uint64_t client_id, const Json& id, const std::string& method, Result<Reply> r);

  // agents::ChatSink
  void chat_event(const std::string& run_id, Json payload, bool delta) override;
  void agent_event(const std::string& run_id, Json payload, bool droppable) override;
  void sessions_changed(Json payload) override;
  // tools::ApprovalSink: exec.approval.* to operators with operator.approvals
  void approval_event(const char* event, Json payload) override;
  // channels::ChannelDispatch: platform messages become chat runs; approvals from chat.
  void submit(channels::Submission s, std::function<void(Status)> accepted) override;
  Result<Json> resolve_approval(const std::string& id_or_prefix, const std::string& decision,
                                const std::string& by) override;
  void channels_changed(Json payload) override;

 private:
  void handle_handshake(Client& c, std::string_view data, bool binary);
  // Shared mode (shared_access.cpp). reload_users: the directory from cfg_, closing
  // (4001) sockets of users removed or whose token or grants changed.
  void reload_users();
  // A user's request: refused (admin-only method, agent not granted, someone else's
  // approval) or its params with every session key moved into the user's namespace.
  Result<Json> shared_params(const Client& c, const std::string& method, const Json& params);
  // Whether the socket may see an event about a session owned by `owner`.
  static bool sees(const Client& c, std::string_view owner) {
    return c.user.empty() || c.user == owner;
  }
  std::string approval_owner(const Json& payload);
  void dispatch(Client& c, const Json& frame);
  void send_res(Client& c, const Json& id, const Result<Reply>& r);
  class EventFanout;
  void send_event(Client& c, EventFanout& fanout, bool droppable);
  bool send_event_to(std::uint64_t client_id, const char* event, Json payload);
  void stream_delta(std::string_view event, const std::string& run_id, Json payload);
  void flush_held(Client& c);
  void presence_changed();
  void flush_presence();
  void fail_handshake(Client& c, const Json& id, const Error& e, std::uint16_t close_code);
  Json hello_ok(const Client& c);
  Json presence_entry(const Client& c) const;
  // health.cpp
  Json build_health();
  Json plugins_health() const;
  void refresh_health(bool broadcast_if_changed);
  void configure_channels();
  void schedule_tick();
  void schedule_maintenance();
  // maintenance.cpp: one pass of the maintenance timer (health, presence TTL, dedupe
  // expiry, the sessions.reset policy, WAL checkpoint).
  void maintenance_pass();
  void reset_stale_sessions();
  void checkpoint_store();
  void refresh_sessions_summary(std::function<void()> then);
  void release_preauth(Client& c);
  void finish_shutdown_if_idle();
  // The message tool's delivery: channel `webchat` = a session key (chat.inject).
  void deliver_message(const std::string& channel, const std::string& to, const std::string& text,
                       const std::string& from_agent,
                       std::function<void(Result<std::string>)> done);
  // allow-always: the shown patterns go into the agent's tools.exec.allow in config.yaml.
  void persist_allow(const std::string& agent_id, const std::vector<std::string>& patterns);

  boost::asio::io_context& io_;
  RuntimeInfo info_;
  config::Config cfg_;
  config::FileState file_;
  AuthSettings auth_;
  AuthLimiter limiter_;
  UserDirectory users_;
  Metrics metrics_;
  Presence presence_;
  std::unordered_map<std::uint64_t, Client> clients_;
  std::unordered_map<std::string, int> preauth_by_ip_;
  std::uint64_t next_id_ = 1;
  std::uint64_t health_version_ = 1;
  protocol::SharedPayloadPtr health_;
  // Shared mode: each user's view of health_ (health.cpp), rebuilt with it.
  std::map<std::string, protocol::SharedPayloadPtr, std::less<>> user_health_;
  Json health_body_;  // {admin, users{}}: the views without ts/durationMs, to detect changes
  std::chrono::steady_clock::time_point started_;
  std::int64_t started_wall_ms_ = 0;
  static constexpr std::chrono::milliseconds kPresenceInterval{250};
  boost::asio::steady_timer tick_timer_, maintenance_timer_, shutdown_timer_, presence_timer_;
  bool presence_flush_pending_ = false;
  std::chrono::steady_clock::time_point last_presence_broadcast_{};
  EventLoopMonitor loop_monitor_;
  bool ready_ = false;
  bool draining_ = false;
  std::function<void()> on_drained_;
  Json config_reload_;  // {lastReloadAt, ok, error?, restartRequired}
  Json discovery_ = Json{{"mdns", {{"mode", "off"}, {"state", "off"}}}};
  Json sessions_summary_;  // health `sessions`: {count, recent[]} from the store
  bool resets_pending_ = false, checkpoint_pending_ = false, summary_pending_ = false;
  providers::Catalog catalog_;
  std::unique_ptr<sessions::DbWorker> db_;
  std::unique_ptr<AgentTools> tools_;
  std::unique_ptr<NodeHub> nodes_;
  std::unique_ptr<agents::ChatService> chat_;
  std::unique_ptr<plugins::PluginHost> plugins_;
  std::unique_ptr<channels::ChannelManager> channels_;
  bool plugins_drained_ = true;  // false while shutdown waits for plugin processes
  bool chat_drained_ = true;
  bool tools_drained_ = true;  // false while shutdown waits for MCP servers to stop  // false while
                               // shutdown waits for runs to be written
};

std::int64_t now_ms();  // wall clock, epoch milliseconds

// health.cpp: `health` as `user` sees it: their own sessions ({count, recent[],
// countByAgent{}} from the store), only the agents granted, everything else unchanged.
Json user_health_view(const Json& health, const User& user, const Json& summary,
                      const std::string& db, std::int64_t now);

}  // namespace simpleclaw::gateway
