#include "gateway/status.h"

#include <unistd.h>

#include <fstream>

#include "agents/run_engine.h"
#include "base/check.h"
#include "base/prom_text.h"
#include "channels/channel_manager.h"
#include "gateway/config_apply.h"
#include "gateway/cron/scheduler.h"
#include "gateway/health.h"
#include "gateway/methods/table.h"
#include "gateway/presence_feed.h"
#include "plugins/plugin_host.h"
#include "providers/catalog.h"

namespace simpleclaw::gateway {
namespace {

std::int64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  long long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

Json reload_json(const ReloadStatus& r) {
  Json j{{"lastReloadAt", r.last_ms ? Json(r.last_ms) : Json(nullptr)},
         {"ok", r.ok},
         {"restartRequired", r.restart_required}};
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

}  // namespace

StatusReport::StatusReport(StatusSources src, const Clock& clock)
    : src_(src), clock_(clock), started_(clock.steady()), started_wall_ms_(clock.wall_ms()) {}

std::int64_t StatusReport::uptime_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steady() - started_).count();
}

Json StatusReport::state_version() const {
  return Json{{"presence", src_.presence.version()}, {"health", src_.health.version()}};
}

Json StatusReport::status() const {
  std::size_t authed = 0, operators = 0, nodes = 0;
  src_.clients.for_each([&](const Client& c) {
    if (!c.authed) return;
    ++authed;
    (c.role == Role::kNode ? nodes : operators)++;
  });
  const RuntimeInfo& info = src_.config.info();
  const config::Config& cfg = src_.config.cfg();
  const config::FileState& file = src_.config.file();
  channels::ChannelManager::Counts ch = src_.channels.counts();
  plugins::PluginHost::Counts pl = src_.plugins.counts();
  Json out{{"version", SIMPLECLAW_VERSION},
           {"protocol", kProtocolVersion},
           {"pid", ::getpid()},
           {"uptimeMs", uptime_ms()},
           {"startedAt", started_wall_ms_},
           {"rssBytes", rss_bytes()},
           {"stateDir", info.state_dir},
           {"gateway",
            {{"bind", info.bind_host},
             {"port", info.port},
             {"url", info.url()},
             {"mode", cfg.gateway.mode},
             {"authMode", src_.config.auth().mode},
             {"tls", {{"enabled", info.tls}, {"sha256", info.tls_fingerprint}}}}},
           {"connections",
            {{"total", src_.clients.size()},
             {"authenticated", authed},
             {"operators", operators},
             {"nodes", nodes},
             {"pending", src_.clients.size() - authed}}},
           {"subsystems",
            {{"config",
              {{"path", info.config_path},
               {"exists", file.exists},
               {"hash", file.hash},
               {"reload", reload_json(src_.config.reload_status())},
               // "degraded": the file was invalid at start; the gateway runs on the copy.
               {"state", src_.config.degraded().empty() ? "ok" : "degraded"},
               {"degraded", src_.config.degraded().empty()
                                ? Json(nullptr)
                                : Json{{"error", src_.config.degraded()},
                                       {"runningFrom", info.state_dir + "/" + kLastGoodConfig}}}}},
             {"eventLoop", src_.loop.snapshot()},
             {"channels",
              {{"configured", ch.channels},
               {"accounts", ch.accounts},
               {"running", ch.running},
               {"connected", ch.connected}}},
             {"agents", {{"count", cfg.agents.list.size()}, {"defaultId", cfg.agents.default_id}}},
             {"sessions",
              {{"count", src_.health.session_count()},
               {"reset", cfg.sessions.reset.mode},
               {"activeRuns", src_.runs.active_runs()},
               {"queuedRuns", src_.runs.queued_runs()}}},
             {"plugins", {{"count", pl.count}, {"running", pl.running}, {"failed", pl.failed}}},
             {"models", src_.catalog.source_json()},
             {"cron", src_.cron.summary_json()},
             {"logs", {{"file", info.log_file}}}}},
           {"discovery", discovery_},
           {"stateVersion", state_version()}};
  if (cluster_) out["subsystems"]["cluster"] = cluster_();
  return out;
}

std::string StatusReport::metrics_text() const {
  const Metrics& m = src_.metrics;
  std::size_t authed = 0;
  src_.clients.for_each([&](const Client& c) { authed += c.authed ? 1 : 0; });
  prom::Writer w;
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    w.counter(std::string("simpleclaw_") + name, help, static_cast<double>(v));
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    w.gauge(std::string("simpleclaw_") + name, help, v);
  };
  counter("connections_accepted_total", "WebSocket connections accepted", m.connections_accepted);
  counter("connections_rejected_total", "Upgrades refused (origin, caps)", m.connections_rejected);
  counter("handshakes_total", "Successful connect handshakes", m.handshakes_ok);
  counter("handshake_failures_total", "Failed connect handshakes", m.handshakes_failed);
  counter("auth_failures_total", "Failed authentication attempts", m.auth_failures);
  counter("auth_lockouts_total", "Lockouts started by the auth limiter", m.auth_lockouts);
  counter("requests_total", "Requests received after connect", m.requests);
  counter("request_errors_total", "Requests answered with an error", m.request_errors);
  counter("frames_invalid_total", "Frames that failed to decode or validate", m.frames_invalid);
  counter("events_sent_total", "Events queued to sockets", m.events_sent);
  counter("events_dropped_total", "Droppable events skipped for slow sockets", m.events_dropped);
  counter("deltas_coalesced_total", "Streaming deltas merged into a later one for a busy socket",
          m.deltas_coalesced);
  counter("slow_consumer_closes_total", "Sockets closed for exceeding the outbound cap",
          m.slow_consumer_closes);
  counter("config_reloads_total", "Config reloads applied", m.config_reloads);
  counter("session_resets_total", "Sessions reset by the sessions.reset policy", m.session_resets);
  counter("wal_checkpoints_total", "SQLite WAL checkpoints run by maintenance", m.wal_checkpoints);

  // RPCs by method and result, and their latency; only methods called so far appear.
  auto tbl = method_table();
  auto method_name = [&](std::size_t i) {
    return i < tbl.size() ? tbl[i].name : std::string_view("unknown");
  };
  w.family("simpleclaw_rpc_requests_total", "counter",
           "Requests answered, by method and result (ok | error)");
  for (std::size_t i = 0; i < m.rpc.size(); ++i) {
    const RpcStats& r = m.rpc[i];
    if (r.ok + r.error == 0) continue;
    w.sample("simpleclaw_rpc_requests_total", {{"method", method_name(i)}, {"result", "ok"}},
             static_cast<double>(r.ok));
    w.sample("simpleclaw_rpc_requests_total", {{"method", method_name(i)}, {"result", "error"}},
             static_cast<double>(r.error));
  }
  w.family("simpleclaw_rpc_duration_seconds", "histogram",
           "Time from a request's arrival to its answer, by method");
  for (std::size_t i = 0; i < m.rpc.size(); ++i) {
    const RpcStats& r = m.rpc[i];
    if (r.ok + r.error == 0) continue;
    w.histogram("simpleclaw_rpc_duration_seconds", {{"method", method_name(i)}}, RpcStats::kBounds,
                r.buckets, r.sum_seconds);
  }

  // The HTTP API: answers by route and status class.
  w.family("simpleclaw_http_requests_total", "counter",
           "HTTP API requests answered (/v1, /tools, /hooks), by route and status class");
  for (const auto& [route, by_class] : m.http_requests) {
    for (std::size_t i = 0; i < by_class.size(); ++i) {
      if (by_class[i] == 0) continue;
      const std::string code = std::to_string(i + 1) + "xx";
      w.sample("simpleclaw_http_requests_total", {{"route", route}, {"code", code}},
               static_cast<double>(by_class[i]));
    }
  }

  // Runs: ended by state, failed by errorKind, and the ones in progress.
  w.family("simpleclaw_runs_total", "counter", "Agent runs ended, by terminal state");
  for (const char* st : {"final", "aborted", "error"}) {
    auto it = m.runs_ended.find(st);
    w.sample("simpleclaw_runs_total", {{"state", st}},
             it == m.runs_ended.end() ? 0.0 : static_cast<double>(it->second));
  }
  w.family("simpleclaw_provider_errors_total", "counter",
           "Runs that failed, by provider error kind");
  for (const char* k : {"refusal", "timeout", "rate_limit", "context_length", "unknown"}) {
    auto it = m.run_errors.find(k);
    w.sample("simpleclaw_provider_errors_total", {{"kind", k}},
             it == m.run_errors.end() ? 0.0 : static_cast<double>(it->second));
  }
  w.family("simpleclaw_runs_in_progress", "gauge",
           "Agent runs in progress, by state (active | queued)");
  w.sample("simpleclaw_runs_in_progress", {{"state", "active"}},
           static_cast<double>(src_.runs.active_runs()));
  w.sample("simpleclaw_runs_in_progress", {{"state", "queued"}},
           static_cast<double>(src_.runs.queued_runs()));

  // Plugins: restarts (crash, hang, flood) per plugin.
  w.family("simpleclaw_plugin_restarts_total", "counter", "Plugin processes restarted, by plugin");
  {
    Json list = src_.plugins.list_json();
    for (const Json& p : list.value("plugins", Json::array())) {
      const Json& name = p.contains("name") ? p["name"] : Json();
      const Json& n = p.contains("restarts") ? p["restarts"] : Json();
      if (!name.is_string() || !n.is_number()) continue;
      w.sample("simpleclaw_plugin_restarts_total", {{"plugin", name.get_ref<const std::string&>()}},
               n.get<double>());
    }
  }

  gauge("connections", "Open WebSocket connections", static_cast<double>(src_.clients.size()));
  gauge("connections_authenticated", "Authenticated connections", static_cast<double>(authed));
  gauge("uptime_seconds", "Seconds since start", static_cast<double>(uptime_ms()) / 1000.0);
  gauge("resident_memory_bytes", "Resident set size (/proc/self/statm)",
        static_cast<double>(rss_bytes()));
  gauge("event_loop_delay_p99_seconds", "Event-loop delay, 99th percentile over the window",
        src_.loop.p99_ms() / 1000.0);
  gauge("event_loop_delay_max_seconds", "Event-loop delay, maximum over the window",
        src_.loop.max_ms() / 1000.0);
  gauge("ready", "1 when ready to serve", ready_ ? 1 : 0);
  gauge("presence_entries", "Presence entries (the gateway, clients, nodes)",
        static_cast<double>(src_.presence.size()));
  gauge("idempotency_entries", "chat.send idempotency results kept (sessions.dedupe_ttl_ms)",
        static_cast<double>(src_.runs.dedupe_size()));
  counter("invariant_violations_total",
          "Broken internal invariants (each also logged); anything above 0 is a bug to report",
          invariant_violations());
  src_.channels.write_metrics(w);
  return w.take();
}

}  // namespace simpleclaw::gateway
