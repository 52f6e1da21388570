#include "gateway/gateway.h"

#include <boost/asio/post.hpp>
#include <fstream>

#include "base/log.h"
#include "gateway/http/agent_run.h"
#include "gateway/methods/table.h"
#include "gateway/orphan_approvals.h"
#include "plugins/builtin.h"
#include "sessions/shared_doc_store.h"
#include "store/db.h"

namespace simpleclaw::gateway {
namespace {

// The wire formats this build was compiled with (the registry's providers).
std::vector<const sdk::WireFormat*> wire_formats() {
  std::vector<const sdk::WireFormat*> out;
  for (const auto& p : plugins::builtin_registry().providers()) out.push_back(p.wire.get());
  return out;
}

}  // namespace

Result<sessions::SessionStore> open_session_store(const RuntimeInfo& info,
                                                  const config::Config& cfg) {
  if (cfg.store.backend != "postgres") return sessions::SessionStore::open(info.sessions_db());
  auto url = config::postgres_url(cfg.store);
  if (!url.ok()) return url.error();
  return sessions::SessionStore::open_postgres(*url, info.state_dir + "/media");
}

namespace {

// Cluster mode: the pairing store is the shared document. A gateway joining a cluster
// that has none yet brings the devices it had paired (its devices.json); the document is
// read, or seeded, in one transaction so two instances starting at once do not both seed.
Result<sessions::SharedDoc> read_shared_devices(sessions::SessionStore& store,
                                                const std::string& state_dir, std::int64_t now) {
  auto local = nodes::PairingStore::open(state_dir + "/devices.json");
  if (!local.ok()) return local.error();
  const bool has_local = !local->paired().empty() || !local->pending().empty();
  store::Transaction tx(store.db());
  if (!tx.began().ok()) return tx.began().error();
  auto doc = sessions::change_shared_doc(
      store, DevicePairing::kSharedDoc,
      [&](const std::string& current) -> std::optional<std::string> {
        if (!current.empty() || !has_local) return std::nullopt;
        log::info(
            "cluster: the shared pairing store starts with this instance's {} paired "
            "device(s) from {}/devices.json",
            local->paired().size(), state_dir);
        return local->to_json().dump();
      },
      now);
  if (!doc.ok()) return doc.error();
  if (Status c = tx.commit(); !c.ok()) return c.error();
  return doc;
}

}  // namespace

Result<std::unique_ptr<Gateway>> Gateway::open(boost::asio::io_context& io, RuntimeInfo info,
                                               config::Config cfg, config::FileState file,
                                               AuthSettings auth,
                                               std::optional<sessions::SessionStore> opened,
                                               std::optional<ClusterJoin> join) {
  auto store =
      opened ? Result<sessions::SessionStore>(std::move(*opened)) : open_session_store(info, cfg);
  if (!store.ok()) return store.error();
  auto marked = store->recover(process_clock().wall_ms());
  if (!marked.ok()) return marked.error();
  if (*marked > 0)
    log::warn("{} run(s) were interrupted by the last shutdown; marked as failed", *marked);
  auto queued = store->queued_runs();
  if (!queued.ok()) return queued.error();
  auto approvals = store->pending_approvals();
  if (!approvals.ok()) return approvals.error();
  std::string state_dir = info.state_dir;
  std::optional<sessions::SharedDoc> devices_doc;
  if (join) {
    auto doc = read_shared_devices(*store, state_dir, process_clock().wall_ms());
    if (!doc.ok()) return doc.error();
    devices_doc = std::move(*doc);
  }
  std::unique_ptr<Gateway> gw(new Gateway(io, std::move(info), std::move(cfg), std::move(file),
                                          std::move(auth), std::move(store).value()));
  gw->queued_at_start_ = std::move(queued).value();
  gw->tools_.preload(std::move(approvals).value());  // offered again by start()
  if (join) {
    // A member of a cluster: its cron fires only while it holds the lead.
    gw->cron_.follow();
    const config::ClusterConfig& cc = gw->config_.cfg().cluster;
    Gateway* g = gw.get();
    gw->cluster_ = std::make_unique<ClusterNode>(
        ClusterNode::Deps{io, gw->db_, gw->cron_, gw->runs_, gw->channels_, gw->clients_,
                          gw->presence_, gw->tools_.approvals(), gw->run_waiters_, gw->clock_,
                          [g] { g->config_doc_.poll(); }, [g] { g->devices_.refresh(); }},
        std::move(*join), cc);
    // Before the channels are configured: their accounts start on standby.
    gw->channels_.set_cluster(channels::ChannelManager::ClusterHooks{
        [g] { g->cluster_->channels_configured(); },
        [g](const std::string& key) { g->cluster_->announce_outbound(key); },
        [g](const std::string& key) { g->cluster_->announce_pairing(key); }});
    gw->config_doc_.on_written([g] { g->cluster_->announce_config(); });
    gw->status_.set_cluster([g] { return g->cluster_->status_json(); });
  }
  if (auto s = gw->devices_.open(state_dir); !s.ok()) return s.error();
  if (devices_doc) {
    Gateway* g = gw.get();
    auto s = gw->devices_.share(devices_doc->text, devices_doc->version, gw->db_,
                                [g] { g->cluster_->announce_devices(); });
    if (!s.ok()) return s.error();
  }
  return gw;
}

Gateway::Gateway(boost::asio::io_context& io, RuntimeInfo info, config::Config cfg,
                 config::FileState file, AuthSettings auth, sessions::SessionStore store)
    : io_(io),
      clock_(process_clock()),
      info_(std::move(info)),
      config_(info_, std::move(cfg), std::move(file), std::move(auth)),
      clients_(metrics_),
      loop_monitor_(io),
      files_(io),
      catalog_(io, clock_),
      agents_(info_.state_dir),
      db_(io, std::move(store)),
      run_waiters_(io),
      run_frames_(clients_, metrics_, agents_, channels_, run_waiters_),
      send_ledger_(clock_),
      approval_events_(clients_, tools_, channels_),
      channel_bridge_(runs_, sessions_, agents_, tools_, clients_, channels_, health_,
                      [this] { return ready(); }),
      presence_(io, clients_, clock_, [this] { return status_.state_version(); }),
      devices_(
          [this](const char* event, Json payload) {
            // The admin's operators only: in shared mode a user cannot act on pairing.
            clients_.broadcast(event, std::move(payload),
                               Audience{protocol::Scope::kPairing, std::string_view()}, false);
          },
          [this](const std::string& device_id, const std::string& role, const std::string& why) {
            clients_.for_each([&](Client& c) {
              if (c.device_id == device_id && c.transport &&
                  (role.empty() || role == role_name(c.role)))
                c.transport->close(1008, why);
            });
          },
          [this](const std::string& device_id) {
            bool found = false;
            clients_.for_each([&](const Client& c) { found = found || c.device_id == device_id; });
            return found;
          },
          clock_),
      nodes_(
          io, devices_,
          [this](std::uint64_t client_id, const char* event, Json payload) {
            return clients_.send_to(client_id, event, std::move(payload));
          },
          [this](const char* event, Json payload, protocol::Scope scope) {
            clients_.broadcast(event, std::move(payload), Audience{scope}, false);
          },
          clock_),
      tools_(
          io, db_, files_, approval_events_, info_.state_dir,
          [this](const std::string& agent, const std::vector<std::string>& patterns) {
            config_doc_.persist_allow(agent, patterns);
          },
          [this](const std::string& channel, const std::string& to, const std::string& text,
                 const std::string& from_agent, std::function<void(Result<std::string>)> done) {
            channel_bridge_.deliver(channel, to, text, from_agent, std::move(done));
          },
          plugins::builtin_registry()),
      runs_(io, db_, files_, catalog_, agents_, run_frames_, clock_),
      sessions_(db_, runs_, agents_, catalog_, run_frames_, clock_),
      plugins_(io, info_.state_dir),
      channels_(io, info_.state_dir, channel_bridge_, plugins::builtin_registry(), db_, clock_),
      health_(config_, clients_, db_, channels_, plugins_, loop_monitor_, clock_,
              [this] { return status_.state_version(); }),
      status_(StatusSources{config_, clients_, metrics_, loop_monitor_, health_, presence_, runs_,
                            channels_, plugins_, catalog_, cron_},
              clock_),
      applier_(
          config_, clients_, metrics_,
          ConfigTargets{catalog_, tools_, nodes_, devices_, plugins_, channels_, health_, cron_},
          clock_, [this] { maintenance_.restart(); }),
      config_doc_(io, config_, applier_, db_, clock_),
      maintenance_(io, config_,
                   MaintenanceTargets{clients_, presence_, health_, agents_, runs_, sessions_, db_},
                   metrics_, clock_),
      cron_(CronScheduler::Deps{
          io, db_, runs_, sessions_, run_waiters_, channels_, agents_, config_, clock_,
          [this](const std::string& owner, Json payload) {
            // Operators; in shared mode the admin and the job's owner.
            clients_.broadcast("cron", std::move(payload),
                               Audience{protocol::Scope::kRead, std::string_view(owner)}, true);
          },
          [this](Json payload) {
            clients_.broadcast("heartbeat", std::move(payload),
                               Audience{protocol::Scope::kRead, std::string_view()}, true);
          }}),
      shared_(config_, agents_),
      services_{
          info_,           config_,          config_doc_, agents_,  runs_,    run_waiters_,
          send_ledger_,    sessions_,        catalog_,    nodes_,   devices_, tools_.approvals(),
          tools_.runner(), approval_events_, channels_,   plugins_, health_,  status_,
          presence_,       files_,           clock_,      cron_},
      dispatcher_(services_, clients_, shared_, metrics_),
      auth_(config_, devices_, metrics_, clock_),
      http_(auth_, metrics_),
      hooks_(Hooks::Deps{io, db_, runs_, agents_, run_waiters_, channels_, config_, clock_,
                         cron_.heartbeats()}),
      handshake_(config_, clients_, auth_, nodes_, presence_, health_, status_, metrics_),
      control_ui_(config_, auth_, files_,
                  [this] {
                    // What OpenClaw's UI reads at boot (control-ui-config.json).
                    const std::string& id = agents_.default_id();
                    const config::AgentConfig* a = agents_.find(id);
                    std::string name = a && !a->name.empty() ? a->name : "Assistant";
                    return Json{{"assistantName", name},
                                {"assistantAvatar", name.substr(0, 1)},
                                {"assistantAgentId", id},
                                {"serverVersion", SIMPLECLAW_VERSION},
                                {"embedSandbox", "scripts"},
                                {"allowExternalEmbedUrls", false},
                                {"automaticallyFetchFavicons", false},
                                {"communityInvite", false},
                                {"terminalEnabled", false},
                                {"cliAgentsEnabled", false},
                                {"pluginAssetsRequireAuth", true},
                                {"pluginFrameGrants", Json::array()}};
                  }),
      connections_(
          io, config_,
          Connections::Parts{clients_, handshake_, dispatcher_, presence_, nodes_, status_,
                             control_ui_, http_},
          metrics_, clock_, [this] { return draining_ && !restarting_; },
          [this] { finish_shutdown_if_idle(); }),
      shutdown_timer_(io) {
  const config::Config& c = config_.cfg();
  metrics_.rpc.resize(method_table().size() + 1);  // + unknown methods
  catalog_.set_wire_formats(wire_formats());
  catalog_.configure(c);
  agents_.configure(c);
  agents_.set_default_model([this] { return catalog_.default_model(); });
  runs_.configure(c);
  runs_.set_tools(&tools_.runner());
  nodes_.configure(c);
  devices_.configure(c);
  tools_.configure(c);
  // An allow given for an approval re-offered after a restart (its run is gone).
  tools_.approvals().on_orphan_allowed =
      [d = OrphanApprovalDeps{tools_.approvals(), tools_.runner(), agents_, sessions_, channels_,
                              [this](const std::string& agent, const std::vector<std::string>& p) {
                                config_doc_.persist_allow(agent, p);
                              }}](const tools::ApprovalRecord& r) { run_orphan_approval(d, r); };
  channels_.set_extra_factories(
      [this](const std::string& name) { return plugins_.channel_factory(name); });
  health_.refresh(false);
  register_hook_routes(http_, hooks_);
  http_.set_origin_check([this](const PeerInfo& peer, std::string_view host) {
    return connections_.origin_allowed(peer, host);
  });
  const HttpApiDeps api{io_, config_, agents_, runs_, run_waiters_, tools_.runner(), clock_};
  add_openai_chat_routes(http_, api);
  add_openai_responses_routes(http_, api);
  add_tools_invoke_route(http_, api);
}

Gateway::~Gateway() = default;

std::string Gateway::start_plugins() {
  auto problems = plugins_.configure(config_.cfg());
  plugins_.start();
  tools_.runner().add_provider(plugins_.tool_provider());
  catalog_.set_plugins(plugins_.provider_models());
  plugins::PluginHost::Counts n = plugins_.counts();
  return std::to_string(n.count) + " discovered" +
         (problems.empty() ? ""
                           : ", " + std::to_string(problems.size()) + " problem(s) (plugins.list)");
}

std::string Gateway::start_channels() {
  channels_.configure(config_.cfg());
  health_.refresh(false);  // the first snapshot clients see already lists channels and plugins
  Json order = channels_.status_json()["channelOrder"];
  std::string names;
  for (const Json& n : order) names += (names.empty() ? "" : ", ") + n.get<std::string>();
  return std::to_string(order.size()) + " configured (" + names + ")";
}

void Gateway::start() {
  // The approvals pending from before the restart, offered again now that the channels
  // they came from are there; from the copy read at open(), so in place before the loop
  // serves any client, and before the queued runs below may ask for more.
  tools_.start(nullptr);
  status_.set_ready(true);
  // After the channels: their stored reply routes are registered before these runs end.
  runs_.restart_queued(std::exchange(queued_at_start_, {}));
  cron_.start();
  loop_monitor_.start();
  maintenance_.start();
  config_doc_.start();
  if (cluster_) {
    cluster_->start();
    services_.cluster = cluster_->ops();  // chat.abort / exec.approval.resolve elsewhere
  }
}

void Gateway::shutdown(const std::string& reason, std::optional<long long> restart_expected_ms,
                       std::function<void()> done) {
  if (draining_) return;
  draining_ = true;
  // A restart keeps admitting the sockets accepted before the pause: they are served
  // until the drain ends and closed with 1012, never refused.
  restarting_ = reason == "restart";
  on_drained_ = std::move(done);
  maintenance_.stop();
  cron_.stop();
  loop_monitor_.stop();
  presence_.stop();
  health_.stop();
  // Clients hear it first, while the runs they watch still stream: they know to reconnect
  // (and when, for a restart). Their sockets close once the runs are done.
  Json event{{"reason", reason}};
  if (restart_expected_ms) event["restartExpectedMs"] = *restart_expected_ms;
  clients_.broadcast("shutdown", std::move(event), Audience{}, false);
  // No new platform messages (unacknowledged, so platforms deliver them again after the
  // restart); replies keep going out.
  channels_.drain();
  const std::chrono::milliseconds grace(config_.cfg().gateway.shutdown_grace_ms);
  drain_deadline_ = std::chrono::steady_clock::now() + grace;
  runs_drained_ = false;
  // Commands waiting for a human end now without a decision being stored (a person may
  // take hours; the approvals are still pending after the restart); their runs end as
  // interrupted. Runs that are computing get the grace period.
  tools_.approvals().shutdown();
  runs_.shutdown(
      grace, [this] { tools_.approvals().shutdown(); },
      [this] {
        runs_drained_ = true;
        flush_outbound();
      });
}

std::size_t Gateway::close_remaining_clients() {
  clients_.for_each([](Client& c) { c.transport->close(1012, "service restart"); });
  return clients_.size();
}

long long Gateway::restart_expected_ms() const {
  return (runs_.active_runs() > 0 ? config_.cfg().gateway.shutdown_grace_ms : 0) + 1000;
}

void Gateway::flush_outbound() {
  // Replies of the runs that just ended are stored either way; sending them now spares
  // the wait for the restart. Bounded by the grace period (and 5 s).
  auto now = std::chrono::steady_clock::now();
  bool late = now >= std::min(drain_deadline_, flush_started_ + std::chrono::seconds(5));
  if (flush_started_ == std::chrono::steady_clock::time_point{}) {
    flush_started_ = now;
    late = now >= drain_deadline_;
  }
  if (channels_.outbound_waiting() == 0 || late) return stop_the_rest();
  shutdown_timer_.expires_after(std::chrono::milliseconds(50));
  shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) flush_outbound();
  });
}

void Gateway::stop_the_rest() {
  config_doc_.stop();
  // The connectors stop before their leases are given back: the next owner never polls
  // alongside this one.
  channels_.stop_all();
  if (cluster_) {
    // Leases given back, so the others take over at once (not a TTL later); the process
    // waits for that commit (bounded by the 3 s below).
    leases_released_ = false;
    cluster_->stop([this] {
      leases_released_ = true;
      finish_shutdown_if_idle();
    });
  }
  plugins_drained_ = false;
  plugins_.stop([this] {
    plugins_drained_ = true;
    finish_shutdown_if_idle();
  });
  tools_drained_ = false;
  tools_.mcp().stop_all([this] {
    tools_drained_ = true;
    finish_shutdown_if_idle();
  });
  clients_.for_each([](Client& c) { c.transport->close(1012, "service restart"); });
  // Peers that never answer the close frame must not hold the process: 3 s grace.
  shutdown_timer_.expires_after(std::chrono::seconds(3));
  shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto cb = std::move(on_drained_)) {
      on_drained_ = nullptr;
      cb();
    }
  });
  finish_shutdown_if_idle();
}

void Gateway::finish_shutdown_if_idle() {
  if (!draining_ || clients_.size() != 0 || !runs_drained_ || !tools_drained_ ||
      !plugins_drained_ || !leases_released_ || !on_drained_)
    return;
  shutdown_timer_.cancel();
  auto cb = std::move(on_drained_);
  on_drained_ = nullptr;
  boost::asio::post(io_, std::move(cb));
}

}  // namespace simpleclaw::gateway
