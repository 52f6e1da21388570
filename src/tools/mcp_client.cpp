// McpClient and McpManager (see mcp_client.h).
//
// The process is a proc::SupervisedChild (spawn, generations, restart backoff, stop
// escalation) whose StdioRpcPeer does the framing, JSON-RPC ids, request deadlines,
// stderr logging and kills. This file keeps the MCP logic on top of them.
//
// Bookkeeping: `calls_` holds every tools/call the caller made and has not been answered
// (by call id), including calls still waiting for the server to become ready (rpc_id 0).
// A call's timer runs from call(), so waiting counts against its timeout; its request goes
// to the peer without a deadline. complete_call() is the single exit for a call: it
// removes the call (and forgets its request in the peer), cancels its timer and posts the
// callback. Response callbacks carry the process generation and a weak_ptr, so a late
// message from a dead server or a destroyed client is ignored; `err_tail_`
// keeps the stderr tail of earlier processes so status() shows why the last one died.
#include "tools/mcp_client.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/json_fields.h"
#include "base/log.h"
#include "base/utf8.h"
#include "proc/stdio_rpc.h"
#include "proc/subprocess.h"
#include "proc/supervised_child.h"

namespace simpleclaw::tools {

using proc::ProcessSpec;
using proc::scrubbed_env;
using proc::StdioRpcOptions;
using proc::StdioRpcPeer;

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kProtocolVersion = "2025-06-18";
constexpr std::size_t kMaxTools = 1000;
constexpr int kMaxPages = 100;
constexpr std::size_t kStderrTail = 20;  // lines kept for status()

bool supported_version(const std::string& v) {
  return v == "2024-11-05" || v == "2025-03-26" || v == "2025-06-18";
}

// Bytes of base64 data once decoded.
std::size_t base64_size(const std::string& b64) {
  std::size_t n = 0, pad = 0;
  for (char c : b64) {
    if (c == '=')
      ++pad;
    else if (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '-' ||
             c == '_')
      ++n;
  }
  (void)pad;
  return n * 3 / 4;
}

// tools/call result -> text for the model.
ToolCallResult to_tool_result(Json result) {
  ToolCallResult out;
  if (result.is_object()) {
    auto e = result.find("isError");
    out.is_error = e != result.end() && e->is_boolean() && e->get<bool>();
    std::vector<std::string> parts;
    auto c = result.find("content");
    if (c != result.end() && c->is_array()) {
      for (const auto& part : *c) {
        std::string type = json_str(part, "type");
        if (type == "text") {
          parts.push_back(json_str(part, "text"));
        } else if (type == "image" || type == "audio") {
          std::string mime = json_str(part, "mimeType");
          parts.push_back("[" + type + (mime.empty() ? "" : " " + mime) + " " +
                          std::to_string(base64_size(json_str(part, "data"))) + " bytes]");
        } else if (type == "resource") {
          const Json& res = part.contains("resource") ? part["resource"] : Json();
          if (res.is_object() && res.contains("text") && res["text"].is_string())
            parts.push_back(res["text"].get<std::string>());
          else
            parts.push_back("[resource " + json_str(res, "uri") + "]");
        } else if (type == "resource_link") {
          std::string name = json_str(part, "name");
          parts.push_back("[resource_link " + json_str(part, "uri") +
                          (name.empty() ? "" : " " + name) + "]");
        } else {
          parts.push_back("[" + (type.empty() ? std::string("unknown") : type) + " content]");
        }
      }
    }
    if (parts.empty()) {
      auto s = result.find("structuredContent");
      if (s != result.end() && !s->is_null())
        parts.push_back(s->dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i) out.text += "\n";
      out.text += parts[i];
    }
  }
  out.raw = std::move(result);
  return out;
}

}  // namespace

const char* mcp_state_name(McpState s) {
  switch (s) {
    case McpState::kStarting:
      return "starting";
    case McpState::kReady:
      return "ready";
    case McpState::kFailed:
      return "failed";
    case McpState::kStopped:
      return "stopped";
  }
  return "stopped";
}

struct McpClient::Pending {
  std::uint64_t rpc_id = 0;  // the JSON-RPC id once sent (ids start at 1)
  std::uint64_t call_id = 0;
  std::string tool;
  Json arguments;  // until sent
  CallCallback on_call;
  std::unique_ptr<asio::steady_timer> timer;
};

std::shared_ptr<McpClient> McpClient::create(asio::io_context& io, config::McpServerConfig cfg,
                                             McpClientOptions opts) {
  return std::shared_ptr<McpClient>(new McpClient(io, std::move(cfg), std::move(opts)));
}

McpClient::McpClient(asio::io_context& io, config::McpServerConfig cfg, McpClientOptions opts)
    : io_(io), cfg_(std::move(cfg)), opts_(std::move(opts)) {}

// Dropped without stop(): the supervisor's destructor kills a server still running.
McpClient::~McpClient() = default;

StdioRpcPeer* McpClient::peer() const { return child_ ? child_->peer() : nullptr; }
std::uint64_t McpClient::gen() const { return child_ ? child_->generation() : 0; }
bool McpClient::stopping() const { return child_ && child_->stopping(); }
int McpClient::restarts() const { return child_ ? child_->restarts() : 0; }
pid_t McpClient::pid() const { return child_ ? child_->pid() : -1; }

long long McpClient::restart_in_ms() const {
  if (!child_ || !child_->restart_pending()) return 0;
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(child_->restart_at() - Clock::now());
  return std::max<long long>(0, left.count());
}

const McpTool* McpClient::find_tool(std::string_view name) const {
  for (const auto& t : tools_)
    if (t.name == name) return &t;
  return nullptr;
}

void McpClient::set_state(McpState s) {
  if (state_ == s) return;
  state_ = s;
  log::debug("{}: {}", prefix(), mcp_state_name(s));
  if (on_state_change) on_state_change(s);
}

void McpClient::start() {
  if (child_ || stop_called_) return;
  proc::SupervisedChild::Options o;
  o.log_name = prefix();
  o.backoff = BackoffPolicy{opts_.backoff_initial.count(), opts_.backoff_max.count(), 1.0, 1.0};
  o.healthy_reset = opts_.healthy_reset;
  o.stop_grace = opts_.stop_grace;
  o.reap_grace = std::chrono::seconds(5);
  std::weak_ptr<McpClient> weak = weak_from_this();
  proc::SupervisedChild::Hooks h;
  h.spec = [weak] {
    auto self = weak.lock();
    ProcessSpec spec;
    StdioRpcOptions ro;
    if (!self) return std::make_pair(spec, ro);
    const auto& cfg = self->cfg_;
    spec.argv.push_back(cfg.command);
    spec.argv.insert(spec.argv.end(), cfg.args.begin(), cfg.args.end());
    spec.env = scrubbed_env(cfg.env);
    spec.cwd = cfg.cwd.empty() ? self->opts_.default_cwd : cfg.cwd;
    ro.log_name = self->prefix();
    ro.max_line = self->opts_.max_line;
    ro.max_bytes_per_sec = 0;  // results may be large bursts; max_line bounds each message
    ro.max_bad_lines = 0;      // a non-JSON line is logged and skipped, never fatal
    ro.batches = true;         // protocol 2025-03-26
    ro.error_code = "MCP_ERROR";
    self->protocol_version_.clear();
    self->listing_ = self->relist_ = false;
    self->set_state(McpState::kStarting);
    return std::make_pair(spec, ro);
  };
  h.on_started = [weak](StdioRpcPeer&) {
    if (auto self = weak.lock()) self->initialize();
  };
  h.on_request = [name = prefix()](const std::string& method, const Json&,
                                   StdioRpcPeer::Responder r) {
    if (method == "ping") return r.ok(Json::object());
    log::debug("{}: refused server request {}", name, clip_text(method, 100));
    r.error(-32601, "Method not found: " + clip_text(method, 100));
  };
  h.on_notification = [weak](const std::string& method, const Json& params) {
    if (auto self = weak.lock()) self->on_notification(method, params);
  };
  h.on_timeout = [weak](std::uint64_t id, const std::string&) {
    if (auto self = weak.lock()) self->send_cancelled(id, "timeout");
  };
  h.on_exit = [weak](const std::string& what, bool stopping, StdioRpcPeer* gone) {
    if (auto self = weak.lock()) self->on_exit(what, stopping, gone);
  };
  h.on_restart = [weak](std::chrono::milliseconds delay, int) {
    if (auto self = weak.lock())
      log::info("{}: restarting in {} ms", self->prefix(), delay.count());
  };
  child_ = proc::SupervisedChild::create(io_, std::move(o), std::move(h));
  child_->start();
}

// ---- wire (StdioRpcPeer does the framing, ids, timeouts and server requests) ----

std::uint64_t McpClient::request(const std::string& method, Json params, int timeout_ms,
                                 ResponseFn fn) {
  if (!peer()) {
    asio::post(io_, [fn = std::move(fn), msg = prefix() + " is not running"] {
      fn(Error::unavailable(msg));
    });
    return 0;
  }
  return peer()->request(method, std::move(params), std::chrono::milliseconds(timeout_ms),
                         std::move(fn));
}

void McpClient::send_cancelled(std::uint64_t rpc_id, const char* reason) {
  if (peer() && rpc_id)
    peer()->notify("notifications/cancelled", Json{{"requestId", rpc_id}, {"reason", reason}});
}

void McpClient::on_notification(const std::string& method, const Json& params) {
  if (method == "notifications/tools/list_changed") {
    if (state_ != McpState::kReady || stopping()) return;  // the list in progress will be fresh
    if (listing_)
      relist_ = true;
    else
      list_tools({}, {}, 0);
  } else if (method == "notifications/message") {
    log::debug("{} log: {}", prefix(),
               clip_text(params.dump(-1, ' ', false, Json::error_handler_t::replace), 2000));
  }
  // Other notifications (progress, resources...) are not used.
}

std::vector<std::string> McpClient::stderr_tail() const {
  std::vector<std::string> out(err_tail_.begin(), err_tail_.end());
  if (auto* p = peer()) out.insert(out.end(), p->stderr_tail().begin(), p->stderr_tail().end());
  if (out.size() > kStderrTail) out.erase(out.begin(), out.end() - kStderrTail);
  return out;
}

// ---- lifecycle ----

void McpClient::initialize() {
  std::weak_ptr<McpClient> weak = weak_from_this();
  std::uint64_t gen = this->gen();
  Json params{{"protocolVersion", kProtocolVersion},
              {"capabilities", Json::object()},
              {"clientInfo", {{"name", "simpleclaw"}, {"version", opts_.client_version}}}};
  request("initialize", std::move(params), cfg_.timeout_ms, [weak, gen](Result<Json> r) {
    auto self = weak.lock();
    if (!self || gen != self->gen() || !self->peer() || self->stopping()) return;
    if (!r.ok()) return self->child_->kill("failed to initialize: " + r.error().message);
    std::string v = json_str(*r, "protocolVersion");
    if (!supported_version(v))
      return self->child_->kill("answered protocol version '" + clip_text(v, 40) +
                                "', which is not supported");
    self->protocol_version_ = v;
    Json info = r->is_object() ? r->value("serverInfo", Json()) : Json();
    log::info("{}: initialized ({} {}, protocol {})", self->prefix(), json_str(info, "name"),
              json_str(info, "version"), v);
    self->peer()->notify("notifications/initialized", Json());
    self->list_tools({}, {}, 0);
  });
}

void McpClient::list_tools(std::string cursor, std::vector<McpTool> acc, int pages) {
  listing_ = true;
  std::weak_ptr<McpClient> weak = weak_from_this();
  std::uint64_t gen = this->gen();
  Json params = cursor.empty() ? Json() : Json{{"cursor", cursor}};
  auto on_done = [weak, gen, cursor, acc = std::move(acc), pages](Result<Json> r) mutable {
    auto self = weak.lock();
    if (!self || gen != self->gen() || !self->peer() || self->stopping()) return;
    std::string next;
    if (!r.ok()) {
      log::warn("{}: {}", self->prefix(), r.error().message);
    } else {
      const Json& list = r->is_object() ? r->value("tools", Json()) : Json();
      if (list.is_array()) {
        for (const auto& t : list) {
          if (acc.size() >= kMaxTools) {
            log::warn("{}: more than {} tools; the rest are ignored", self->prefix(), kMaxTools);
            break;
          }
          std::string name = json_str(t, "name");
          if (name.empty()) continue;
          McpTool tool{name, json_str(t, "description"),
                       t.contains("inputSchema") && t["inputSchema"].is_object()
                           ? t["inputSchema"]
                           : Json{{"type", "object"}}};
          acc.push_back(std::move(tool));
        }
      }
      next = json_str(*r, "nextCursor");
      if (next == cursor || pages + 1 >= kMaxPages || acc.size() >= kMaxTools) next.clear();
    }
    if (!next.empty()) {
      self->list_tools(next, std::move(acc), pages + 1);
      return;
    }
    self->tools_ = std::move(acc);
    self->listing_ = false;
    if (self->state_ == McpState::kStarting) {
      self->child_->mark_healthy();
      self->last_error_.clear();
      log::info("{}: ready with {} tools", self->prefix(), self->tools_.size());
      self->set_state(McpState::kReady);
      // Calls that waited for the server go out now, oldest first.
      std::vector<std::uint64_t> waiting;
      for (const auto& [id, p] : self->calls_)
        if (p->rpc_id == 0) waiting.push_back(id);
      for (auto id : waiting) self->send_call(id);
    }
    if (self->on_tools_changed) self->on_tools_changed();
    if (self->relist_ && self->state_ == McpState::kReady) {
      self->relist_ = false;
      self->list_tools({}, {}, 0);
    }
  };
  request("tools/list", std::move(params), cfg_.timeout_ms, std::move(on_done));
}

void McpClient::on_exit(const std::string& what, bool stopping, StdioRpcPeer* gone) {
  // Keep the dead process's stderr for status() and the log.
  if (gone) {
    err_tail_.insert(err_tail_.end(), gone->stderr_tail().begin(), gone->stderr_tail().end());
    while (err_tail_.size() > kStderrTail) err_tail_.pop_front();
  }
  if (stopping) {
    log::info("{}: stopped", prefix());
    fail_all(prefix() + " stopped");
    return;
  }
  if (!gone) {  // failed to spawn (the supervisor logged it)
    last_error_ = prefix() + ": " + what;
    fail_all(last_error_);
    set_state(McpState::kFailed);
    return;
  }
  std::string msg = prefix() + " " + what + "; restarting";
  last_error_ = msg;
  if (!err_tail_.empty())
    log::warn("{} (last stderr line: {})", msg, err_tail_.back());
  else
    log::warn("{}", msg);
  fail_all(msg);
  set_state(McpState::kFailed);  // the supervisor schedules the restart
}

void McpClient::fail_all(const std::string& message) {
  auto calls = std::move(calls_);
  calls_.clear();
  for (auto& [id, p] : calls) {
    if (p->timer) p->timer->cancel();
    if (p->rpc_id && peer()) peer()->forget(p->rpc_id);
    asio::post(io_, [cb = std::move(p->on_call), message]() {
      if (cb) cb(Error::unavailable(message));
    });
  }
}

void McpClient::stop(std::function<void()> done) {
  stop_called_ = true;
  fail_all(prefix() + " stopped");
  // The stop waiter holds the client until the process is gone, so the manager may drop
  // it now.
  auto finished = [self = shared_from_this(), done = std::move(done)] {
    self->set_state(McpState::kStopped);
    if (done) done();
  };
  if (!child_) {  // never started
    set_state(McpState::kStopped);
    return asio::post(io_, std::move(finished));
  }
  child_->stop(nullptr, std::move(finished));  // SIGTERM, SIGKILL after stop_grace
}

// ---- calls ----

std::uint64_t McpClient::call(const std::string& tool, Json arguments, int timeout_ms,
                              CallCallback cb) {
  std::uint64_t id = next_call_++;
  auto fail_now = [&](Error e) {
    asio::post(io_, [cb = std::move(cb), e = std::move(e)]() {
      if (cb) cb(e);
    });
    return id;
  };
  if (arguments.is_null()) arguments = Json::object();
  if (!arguments.is_object())
    return fail_now(Error::invalid(prefix() + ": tool arguments must be a JSON object"));
  if (state_ == McpState::kStopped)
    return fail_now(Error::unavailable(prefix() + " is not running"));
  if (state_ == McpState::kFailed) {
    Error e = Error::unavailable(last_error_.empty() ? prefix() + " is not running" : last_error_);
    e.retry_after_ms = restart_in_ms();
    return fail_now(std::move(e));
  }
  int t = timeout_ms > 0 ? timeout_ms : cfg_.timeout_ms;
  auto p = std::make_shared<Pending>();
  p->call_id = id;
  p->tool = tool;
  p->arguments = std::move(arguments);
  p->on_call = std::move(cb);
  if (t > 0) {
    p->timer = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(t));
    std::weak_ptr<McpClient> weak = weak_from_this();
    p->timer->async_wait([weak, id, t](const error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      auto it = self->calls_.find(id);
      if (it == self->calls_.end()) return;
      self->send_cancelled(it->second->rpc_id, "timeout");
      self->complete_call(id, Error::timeout(self->prefix() + ": tools/call timed out after " +
                                             std::to_string(t) + " ms"));
    });
  }
  calls_[id] = p;
  if (state_ == McpState::kReady) send_call(id);
  return id;
}

void McpClient::send_call(std::uint64_t call_id) {
  auto it = calls_.find(call_id);
  if (it == calls_.end() || it->second->rpc_id) return;
  auto& p = it->second;
  std::weak_ptr<McpClient> weak = weak_from_this();
  Json params{{"name", p->tool}, {"arguments", p->arguments}};
  p->arguments = nullptr;
  p->rpc_id = request("tools/call", std::move(params), 0, [weak, call_id](Result<Json> r) {
    auto self = weak.lock();
    if (!self) return;
    if (!r.ok())
      self->complete_call(call_id, r.error());
    else
      self->complete_call(call_id, to_tool_result(std::move(*r)));
  });
}

void McpClient::complete_call(std::uint64_t call_id, Result<ToolCallResult> r) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  auto p = it->second;
  calls_.erase(it);
  if (p->timer) p->timer->cancel();
  if (p->rpc_id && peer()) peer()->forget(p->rpc_id);
  asio::post(io_, [cb = std::move(p->on_call), r = std::move(r)]() mutable {
    if (cb) cb(std::move(r));
  });
}

void McpClient::cancel(std::uint64_t call_id) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  send_cancelled(it->second->rpc_id, "cancelled");
  complete_call(call_id, Error::cancelled(prefix() + ": tools/call cancelled"));
}

Json McpClient::status() const {
  Json tools = Json::array();
  for (const auto& t : tools_) tools.push_back(t.name);
  Json j{{"name", cfg_.name},
         {"state", mcp_state_name(state_)},
         {"pid", pid()},
         {"restarts", restarts()},
         {"tools", std::move(tools)},
         {"protocolVersion", protocol_version_},
         {"pendingCalls", calls_.size()},
         {"stderrTail", stderr_tail()}};
  if (!last_error_.empty()) j["lastError"] = last_error_;
  if (state_ == McpState::kFailed) j["restartInMs"] = restart_in_ms();
  return j;
}

// ---- McpManager ----

namespace {

bool same_process_config(const config::McpServerConfig& a, const config::McpServerConfig& b) {
  return a.command == b.command && a.args == b.args && a.env == b.env && a.cwd == b.cwd &&
         a.timeout_ms == b.timeout_ms;
}

}  // namespace

McpManager::McpManager(asio::io_context& io, McpClientOptions opts)
    : io_(io), opts_(std::move(opts)) {}

McpManager::~McpManager() {
  for (auto& [name, c] : clients_) c->stop();
}

void McpManager::apply(const std::vector<config::McpServerConfig>& servers) {
  std::map<std::string, const config::McpServerConfig*, std::less<>> wanted;
  for (const auto& s : servers)
    if (s.enabled && !s.name.empty()) wanted[s.name] = &s;
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || !same_process_config(it->second->config(), *w->second)) {
      log::info("mcp server {}: {}", it->first,
                w == wanted.end() ? "removed from the config" : "config changed; restarting");
      it->second->stop();  // keeps itself alive until the process is gone
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [name, cfg] : wanted) {
    if (clients_.count(name)) continue;
    auto c = McpClient::create(io_, *cfg, opts_);
    clients_[name] = c;
    c->start();
  }
}

std::vector<McpToolSpec> McpManager::tool_specs() const {
  std::vector<McpToolSpec> out;
  for (const auto& [name, c] : clients_)
    for (const auto& t : c->tools())
      out.push_back(McpToolSpec{name + "__" + t.name, name, t.name, t.description, t.input_schema});
  std::sort(out.begin(), out.end(),
            [](const McpToolSpec& a, const McpToolSpec& b) { return a.full_name < b.full_name; });
  return out;
}

std::shared_ptr<McpClient> McpManager::client(std::string_view server) const {
  auto it = clients_.find(server);
  return it == clients_.end() ? nullptr : it->second;
}

McpCallId McpManager::call(std::string_view full_name, Json arguments, int timeout_ms,
                           McpClient::CallCallback cb) {
  // The longest server name that prefixes "<server>__" wins (names may contain "__").
  std::shared_ptr<McpClient> target;
  std::string tool;
  for (const auto& [name, c] : clients_) {
    if (full_name.size() > name.size() + 2 && full_name.substr(0, name.size()) == name &&
        full_name.substr(name.size(), 2) == "__" &&
        (!target || name.size() > target->name().size())) {
      target = c;
      tool = std::string(full_name.substr(name.size() + 2));
    }
  }
  auto fail = [&](std::string msg) {
    asio::post(io_, [cb = std::move(cb), msg = std::move(msg)]() {
      if (cb) cb(Error::invalid(msg, "UNKNOWN_TOOL"));
    });
    return McpCallId{};
  };
  if (!target) return fail("unknown MCP tool " + clip_text(full_name, 200));
  // While a server is starting its list is not known yet: let the server decide.
  if (!target->tools().empty() && !target->find_tool(tool))
    return fail("unknown MCP tool " + clip_text(full_name, 200) + " (server " + target->name() +
                " has no tool " + clip_text(tool, 100) + ")");
  std::uint64_t id = target->call(tool, std::move(arguments), timeout_ms, std::move(cb));
  return McpCallId{target->name(), id};
}

void McpManager::cancel(const McpCallId& id) {
  if (auto c = client(id.server)) c->cancel(id.id);
}

Json McpManager::status() const {
  Json servers = Json::array();
  for (const auto& [name, c] : clients_) servers.push_back(c->status());
  return Json{{"servers", std::move(servers)}};
}

void McpManager::stop_all(std::function<void()> done) {
  auto left = std::make_shared<std::size_t>(clients_.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  if (clients_.empty()) {
    asio::post(io_, [shared_done] {
      if (*shared_done) (*shared_done)();
    });
    return;
  }
  auto clients = std::move(clients_);
  clients_.clear();
  for (auto& [name, c] : clients)
    c->stop([left, shared_done] {
      if (--*left == 0 && *shared_done) (*shared_done)();
    });
}

}  // namespace simpleclaw::tools
