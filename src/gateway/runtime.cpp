#include "gateway/runtime.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "base/clock.h"
#include "base/env.h"
#include "base/fs.h"
#include "base/ids.h"
#include "base/log.h"
#include "discovery/service.h"
#include "discovery/tailscale.h"
#include "gateway/cluster_start.h"
#include "gateway/config_apply.h"
#include "gateway/gateway.h"
#include "gateway/restart.h"
#include "gateway/server/server.h"
#include "gateway/server/tls.h"
#include "gateway/service_notify.h"
#include "gateway/state/event_loop.h"

namespace simpleclaw::gateway {
namespace {

// Logs "<step> (<n> ms)" when it goes out of scope; the spec wants each step timed.
class StepTimer {
 public:
  explicit StepTimer(std::string name)
      : name_(std::move(name)), t0_(std::chrono::steady_clock::now()) {}
  void done(const std::string& detail) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - t0_)
                  .count();
    log::record("startup.step", Json{{"step", name_}, {"detail", detail}, {"ms", us / 1000.0}},
                fmt::format("startup: {} — {} ({:.1f} ms)", name_, detail, us / 1000.0));
  }

 private:
  std::string name_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace

std::string resolve_state_dir(const std::string& flag) {
  std::string dir = flag;
  if (dir.empty()) dir = env_var("SIMPLECLAW_HOME");
  if (dir.empty()) dir = home_dir() + "/.simpleclaw";
  // Absolute: paths derived from it (agent workspaces) are handed to child processes
  // (the exec sandbox) that do not share our working directory's meaning.
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(dir, ec);
  if (ec) return dir;
  abs = abs.lexically_normal();
  if (!abs.has_filename() && abs != abs.root_path()) abs = abs.parent_path();  // "state/"
  return abs.string();
}

std::string resolve_config_path(const std::string& flag, const std::string& state_dir) {
  if (!flag.empty()) return flag;
  if (std::string c = env_var("SIMPLECLAW_CONFIG"); !c.empty()) return c;
  return state_dir + "/config.yaml";
}

namespace {
int serve(const GatewayOptions& opts, RestartPlan& restart);
}  // namespace

int run_gateway(const GatewayOptions& opts) {
  (void)self_exe_path();  // read now: an upgrade may replace the file before a restart
  RestartPlan restart;
  int code = serve(opts, restart);
  // Every subsystem is gone (the database closed): the new image takes over the sockets.
  if (restart.requested) return reexec(restart);
  return code;
}

namespace {

int serve(const GatewayOptions& opts, RestartPlan& restart) {
  auto t_start = std::chrono::steady_clock::now();
  const std::vector<int> inherited = inherited_listeners();
  RuntimeInfo info;
  info.state_dir = resolve_state_dir(opts.state_dir);
  info.config_path = resolve_config_path(opts.config_path, info.state_dir);
  if (auto s = make_dirs(info.state_dir + "/logs", 0700); !s.ok()) {
    fprintf(stderr, "error: %s\n", s.error().message.c_str());
    return 1;
  }
  info.log_file = info.state_dir + "/logs/gateway.log";
  log::init({opts.verbose ? "debug" : "info", info.log_file});
  // One gateway per state dir: two would share the session database, the token and the
  // channel offsets, and answer every platform message twice.
  auto lock = DirLock::acquire(info.state_dir + "/gateway.lock");
  if (!lock.ok() && lock.error().code == ErrorCode::kConflict) {
    log::error(
        "another simpleclaw gateway is already running on the state dir {} ({}); "
        "stop it first, or give this one its own --state-dir",
        info.state_dir, lock.error().message);
    return 1;
  }
  if (!lock.ok()) {
    log::error(
        "the state dir {} is not writable ({}): check that its file system is mounted "
        "read-write, not full, and that this user owns it",
        info.state_dir, lock.error().message);
    return 1;
  }

  // 1. config
  StepTimer step_config("config");
  config::FileState file = config::read_state(info.config_path);
  if (!file.error.empty()) {
    log::error("cannot read config {}: {}", info.config_path, file.error);
    return 1;
  }
  config::Parsed parsed = config::parse(file.raw);
  std::string local_text = file.raw;  // what the gateway validated (cluster mode's local keys)
  std::string degraded;  // why the gateway runs on the last-known-good copy ("" = it does not)
  if (!parsed.ok()) {
    log::error("config {} is invalid ({} problem{}):", info.config_path, parsed.issues.size(),
               parsed.issues.size() == 1 ? "" : "s");
    for (const auto& i : parsed.issues) log::error("  {}", i.to_string());
    // An upgrade with a renamed key or a typo must not keep the gateway down: run on the
    // copy of the last file it ran on, say so everywhere, and take the fixed file on
    // SIGHUP. --strict-config (or no copy yet) refuses instead.
    const std::string lkg_path = info.state_dir + "/" + kLastGoodConfig;
    config::Parsed lkg;
    auto lkg_text =
        opts.strict_config ? Result<std::string>(Error::not_found("strict")) : read_file(lkg_path);
    if (lkg_text.ok()) lkg = config::parse(*lkg_text);
    if (!lkg_text.ok() || !lkg.ok()) {
      log::error("fix the file (or run `simpleclaw config validate`) and start again{}",
                 opts.strict_config ? " (--strict-config: no fallback)"
                                    : " (there is no valid last-known-good copy to fall back to)");
      return 1;
    }
    degraded = parsed.issues.front().to_string();
    local_text = *lkg_text;
    log::error(
        "DEGRADED: running on the last-known-good config {} instead; fix {} and send SIGHUP "
        "(or `simpleclaw gateway restart`). `status` and `health` report this until then.",
        lkg_path, info.config_path);
    parsed = std::move(lkg);
  }
  if (auto w = config::migration_warning(parsed.migrated, parsed.file_version, info.config_path);
      !w.empty())
    log::warn("{}", w);
  // Cluster mode: the config is the cluster's shared document (docs/cluster.md "Config").
  std::optional<sessions::SessionStore> cluster_store;
  std::optional<ClusterJoin> cluster_join;
  if (parsed.config.cluster.enabled()) {
    auto joined = join_cluster(info, parsed.config, local_text, info.config_path);
    if (!joined.ok()) {
      log::error("cluster {}: {}", parsed.config.cluster.name, joined.error().message);
      return 1;
    }
    parsed.config = std::move(joined->cfg);
    file = std::move(joined->file);
    cluster_store.emplace(std::move(joined->store));
    cluster_join = std::move(joined->join);
  }
  config::Config cfg = std::move(parsed.config);
  // The log file rotates at the configured size (the sinks were opened with the
  // defaults, before the config could be read).
  log::init({opts.verbose ? "debug" : cfg.logging.level, info.log_file,
             static_cast<std::size_t>(cfg.logging.max_bytes),
             static_cast<std::size_t>(cfg.logging.max_files)});
  if (opts.port)
    info.port_override = *opts.port;
  else if (std::string p = env_var("SIMPLECLAW_PORT"); !p.empty())
    info.port_override = std::atoi(p.c_str());
  if (!opts.bind.empty()) info.bind_override = opts.bind;
  if (info.port_override) cfg.gateway.port = *info.port_override;
  if (info.bind_override) cfg.gateway.bind = *info.bind_override;
  if (cfg.gateway.port < 0 || cfg.gateway.port > 65535) {
    log::error("port {} is out of range (0-65535)", cfg.gateway.port);
    return 1;
  }
  bool loopback = config::is_loopback_bind(cfg.gateway.bind);
  if (cfg.gateway.auth.mode == "none" && !loopback) {
    log::error(
        "auth mode 'none' is refused with bind '{}': anyone on the network could "
        "control the gateway. Use bind: loopback or auth mode token.",
        cfg.gateway.bind);
    return 1;
  }
  AuthSettings auth{cfg.gateway.auth.mode, "", cfg.gateway.auth.password};
  if (auth.mode == "token") {
    auto tok = resolve_token(cfg, info.state_dir);
    if (!tok.ok()) {
      log::error("cannot set up the gateway token: {}", tok.error().message);
      return 1;
    }
    auth.token = tok->first;
    info.token_source = tok->second;
    // Reachable from the network with a guessable token: say so, and how to fix it.
    constexpr std::size_t kMinExposedToken = 32;
    if (!loopback && auth.token.size() < kMinExposedToken) {
      std::string where =
          info.token_source == "config" ? "gateway.auth.token in " + info.config_path
          : info.token_source == "env"  ? "SIMPLECLAW_GATEWAY_TOKEN"
                                        : info.token_source.substr(info.token_source.find(':') + 1);
      log::warn(
          "the gateway token ({}) is only {} characters and bind '{}' exposes the gateway "
          "to the network: anyone who reaches the port can try to guess it. Fix: remove "
          "it (and {}/gateway.token) so a 256-bit token is generated, or set one of at "
          "least {} characters, e.g. `simpleclaw config set gateway.auth.token "
          "\"$(openssl rand -base64 32)\"`",
          where, auth.token.size(), cfg.gateway.bind, info.state_dir, kMinExposedToken);
    }
  }
  step_config.done(cfg.cluster.enabled() ? info.config_path + " + " + file.path
                   : file.exists         ? info.config_path
                                         : "embedded default (no " + info.config_path + ")");
  // The protocol's JSON Schemas are not compiled here: each is compiled when first used
  // (protocol/schemas.h). Compiling all 225 to check them was half of the start-up's
  // instructions and touched their 170 KB of text (idle RSS, docs/benchmarks.md "Idle
  // RSS (issue 18)"). They are build artefacts, checked by the unit test
  // Schemas.AllLoadAndEveryMethodHasParamsSchema; one that did not compile would fail
  // closed (every frame it checks refused) on its first use.

  // Session store, tools and agents: migrations and crash recovery run before anything
  // can reach them.
  StepTimer step_store("session store");
  boost::asio::io_context io(1);
  ServiceNotifier service(io);  // systemd Type=notify; a no-op outside systemd
  std::optional<TlsMaterial> tls;
  if (cfg.gateway.tls.enabled) {
    auto m = ensure_tls_material(cfg.gateway.tls, info.state_dir);
    if (!m.ok()) {
      log::error("{}", m.error().message);
      return 1;
    }
    tls = *m;
    info.tls = true;
    info.tls_fingerprint = m->fingerprint;
    log::record(
        "tls.certificate",
        Json{{"cert", m->cert_path}, {"generated", m->generated}, {"sha256", m->fingerprint}},
        fmt::format("TLS certificate {}{} sha256 {}", m->cert_path,
                    m->generated ? " (generated, self-signed)" : "", m->fingerprint));
  }
  std::vector<std::string> hosts = bind_hosts(cfg.gateway.bind);
  // bind: tailnet listens on this machine's Tailscale IPv4 (auth none was refused above).
  std::optional<discovery::TailscaleInfo> tailscale;
  if (cfg.gateway.bind == "tailnet") {
    tailscale = discovery::query_tailscale();
    auto ip = discovery::tailnet_bind_address(*tailscale);
    if (!ip.ok()) {
      log::error("{}", ip.error().message);
      return 1;
    }
    hosts = {*ip};
  }
  info.bind_host = hosts.front();
  auto opened =
      Gateway::open(io, info, cfg, file, auth, std::move(cluster_store), std::move(cluster_join));
  if (!opened.ok()) {
    log::error("session store: {}", opened.error().message);
    return 1;
  }
  Gateway& gw = **opened;
  if (!degraded.empty()) gw.set_config_degraded(degraded);
  step_store.done(cfg.store.backend == "postgres" ? std::string("PostgreSQL") : info.sessions_db());

  // 2. plugins
  StepTimer step_plugins("plugins");
  step_plugins.done(gw.start_plugins());
  // 3. model catalog
  std::size_t model_count = 0;
  for (const auto& p : cfg.models.providers) model_count += p.models.size();
  gw.catalog().probe(nullptr);  // availability for models.list; never delays readiness
  // Implicit providers are named with where they came from (never the key itself).
  std::string implicit;
  for (const auto& p : cfg.models.providers)
    if (!p.implicit_from.empty())
      implicit += (implicit.empty() ? "" : ", ") + p.name + " from " + p.implicit_from;
  StepTimer("model catalog")
      .done(std::to_string(cfg.models.providers.size()) + " providers" +
            (implicit.empty() ? std::string() : " (implicit: " + implicit + ")") + ", " +
            std::to_string(model_count) + " models" +
            (cfg.models.default_model.empty() ? std::string(", no default model")
                                              : ", default " + cfg.models.default_model) +
            (cfg.models.ollama_probe_url.empty()
                 ? std::string()
                 : "; looking for Ollama at " + cfg.models.ollama_probe_url));
  // 4. channels
  StepTimer step_channels("channels");
  step_channels.done(gw.start_channels());

  // 5. WebSocket server
  StepTimer step_server("server");
  Server server(io, gw.transport());
  if (tls) {
    if (auto s = server.enable_tls(*tls); !s.ok()) {
      log::error("{}", s.error().message);
      return 1;
    }
  }
  if (auto s = inherited.empty() ? server.listen(hosts, cfg.gateway.port) : server.adopt(inherited);
      !s.ok()) {
    log::error("{}", s.error().message);
    return 1;
  }
  if (!inherited.empty())
    log::info("listening on {} inherited socket(s) (socket activation or a restart)",
              inherited.size());
  info.port = server.port();
  gw.set_listen_port(info.port);  // known only now when --port 0
  std::string url = info.url();
  step_server.done("listening on " + url);

  // 6. maintenance timers
  StepTimer step_timers("maintenance timers");
  gw.start();
  step_timers.done("tick " + std::to_string(cfg.gateway.timers.tick_ms) + " ms, health " +
                   std::to_string(cfg.gateway.timers.maintenance_ms) + " ms");
  // 7. discovery: mDNS (Avahi) and Tailscale; a missing daemon or binary is a warning.
  StepTimer step_discovery("discovery");
  discovery::DiscoveryService disc(io, [&gw](Json j) { gw.set_discovery_status(std::move(j)); });
  if (tailscale) disc.set_tailscale(*tailscale);
  discovery::TxtInput txt;  // only non-secret facts: the record is public on the LAN
  txt.port = info.port;
  txt.tls = info.tls;
  txt.tls_sha256 = info.tls_fingerprint;
  txt.version = SIMPLECLAW_VERSION;
  txt.protocol = kProtocolVersion;
  txt.auth_mode = auth.mode;
  step_discovery.done(disc.start(cfg, loopback, txt));

  // Signals are handled before gateway.json announces readiness: a SIGHUP/SIGTERM sent
  // as soon as the file appears must reload/drain, not kill the process.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  signals.add(SIGUSR2);  // `simpleclaw gateway restart`
  // A restart's last step: connections accepted before the pause that are still in
  // their HTTP request, or upgraded during the drain, are let finish or closed (1012)
  // rather than reset by the exec; bounded by 2 s (an idle keep-alive connection).
  boost::asio::steady_timer settle_timer(io);
  std::chrono::steady_clock::time_point settle_until{};
  std::function<void()> settle_then_exec = [&] {
    auto now = std::chrono::steady_clock::now();
    if (settle_until == std::chrono::steady_clock::time_point{})
      settle_until = now + std::chrono::seconds(2);
    std::size_t open = gw.close_remaining_clients() + server.sessions_in_progress();
    if (open > 0 && now < settle_until) {
      settle_timer.expires_after(std::chrono::milliseconds(5));
      settle_timer.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) settle_then_exec();
      });
      return;
    }
    restart.fds = server.listener_fds();
    restart.requested = !restart.fds.empty() && !restart.argv[0].empty();
    if (!restart.requested) log::error("restart: no listening socket to hand over; stopping");
    io.stop();
  };
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      log::info("SIGHUP: reloading {}", info.config_path);
      (void)gw.reload_config();
      signals.async_wait(on_signal);
      return;
    }
    if (sig == SIGUSR2) {
      // Restart: the sockets stay open (connections wait in the backlog for the next
      // image); the drain is the same as for SIGTERM.
      log::info("SIGUSR2: restarting in place (the listening sockets are handed over)");
      service.reloading("restarting");
      server.pause_accepting();
      restart.argv = {self_exe_path(), "gateway",  "--state-dir",
                      info.state_dir,  "--config", info.config_path};
      if (opts.verbose) restart.argv.push_back("--verbose");
      signals.async_wait([&](const boost::system::error_code& e2, int) {
        if (!e2) {
          log::warn("second signal: exiting now");
          restart.requested = false;
          io.stop();
        }
      });
      gw.shutdown("restart", gw.restart_expected_ms(), [&] { settle_then_exec(); });
      return;
    }
    log::info("{}: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    service.stopping("shutting down");
    server.stop_accepting();
    signals.async_wait([&](const boost::system::error_code& e2, int) {
      if (!e2) {
        log::warn("second signal: exiting now");
        io.stop();
      }
    });
    gw.shutdown(sig == SIGINT ? "interrupted" : "terminated", std::nullopt, [&] { io.stop(); });
  };
  signals.async_wait(on_signal);
  ::signal(SIGPIPE, SIG_IGN);

  auto ready_ms = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - t_start)
                      .count() /
                  1000.0;
  std::string where =
      auth.mode == "token"
          ? (info.token_source.rfind("file:", 0) == 0 ||
                     info.token_source.rfind("generated:", 0) == 0
                 ? "token in " + info.token_source.substr(info.token_source.find(':') + 1)
                 : "token from " + info.token_source)
          : "auth " + auth.mode;
  log::record("gateway.ready",
              Json{{"version", SIMPLECLAW_VERSION},
                   {"readyMs", ready_ms},
                   {"url", url},
                   {"tls", info.tls},
                   {"logFile", info.log_file}},
              fmt::format("simpleclaw {} ready in {:.1f} ms on {} ({}; logs {})",
                          SIMPLECLAW_VERSION, ready_ms, url, where, info.log_file));
  if (info.token_source.rfind("generated:", 0) == 0)
    log::info("generated a new gateway token; clients read it from {}",
              info.token_source.substr(10));
  // ws://host:port -> http://host:port/ (the dashboard is on the same port).
  log::info("Control UI: {}/ (`simpleclaw dashboard` prints a sign-in link)",
            (info.tls ? "https" : "http") + url.substr(url.find("://")));
  // Runtime file: lets `simpleclaw call` and tests find this gateway. Written last, so a
  // watcher that sees it also sees the complete start-up log.
  std::string runtime_file = info.state_dir + "/gateway.json";
  Json rt{{"pid", ::getpid()},      {"port", info.port}, {"url", url},
          {"bind", info.bind_host}, {"tls", info.tls},   {"startedAt", wall_now_ms()}};
  if (info.tls) rt["tlsSha256"] = info.tls_fingerprint;
  if (auto s = write_file_atomic(runtime_file, rt.dump() + "\n", 0600); !s.ok())
    log::warn("cannot write {}: {}", runtime_file, s.error().message);
  // After gateway.json: when `systemctl start` returns, clients find the gateway.
  service.ready("listening on " + url);
  // It started on this file: the copy a broken edit or upgrade falls back to.
  if (degraded.empty() && file.exists) save_last_good(info.state_dir, info.config_path);

  run_loop(io, [](const std::string& what) {
    log::error(
        "internal error: a task on the event loop failed ({}); the gateway keeps "
        "running. Please report it with the log around this line.",
        what);
  });
  if (!restart.requested) ::unlink(runtime_file.c_str());  // the next image rewrites it
  log::info(restart.requested ? "handing over to the new process" : "stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace

}  // namespace simpleclaw::gateway
