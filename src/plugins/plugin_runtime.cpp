// PluginRuntime (see plugin_runtime.h).
//
// Every process gets a generation number; callbacks from an older process (a late exit,
// a ping answered after a restart) carry their generation and are dropped. The state
// moves: discovered -> starting -> running; any failure -> backoff -> starting ...;
// stop() -> stopped. disabled and failed are set by configure() and never start.
#include "plugins/plugin_runtime.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <random>

#include "base/log.h"
#include "plugins/plugin_channel.h"
#include "tools/subprocess.h"

namespace simpleclaw::plugins {

namespace net = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kMaxTools = 256;
constexpr std::size_t kMaxModels = 1000;  // as config models.providers.*.models
constexpr std::size_t kMaxLogMessage = 2000;

std::string clip(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...";
}

std::string str_field(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An error that means the plugin answered (with a JSON-RPC error), as opposed to no
// answer at all: a plugin without `ping` is still alive.
bool answered(const Error& e) { return e.details.is_object() && e.details.contains("rpcCode"); }

}  // namespace

const char* plugin_state_name(PluginState s) {
  switch (s) {
    case PluginState::kDiscovered:
      return "discovered";
    case PluginState::kStarting:
      return "starting";
    case PluginState::kRunning:
      return "running";
    case PluginState::kBackoff:
      return "backoff";
    case PluginState::kStopped:
      return "stopped";
    case PluginState::kFailed:
      return "failed";
    case PluginState::kDisabled:
      return "disabled";
  }
  return "stopped";
}

Json PluginSetup::fingerprint() const {
  return Json{{"path", manifest.path},
              {"command", manifest.command},
              {"args", manifest.args},
              {"version", manifest.version},
              {"kind", plugin_kind_name(manifest.kind)},
              {"schema", manifest.config_schema},
              {"enabled", enabled},
              {"config", config},
              {"accounts", accounts},
              {"error", config_error}};
}

struct PluginRuntime::Timers {
  explicit Timers(net::io_context& io) : restart(io), ping(io), kill(io) {}
  net::steady_timer restart;
  net::steady_timer ping;
  net::steady_timer kill;
};

PluginRuntime::PluginRuntime(net::io_context& io, PluginSetup setup, const PluginHostOptions& opts)
    : io_(io), setup_(std::move(setup)), opts_(opts), timers_(std::make_unique<Timers>(io)) {
  version_ = setup_.manifest.version;
  if (!setup_.config_error.empty()) {
    state_ = PluginState::kFailed;
    last_error_ = setup_.config_error;
  } else if (!setup_.enabled) {
    state_ = PluginState::kDisabled;
  }
}

PluginRuntime::~PluginRuntime() {
  // Reached only after stop() finished or when the host is torn down without stop():
  // then kill what is left (the Process reaps it).
  if (peer_) peer_->kill("gateway is going away");
}

Json PluginRuntime::status() const {
  Json j{{"name", name()},
         {"version", version_},
         {"kind", plugin_kind_name(kind())},
         {"state", plugin_state_name(state_)},
         {"restarts", restarts_},
         {"path", setup_.manifest.path}};
  if (!last_error_.empty()) j["lastError"] = last_error_;
  if (pid() > 0) j["pid"] = pid();
  if (!setup_.manifest.description.empty()) j["description"] = setup_.manifest.description;
  if (started_at_ms_ && state_ == PluginState::kRunning) j["startedAtMs"] = started_at_ms_;
  if (kind() == PluginKind::kTool) {
    Json names = Json::array();
    for (const auto& t : tools_) names.push_back(t.name);
    j["tools"] = std::move(names);
  }
  if (kind() == PluginKind::kChannel) j["accounts"] = setup_.accounts;
  if (kind() == PluginKind::kProvider) {
    Json ids = Json::array();
    for (const auto& m : models_) ids.push_back(m.id);
    j["models"] = std::move(ids);
    j["activeRequests"] = requests_.size();
  }
  return j;
}

// ---- lifecycle ----

void PluginRuntime::start() {
  if (started_ || stopping_ || state_ == PluginState::kFailed || state_ == PluginState::kDisabled)
    return;
  started_ = true;
  spawn();
}

void PluginRuntime::spawn() {
  ++gen_;
  std::uint64_t gen = gen_;
  state_ = PluginState::kStarting;
  tools::ProcessSpec spec;
  spec.argv.push_back(setup_.manifest.command);
  spec.argv.insert(spec.argv.end(), setup_.manifest.args.begin(), setup_.manifest.args.end());
  spec.env = tools::scrubbed_env();
  spec.cwd = setup_.manifest.dir;
  tools::StdioRpcOptions ro;
  ro.log_name = prefix();
  ro.max_line = opts_.max_line;
  ro.max_bytes_per_sec = opts_.max_bytes_per_sec;
  ro.max_bad_lines = opts_.max_bad_lines;
  ro.stderr_lines_per_sec = opts_.stderr_lines_per_sec;
  std::weak_ptr<PluginRuntime> weak = weak_from_this();
  tools::StdioRpcPeer::Handlers h;
  h.on_request = [weak, gen](const std::string& m, const Json& p,
                             tools::StdioRpcPeer::Responder r) {
    auto self = weak.lock();
    if (!self || gen != self->gen_) return r.error(-32000, "plugin is being replaced");
    self->on_request(m, p, std::move(r));
  };
  h.on_notification = [weak, gen](const std::string& m, const Json& p) {
    auto self = weak.lock();
    if (self && gen == self->gen_) self->on_notification(m, p);
  };
  h.on_exit = [weak, gen](const tools::ExitStatus& st, const std::string& reason) {
    if (auto self = weak.lock()) self->on_exit(gen, st, reason);
  };
  auto peer = tools::StdioRpcPeer::spawn(io_, std::move(spec), std::move(ro), std::move(h));
  if (!peer) {
    last_error_ = prefix() + ": " + peer.error().message;
    log::warn("{}", last_error_);
    schedule_restart();
    return;
  }
  peer_ = std::move(*peer);
  log::info("{}: started (pid {})", prefix(), peer_->pid());
  Json params{{"protocolVersion", 1},
              {"name", name()},
              {"kind", plugin_kind_name(kind())},
              {"config", setup_.config}};
  if (kind() == PluginKind::kChannel) params["accounts"] = setup_.accounts;
  peer_->request("initialize", std::move(params), opts_.init_timeout, [weak, gen](Result<Json> r) {
    auto self = weak.lock();
    if (self && gen == self->gen_ && self->peer_ && !self->stopping_)
      self->handshake_done(gen, std::move(r));
  });
}

void PluginRuntime::handshake_done(std::uint64_t gen, Result<Json> r) {
  if (!r.ok()) return fail_process("failed to initialize: " + r.error().message);
  if (!r->is_object()) return fail_process("answered initialize with something not an object");
  std::string v = str_field(*r, "version");
  if (!v.empty()) version_ = clip(v, 64);
  auto caps = r->find("capabilities");
  capabilities_ = caps != r->end() && caps->is_object() ? *caps : Json::object();
  if (kind() == PluginKind::kTool) return list_tools(gen);
  if (kind() == PluginKind::kProvider) return list_models(gen);
  became_running();
}

void PluginRuntime::list_models(std::uint64_t gen) {
  std::weak_ptr<PluginRuntime> weak = weak_from_this();
  peer_->request(
      "provider/models", Json::object(), opts_.init_timeout, [weak, gen](Result<Json> r) {
        auto self = weak.lock();
        if (!self || gen != self->gen_ || !self->peer_ || self->stopping_) return;
        // Optional: a plugin that does not implement it (an error answer) lists no models and
        // serves whatever the config lists. No answer at all is a hung plugin.
        if (!r.ok() && !answered(r.error()))
          return self->fail_process("failed to list its models: " + r.error().message);
        std::vector<config::ModelEntry> models;
        const Json& list = r.ok() && r->is_object() ? r->value("models", Json()) : Json();
        if (list.is_array()) {
          for (const auto& m : list) {
            if (models.size() >= kMaxModels) break;
            std::string id = str_field(m, "id");
            if (id.empty() || id.size() > 200) continue;
            config::ModelEntry e;
            e.id = id;
            e.name = clip(str_field(m, "name"), 200);
            if (auto c = m.find("contextWindow"); c != m.end() && c->is_number_unsigned())
              e.context_window = static_cast<int>(
                  std::clamp<std::uint64_t>(c->get<std::uint64_t>(), 256, 1u << 30));
            if (auto c = m.find("maxOutput"); c != m.end() && c->is_number_unsigned())
              e.max_tokens =
                  static_cast<int>(std::clamp<std::uint64_t>(c->get<std::uint64_t>(), 1, 1u << 30));
            models.push_back(std::move(e));
          }
        }
        self->models_ = std::move(models);
        self->became_running();
      });
}

void PluginRuntime::list_tools(std::uint64_t gen) {
  std::weak_ptr<PluginRuntime> weak = weak_from_this();
  peer_->request("tools/list", Json::object(), opts_.init_timeout, [weak, gen](Result<Json> r) {
    auto self = weak.lock();
    if (!self || gen != self->gen_ || !self->peer_ || self->stopping_) return;
    if (!r.ok()) return self->fail_process("failed to list its tools: " + r.error().message);
    std::vector<PluginToolInfo> tools;
    const Json& list = r->is_object() ? r->value("tools", Json()) : Json();
    if (list.is_array()) {
      for (const auto& t : list) {
        if (tools.size() >= kMaxTools) break;
        std::string n = str_field(t, "name");
        if (n.empty() || n.size() > 64) continue;
        Json schema = t.is_object() && t.contains("inputSchema") && t["inputSchema"].is_object()
                          ? t["inputSchema"]
                          : Json{{"type", "object"}};
        tools.push_back({n, clip(str_field(t, "description"), 4000), std::move(schema)});
      }
    }
    self->tools_ = std::move(tools);
    self->became_running();
  });
}

void PluginRuntime::became_running() {
  state_ = PluginState::kRunning;
  started_at_ms_ = now_ms();
  running_since_ = Clock::now();
  log::info("{}: running ({} {})", prefix(), plugin_kind_name(kind()), version_);
  schedule_ping(gen_);
  // Accounts that started while the process was down send channel/start now.
  auto chans = channels_;
  for (auto& [id, ch] : chans)
    if (channels_.count(id) && channels_[id] == ch) ch->on_process_up();
}

void PluginRuntime::schedule_ping(std::uint64_t gen) {
  timers_->ping.expires_after(opts_.ping_interval);
  std::weak_ptr<PluginRuntime> weak = weak_from_this();
  timers_->ping.async_wait([weak, gen](const error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || gen != self->gen_ || !self->peer_ || self->stopping_) return;
    self->peer_->request(
        "ping", Json::object(), self->opts_.ping_timeout, [weak, gen](Result<Json> r) {
          auto self = weak.lock();
          if (!self || gen != self->gen_ || !self->peer_ || self->stopping_) return;
          if (!r.ok() && !answered(r.error()))
            return self->fail_process("did not answer ping within " +
                                      std::to_string(self->opts_.ping_timeout.count()) +
                                      " ms (hung)");
          self->schedule_ping(gen);
        });
  });
}

void PluginRuntime::fail_process(const std::string& reason) {
  if (peer_) peer_->kill(reason);  // on_exit follows with the reason
}

void PluginRuntime::on_exit(std::uint64_t gen, const tools::ExitStatus& st,
                            const std::string& reason) {
  if (gen != gen_) return;
  peer_.reset();
  timers_->ping.cancel();
  std::string what = !reason.empty() ? reason
                     : st.term_signal != 0
                         ? "exited (signal " + std::to_string(st.term_signal) + ")"
                         : "exited (code " + std::to_string(st.exit_code) + ")";
  if (stopping_) {
    log::info("{}: stopped", prefix());
    channels_down(prefix() + " stopped");
    end_stop();
    return;
  }
  last_error_ = prefix() + " " + what;
  log::warn("{}; restarting", last_error_);
  channels_down(last_error_);
  schedule_restart();
}

void PluginRuntime::schedule_restart() {
  if (stopping_) return;
  state_ = PluginState::kBackoff;
  auto now = Clock::now();
  if (running_since_ != Clock::time_point{} && now - running_since_ >= opts_.healthy_reset)
    backoff_step_ = 0;
  running_since_ = {};
  double base = static_cast<double>(opts_.backoff_initial.count()) *
                static_cast<double>(1LL << std::min(backoff_step_, 20));
  base = std::min(base, static_cast<double>(opts_.backoff_max.count()));
  ++backoff_step_;
  // Jitter spreads restarts of plugins that failed together (a shared dependency).
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> dist(1.0 - opts_.backoff_jitter,
                                              1.0 + opts_.backoff_jitter);
  auto delay = milliseconds(static_cast<long long>(std::max(0.0, base * dist(rng))));
  log::event("plugin.restart",
             nlohmann::json{{"plugin", name()},
                            {"delayMs", delay.count()},
                            {"attempt", backoff_step_},
                            {"error", last_error_}},
             prefix() + ": restarting in " + std::to_string(delay.count()) + " ms");
  timers_->restart.expires_after(delay);
  std::weak_ptr<PluginRuntime> weak = weak_from_this();
  timers_->restart.async_wait([weak](const error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopping_ || self->peer_) return;
    ++self->restarts_;
    self->spawn();
  });
}

void PluginRuntime::stop(std::function<void()> done) {
  if (done) stop_waiters_.push_back(std::move(done));
  if (stopping_) {
    if (!peer_) end_stop();
    return;
  }
  stopping_ = true;
  timers_->restart.cancel();
  timers_->ping.cancel();
  if (!peer_) {
    channels_down(prefix() + " stopped");
    end_stop();
    return;
  }
  // Polite first: `shutdown`, then SIGTERM, then SIGKILL. The timer handlers hold the
  // runtime so the host may drop it now.
  auto self = shared_from_this();
  std::uint64_t gen = gen_;
  auto escalate = [self, gen] {
    if (!self->peer_ || gen != self->gen_) return;
    self->peer_->terminate();
    self->timers_->kill.expires_after(self->opts_.stop_grace);
    self->timers_->kill.async_wait([self](const error_code& ec) {
      if (ec || !self->peer_) return;
      self->peer_->kill("did not exit within " + std::to_string(self->opts_.stop_grace.count()) +
                        " ms of SIGTERM");
      self->timers_->kill.expires_after(std::chrono::seconds(2));
      self->timers_->kill.async_wait([self](const error_code& ec2) {
        if (ec2 || !self->peer_) return;
        log::warn("{}: not reaped after SIGKILL; giving up on it", self->prefix());
        self->peer_->close_output();
        self->peer_.reset();
        self->channels_down(self->prefix() + " stopped");
        self->end_stop();
      });
    });
  };
  if (state_ == PluginState::kRunning) {
    peer_->request("shutdown", Json::object(), opts_.shutdown_timeout,
                   [self, escalate](Result<Json>) { escalate(); });
  } else {
    escalate();
  }
}

void PluginRuntime::end_stop() {
  timers_->kill.cancel();
  timers_->restart.cancel();
  timers_->ping.cancel();
  if (state_ != PluginState::kFailed && state_ != PluginState::kDisabled)
    state_ = PluginState::kStopped;
  auto waiters = std::move(stop_waiters_);
  stop_waiters_.clear();
  for (auto& w : waiters) net::post(io_, std::move(w));
}

// ---- messages ----

std::uint64_t PluginRuntime::request(const std::string& method, Json params, milliseconds timeout,
                                     tools::StdioRpcPeer::ResponseFn fn) {
  if (!running()) {
    std::string msg = last_error_.empty() ? prefix() + " is not running" : last_error_;
    net::post(io_, [fn = std::move(fn), msg] {
      if (fn) fn(Error::unavailable(msg, 1000));
    });
    return 0;
  }
  return peer_->request(method, std::move(params), timeout, std::move(fn));
}

void PluginRuntime::forget(std::uint64_t id) {
  if (peer_ && id) peer_->forget(id);
}

void PluginRuntime::notify(const std::string& method, Json params) {
  if (running()) peer_->notify(method, std::move(params));
}

void PluginRuntime::attach(const std::string& account, PluginChannel* ch) {
  channels_[account] = ch;
}

void PluginRuntime::detach(const std::string& account, PluginChannel* ch) {
  auto it = channels_.find(account);
  if (it != channels_.end() && it->second == ch) channels_.erase(it);
}

void PluginRuntime::attach_request(const std::string& request_id, DeltaFn fn) {
  requests_[request_id] = std::move(fn);
}

void PluginRuntime::detach_request(const std::string& request_id) { requests_.erase(request_id); }

void PluginRuntime::channels_down(const std::string& error) {
  auto chans = channels_;
  for (auto& [id, ch] : chans)
    if (channels_.count(id) && channels_[id] == ch) ch->on_process_down(error);
}

PluginChannel* PluginRuntime::channel_for(const Json& params) const {
  std::string acc = str_field(params, "accountId");
  auto it = channels_.find(acc);
  return it == channels_.end() ? nullptr : it->second;
}

void PluginRuntime::on_request(const std::string& method, const Json& params,
                               tools::StdioRpcPeer::Responder r) {
  if (method == "channel/inbound" && kind() == PluginKind::kChannel) {
    PluginChannel* ch = channel_for(params);
    if (!ch)
      return r.error(-32001, "account not started: " + clip(str_field(params, "accountId"), 64));
    return ch->on_inbound(params, std::move(r));
  }
  if (method == "ping") return r.ok(Json::object());
  r.error(-32601, "Method not found: " + clip(method, 100));
}

void PluginRuntime::on_notification(const std::string& method, const Json& params) {
  if (method == "log") {
    std::string level = str_field(params, "level");
    std::string msg = clip(str_field(params, "message"), kMaxLogMessage);
    if (level == "error" || level == "warn" || level == "warning")
      log::warn("{}: {}", prefix(), msg);
    else if (level == "info")
      log::info("{}: {}", prefix(), msg);
    else
      log::debug("{}: {}", prefix(), msg);
    return;
  }
  if (kind() == PluginKind::kProvider && method == "provider/delta") {
    auto it = requests_.find(str_field(params, "requestId"));
    if (it == requests_.end()) return;  // late (cancelled, timed out) or unknown
    DeltaFn fn = it->second;            // a copy: the handler may detach itself
    fn(params);
    return;
  }
  if (kind() != PluginKind::kChannel) return;
  PluginChannel* ch = channel_for(params);
  if (!ch) return;
  if (method == "channel/status")
    ch->on_status(params);
  else if (method == "channel/alive")
    ch->on_alive();
  else if (method == "channel/button")
    ch->on_button(params);
}

}  // namespace simpleclaw::plugins
