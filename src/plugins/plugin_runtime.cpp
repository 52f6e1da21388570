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

#include "base/clock.h"
#include "base/json_fields.h"
#include "base/log.h"
#include "base/utf8.h"
#include "plugins/plugin_channel.h"
#include "proc/subprocess.h"
#include "proc/supervised_child.h"

namespace simpleclaw::plugins {

namespace asio = boost::asio;
using boost::system::error_code;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kMaxTools = 256;
constexpr std::size_t kMaxModels = 1000;  // as config models.providers.*.models
constexpr std::size_t kMaxLogMessage = 2000;

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

PluginRuntime::PluginRuntime(asio::io_context& io, PluginSetup setup, const PluginHostOptions& opts)
    : io_(io), setup_(std::move(setup)), opts_(opts), ping_timer_(io) {
  version_ = setup_.manifest.version;
  if (!setup_.config_error.empty()) {
    state_ = PluginState::kFailed;
    last_error_ = setup_.config_error;
  } else if (!setup_.enabled) {
    state_ = PluginState::kDisabled;
  }
}

// A process still running is killed by the supervisor's destructor (the host was torn
// down without stop()).
PluginRuntime::~PluginRuntime() = default;

proc::StdioRpcPeer* PluginRuntime::peer() const { return child_ ? child_->peer() : nullptr; }
std::uint64_t PluginRuntime::gen() const { return child_ ? child_->generation() : 0; }
bool PluginRuntime::stopping() const { return child_ && child_->stopping(); }
bool PluginRuntime::running() const { return state_ == PluginState::kRunning && peer(); }
int PluginRuntime::restarts() const { return child_ ? child_->restarts() : 0; }
pid_t PluginRuntime::pid() const { return child_ ? child_->pid() : -1; }

Json PluginRuntime::status() const {
  Json j{{"name", name()},
         {"version", version_},
         {"kind", plugin_kind_name(kind())},
         {"state", plugin_state_name(state_)},
         {"restarts", restarts()},
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
  if (child_ || state_ == PluginState::kFailed || state_ == PluginState::kDisabled) return;
  proc::SupervisedChild::Options o;
  o.log_name = prefix();
  // Jitter spreads restarts of plugins that failed together (a shared dependency).
  o.backoff = BackoffPolicy{opts_.backoff_initial.count(), opts_.backoff_max.count(),
                            1.0 - opts_.backoff_jitter, 1.0 + opts_.backoff_jitter};
  o.healthy_reset = opts_.healthy_reset;
  o.stop_grace = opts_.stop_grace;
  std::weak_ptr<PluginRuntime> weak = weak_from_this();
  proc::SupervisedChild::Hooks h;
  h.spec = [weak] {
    auto self = weak.lock();
    proc::ProcessSpec spec;
    proc::StdioRpcOptions ro;
    if (!self) return std::make_pair(spec, ro);
    const PluginManifest& m = self->setup_.manifest;
    spec.argv.push_back(m.command);
    spec.argv.insert(spec.argv.end(), m.args.begin(), m.args.end());
    spec.env = proc::scrubbed_env();
    spec.cwd = m.dir;
    ro.log_name = self->prefix();
    ro.max_line = self->opts_.max_line;
    ro.max_bytes_per_sec = self->opts_.max_bytes_per_sec;
    ro.max_bad_lines = self->opts_.max_bad_lines;
    ro.stderr_lines_per_sec = self->opts_.stderr_lines_per_sec;
    self->state_ = PluginState::kStarting;
    return std::make_pair(spec, ro);
  };
  h.on_started = [weak](proc::StdioRpcPeer&) {
    if (auto self = weak.lock()) self->initialize();
  };
  h.on_request = [weak](const std::string& m, const Json& p, proc::StdioRpcPeer::Responder r) {
    if (auto self = weak.lock()) self->on_request(m, p, std::move(r));
  };
  h.on_notification = [weak](const std::string& m, const Json& p) {
    if (auto self = weak.lock()) self->on_notification(m, p);
  };
  h.on_exit = [weak](const std::string& what, bool stopping, proc::StdioRpcPeer*) {
    if (auto self = weak.lock()) self->on_exit(what, stopping);
  };
  h.on_restart = [weak](std::chrono::milliseconds delay, int attempt) {
    auto self = weak.lock();
    if (!self) return;
    self->state_ = PluginState::kBackoff;
    log::event("plugin.restart",
               nlohmann::json{{"plugin", self->name()},
                              {"delayMs", delay.count()},
                              {"attempt", attempt},
                              {"error", self->last_error_}},
               self->prefix() + ": restarting in " + std::to_string(delay.count()) + " ms");
  };
  child_ = proc::SupervisedChild::create(io_, std::move(o), std::move(h));
  child_->start();
}

void PluginRuntime::initialize() {
  std::weak_ptr<PluginRuntime> weak = weak_from_this();
  std::uint64_t gen = this->gen();
  Json params{{"protocolVersion", 1},
              {"name", name()},
              {"kind", plugin_kind_name(kind())},
              {"config", setup_.config}};
  if (kind() == PluginKind::kChannel) params["accounts"] = setup_.accounts;
  peer()->request("initialize", std::move(params), opts_.init_timeout, [weak, gen](Result<Json> r) {
    auto self = weak.lock();
    if (self && self->current(gen)) self->handshake_done(gen, std::move(r));
  });
}

bool PluginRuntime::current(std::uint64_t gen) const {
  return gen == this->gen() && peer() && !stopping();
}

void PluginRuntime::handshake_done(std::uint64_t gen, Result<Json> r) {
  if (!r.ok()) return fail_process("failed to initialize: " + r.error().message);
  if (!r->is_object()) return fail_process("answered initialize with something not an object");
  std::string v = json_str(*r, "version");
  if (!v.empty()) version_ = clip_text(v, 64);
  auto caps = r->find("capabilities");
  capabilities_ = caps != r->end() && caps->is_object() ? *caps : Json::object();
  if (kind() == PluginKind::kTool) return list_tools(gen);
  if (kind() == PluginKind::kProvider) return list_models(gen);
  became_running();
}

void PluginRuntime::list_models(std::uint64_t gen) {
  std::weak_ptr<PluginRuntime> weak = weak_from_this();
  peer()->request(
      "provider/models", Json::object(), opts_.init_timeout, [weak, gen](Result<Json> r) {
        auto self = weak.lock();
        if (!self || !self->current(gen)) return;
        // Optional: a plugin that does not implement it (an error answer) lists no models and
        // serves whatever the config lists. No answer at all is a hung plugin.
        if (!r.ok() && !answered(r.error()))
          return self->fail_process("failed to list its models: " + r.error().message);
        std::vector<config::ModelEntry> models;
        const Json& list = r.ok() && r->is_object() ? r->value("models", Json()) : Json();
        if (list.is_array()) {
          for (const auto& m : list) {
            if (models.size() >= kMaxModels) break;
            std::string id = json_str(m, "id");
            if (id.empty() || id.size() > 200) continue;
            config::ModelEntry e;
            e.id = id;
            e.name = clip_text(json_str(m, "name"), 200);
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
  peer()->request("tools/list", Json::object(), opts_.init_timeout, [weak, gen](Result<Json> r) {
    auto self = weak.lock();
    if (!self || !self->current(gen)) return;
    if (!r.ok()) return self->fail_process("failed to list its tools: " + r.error().message);
    std::vector<PluginToolInfo> tools;
    const Json& list = r->is_object() ? r->value("tools", Json()) : Json();
    if (list.is_array()) {
      for (const auto& t : list) {
        if (tools.size() >= kMaxTools) break;
        std::string n = json_str(t, "name");
        if (n.empty() || n.size() > 64) continue;
        Json schema = t.is_object() && t.contains("inputSchema") && t["inputSchema"].is_object()
                          ? t["inputSchema"]
                          : Json{{"type", "object"}};
        tools.push_back({n, clip_text(json_str(t, "description"), 4000), std::move(schema)});
      }
    }
    self->tools_ = std::move(tools);
    self->became_running();
  });
}

void PluginRuntime::became_running() {
  state_ = PluginState::kRunning;
  started_at_ms_ = wall_now_ms();
  child_->mark_healthy();
  log::info("{}: running ({} {})", prefix(), plugin_kind_name(kind()), version_);
  schedule_ping(gen());
  // Accounts that started while the process was down send channel/start now.
  auto chans = channels_;
  for (auto& [id, ch] : chans)
    if (channels_.count(id) && channels_[id] == ch) ch->on_process_up();
}

void PluginRuntime::schedule_ping(std::uint64_t gen) {
  ping_timer_.expires_after(opts_.ping_interval);
  std::weak_ptr<PluginRuntime> weak = weak_from_this();
  ping_timer_.async_wait([weak, gen](const error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || !self->current(gen)) return;
    self->peer()->request(
        "ping", Json::object(), self->opts_.ping_timeout, [weak, gen](Result<Json> r) {
          auto self = weak.lock();
          if (!self || !self->current(gen)) return;
          if (!r.ok() && !answered(r.error()))
            return self->fail_process("did not answer ping within " +
                                      std::to_string(self->opts_.ping_timeout.count()) +
                                      " ms (hung)");
          self->schedule_ping(gen);
        });
  });
}

void PluginRuntime::fail_process(const std::string& reason) {
  if (child_) child_->kill(reason);  // on_exit follows with the reason
}

void PluginRuntime::on_exit(const std::string& what, bool stopping) {
  ping_timer_.cancel();
  if (stopping) {
    log::info("{}: stopped", prefix());
    channels_down(prefix() + " stopped");
    return;
  }
  last_error_ = prefix() + " " + what;
  log::warn("{}; restarting", last_error_);
  channels_down(last_error_);
}

void PluginRuntime::stop(std::function<void()> done) {
  ping_timer_.cancel();
  if (!child_) {  // never started (disabled, failed, or not yet)
    if (state_ != PluginState::kFailed && state_ != PluginState::kDisabled)
      state_ = PluginState::kStopped;
    channels_down(prefix() + " stopped");
    if (done) asio::post(io_, std::move(done));
    return;
  }
  // Polite first: `shutdown` (only to a process that finished its handshake), then
  // SIGTERM, then SIGKILL. The supervisor keeps itself alive meanwhile, so the host may
  // drop this runtime now.
  std::function<void(std::function<void()>)> polite;
  if (state_ == PluginState::kRunning) {
    polite = [peer = child_->peer(), timeout = opts_.shutdown_timeout](std::function<void()> then) {
      peer->request("shutdown", Json::object(), timeout,
                    [then = std::move(then)](Result<Json>) { then(); });
    };
  }
  if (!child_->peer()) channels_down(prefix() + " stopped");  // between processes
  // The stop waiter holds the runtime until the process is gone.
  child_->stop(std::move(polite), [self = shared_from_this(), done = std::move(done)] {
    if (self->state_ != PluginState::kFailed && self->state_ != PluginState::kDisabled)
      self->state_ = PluginState::kStopped;
    if (done) done();
  });
}

// ---- messages ----

std::uint64_t PluginRuntime::request(const std::string& method, Json params, milliseconds timeout,
                                     proc::StdioRpcPeer::ResponseFn fn) {
  if (!running()) {
    std::string msg = last_error_.empty() ? prefix() + " is not running" : last_error_;
    asio::post(io_, [fn = std::move(fn), msg] {
      if (fn) fn(Error::unavailable(msg, 1000));
    });
    return 0;
  }
  return peer()->request(method, std::move(params), timeout, std::move(fn));
}

void PluginRuntime::forget(std::uint64_t id) {
  if (peer() && id) peer()->forget(id);
}

void PluginRuntime::notify(const std::string& method, Json params) {
  if (running()) peer()->notify(method, std::move(params));
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
  std::string acc = json_str(params, "accountId");
  auto it = channels_.find(acc);
  return it == channels_.end() ? nullptr : it->second;
}

void PluginRuntime::on_request(const std::string& method, const Json& params,
                               proc::StdioRpcPeer::Responder r) {
  if (method == "channel/inbound" && kind() == PluginKind::kChannel) {
    PluginChannel* ch = channel_for(params);
    if (!ch)
      return r.error(-32001,
                     "account not started: " + clip_text(json_str(params, "accountId"), 64));
    return ch->on_inbound(params, std::move(r));
  }
  if (method == "ping") return r.ok(Json::object());
  r.error(-32601, "Method not found: " + clip_text(method, 100));
}

void PluginRuntime::on_notification(const std::string& method, const Json& params) {
  if (method == "log") {
    std::string level = json_str(params, "level");
    std::string msg = clip_text(json_str(params, "message"), kMaxLogMessage);
    if (level == "error" || level == "warn" || level == "warning")
      log::warn("{}: {}", prefix(), msg);
    else if (level == "info")
      log::info("{}: {}", prefix(), msg);
    else
      log::debug("{}: {}", prefix(), msg);
    return;
  }
  if (kind() == PluginKind::kProvider && method == "provider/delta") {
    auto it = requests_.find(json_str(params, "requestId"));
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
