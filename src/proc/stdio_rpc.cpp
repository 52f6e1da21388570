// StdioRpcPeer (see stdio_rpc.h).
//
// `pending_` holds every request we sent and await, by id, each with its own timer. A
// request leaves it exactly once: response, timeout, forget() or the child's exit. The
// Process callbacks hold a weak_ptr, so a peer the owner dropped just stops dispatching
// once the Process has finished.
#include "proc/stdio_rpc.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/json_fields.h"
#include "base/log.h"
#include "base/utf8.h"

namespace simpleclaw::proc {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kStderrTail = 20;
constexpr std::size_t kStderrLineMax = 2000;
constexpr std::size_t kStderrPartialMax = 64 * 1024;

// "8 MiB" for whole mebibytes, else "N bytes".
std::string size_text(std::size_t n) {
  constexpr std::size_t kMiB = 1024 * 1024;
  if (n >= kMiB && n % kMiB == 0) return std::to_string(n / kMiB) + " MiB";
  return std::to_string(n) + " bytes";
}

}  // namespace

struct StdioRpcPeer::Pending {
  std::string method;
  ResponseFn fn;
  std::unique_ptr<asio::steady_timer> timer;
};

void StdioRpcPeer::Responder::ok(Json result) const {
  if (auto p = peer_.lock())
    p->send(Json{{"jsonrpc", "2.0"}, {"id", id_}, {"result", std::move(result)}});
}

void StdioRpcPeer::Responder::error(int code, std::string message) const {
  if (auto p = peer_.lock())
    p->send(Json{{"jsonrpc", "2.0"},
                 {"id", id_},
                 {"error", {{"code", code}, {"message", std::move(message)}}}});
}

StdioRpcPeer::StdioRpcPeer(asio::io_context& io, StdioRpcOptions opts, Handlers h)
    : io_(io), opts_(std::move(opts)), h_(std::move(h)) {}

StdioRpcPeer::~StdioRpcPeer() {
  // Only reached once the Process dropped its callbacks (after on_exit) or when the
  // io_context is going away; the Process destructor kills and reaps what is left.
  for (auto& [id, p] : pending_)
    if (p->timer) p->timer->cancel();
}

Result<std::shared_ptr<StdioRpcPeer>> StdioRpcPeer::spawn(asio::io_context& io, ProcessSpec spec,
                                                          StdioRpcOptions opts, Handlers handlers) {
  std::shared_ptr<StdioRpcPeer> self(new StdioRpcPeer(io, std::move(opts), std::move(handlers)));
  spec.pipe_stdin = true;
  spec.merge_stderr = false;
  std::weak_ptr<StdioRpcPeer> weak = self;
  // The exit callback holds the peer strongly: the peer lives until its child is reaped,
  // so a late on_exit always finds it (and fails what is pending).
  ProcessCallbacks cb;
  cb.on_stdout = [weak](std::string_view d) {
    if (auto s = weak.lock()) s->on_stdout(d);
  };
  cb.on_stderr = [weak](std::string_view d) {
    if (auto s = weak.lock()) s->on_stderr(d);
  };
  cb.on_exit = [self](const ExitStatus& st) { self->on_exit(st); };
  auto p = Process::spawn(io, std::move(spec), std::move(cb));
  if (!p) return p.error();
  self->proc_ = std::move(*p);
  self->window_start_ = self->err_window_start_ = Clock::now();
  return self;
}

pid_t StdioRpcPeer::pid() const { return proc_ && !exited_ ? proc_->pid() : -1; }

// ---- outgoing ----

void StdioRpcPeer::send(const Json& msg) {
  if (!proc_ || exited_ || !kill_reason_.empty()) return;
  std::string line = msg.dump(-1, ' ', false, Json::error_handler_t::replace);
  line += '\n';
  auto st = proc_->write_stdin(std::move(line));
  if (!st.ok() && st.error().is_unavailable())  // the stdin queue is full
    kill("is not reading its stdin");
  // Otherwise (cancelled) stdin is closed: the child is going away and on_exit follows.
}

std::uint64_t StdioRpcPeer::request(const std::string& method, Json params,
                                    std::chrono::milliseconds timeout, ResponseFn fn) {
  std::uint64_t id = next_id_++;
  auto fail_now = [&](std::string msg) {
    asio::post(io_, [fn = std::move(fn), msg = std::move(msg)] {
      if (fn) fn(Error::unavailable(std::move(msg), 1000));
    });
    return id;
  };
  if (exited_ || !kill_reason_.empty()) return fail_now(opts_.log_name + " is not running");
  if (pending_.size() >= opts_.max_pending)
    return fail_now(opts_.log_name + ": too many requests in flight");
  auto p = std::make_shared<Pending>();
  p->method = method;
  p->fn = std::move(fn);
  if (timeout.count() > 0) {
    p->timer = std::make_unique<asio::steady_timer>(io_, timeout);
    std::weak_ptr<StdioRpcPeer> weak = weak_from_this();
    p->timer->async_wait([weak, id, method, timeout](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || !self->pending_.count(id)) return;
      if (self->h_.on_timeout) self->h_.on_timeout(id, method);
      Error e = Error::timeout(self->opts_.log_name + ": " + method + " timed out after " +
                               std::to_string(timeout.count()) + " ms");
      e.retry_after_ms = 1000;  // the peer may answer the next one
      self->finish(id, std::move(e));
    });
  }
  pending_[id] = p;
  Json msg{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) msg["params"] = std::move(params);
  send(msg);
  return id;
}

void StdioRpcPeer::forget(std::uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  if (it->second->timer) it->second->timer->cancel();
  pending_.erase(it);
}

void StdioRpcPeer::notify(const std::string& method, Json params) {
  Json msg{{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) msg["params"] = std::move(params);
  send(msg);
}

void StdioRpcPeer::finish(std::uint64_t id, Result<Json> r) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  auto p = it->second;
  pending_.erase(it);
  if (p->timer) p->timer->cancel();
  asio::post(io_, [fn = std::move(p->fn), r = std::move(r)]() mutable {
    if (fn) fn(std::move(r));
  });
}

void StdioRpcPeer::kill(const std::string& reason) {
  if (!proc_ || exited_ || !kill_reason_.empty()) return;
  kill_reason_ = reason.empty() ? "killed" : reason;
  log::warn("{} {}; killing it", opts_.log_name, kill_reason_);
  proc_->kill_group(SIGKILL);
}

void StdioRpcPeer::terminate() {
  if (!proc_ || exited_) return;
  proc_->close_stdin();
  proc_->kill_group(SIGTERM);
}

void StdioRpcPeer::close_output() {
  if (proc_ && !exited_) proc_->close_output();
}

// ---- incoming ----

void StdioRpcPeer::on_stdout(std::string_view data) {
  if (exited_ || !kill_reason_.empty()) return;
  if (opts_.max_bytes_per_sec) {
    auto now = Clock::now();
    if (now - window_start_ >= std::chrono::seconds(1)) {
      window_start_ = now;
      window_bytes_ = 0;
    }
    window_bytes_ += data.size();
    if (window_bytes_ > opts_.max_bytes_per_sec) {
      kill("flooded stdout (over " + std::to_string(opts_.max_bytes_per_sec) +
           " bytes in one second)");
      return;
    }
  }
  while (!data.empty()) {
    auto nl = data.find('\n');
    std::string_view piece = data.substr(0, nl);
    if (line_buf_.size() + piece.size() > opts_.max_line) {
      line_buf_.clear();
      kill("sent a message over " + size_text(opts_.max_line));
      return;
    }
    line_buf_.append(piece);
    if (nl == std::string_view::npos) return;
    data.remove_prefix(nl + 1);
    std::string line = std::move(line_buf_);
    line_buf_.clear();
    handle_line(line);
    if (exited_ || !kill_reason_.empty()) return;
  }
}

void StdioRpcPeer::on_stderr(std::string_view data) {
  err_buf_.append(data);
  auto emit = [this](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string l = clip_text(line, kStderrLineMax);
    auto now = Clock::now();
    if (now - err_window_start_ >= std::chrono::seconds(1)) {
      if (err_suppressed_)
        log::debug("{}: {} stderr lines not logged (rate limit)", opts_.log_name, err_suppressed_);
      err_window_start_ = now;
      err_window_lines_ = 0;
      err_suppressed_ = 0;
    }
    if (err_window_lines_ < opts_.stderr_lines_per_sec) {
      ++err_window_lines_;
      log::debug("{} stderr: {}", opts_.log_name, l);
    } else {
      ++err_suppressed_;
    }
    err_tail_.push_back(std::move(l));
    if (err_tail_.size() > kStderrTail) err_tail_.pop_front();
  };
  std::size_t start = 0, nl;
  while ((nl = err_buf_.find('\n', start)) != std::string::npos) {
    emit(std::string_view(err_buf_).substr(start, nl - start));
    start = nl + 1;
  }
  err_buf_.erase(0, start);
  if (err_buf_.size() > kStderrPartialMax) {
    emit(err_buf_);
    err_buf_.clear();
  }
}

void StdioRpcPeer::handle_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.remove_suffix(1);
  if (line.empty()) return;
  Json msg = Json::parse(line.begin(), line.end(), nullptr, false);
  if (msg.is_discarded() || !(msg.is_object() || (opts_.batches && msg.is_array()))) {
    ++bad_total_;
    ++bad_in_row_;
    log::debug("{}: skipped a line that is not a JSON-RPC message: {}", opts_.log_name,
               clip_text(line, 200));
    if (opts_.max_bad_lines > 0 && bad_in_row_ >= opts_.max_bad_lines)
      kill("wrote " + std::to_string(bad_in_row_) + " non-JSON lines in a row");
    return;
  }
  bad_in_row_ = 0;
  if (msg.is_array()) {  // a batch; elements that are not objects are ignored
    for (const auto& m : msg) {
      if (m.is_object()) handle_message(m);
      if (exited_ || !kill_reason_.empty()) return;
    }
    return;
  }
  handle_message(msg);
}

void StdioRpcPeer::handle_message(const Json& msg) {
  auto m = msg.find("method");
  auto id = msg.find("id");
  bool has_id = id != msg.end() && !id->is_null();
  if (m != msg.end() && m->is_string()) {
    const std::string method = m->get<std::string>();
    Json params = msg.value("params", Json::object());
    if (has_id) {
      if (!(id->is_number_integer() || id->is_string())) return;  // not a usable id
      Responder r(weak_from_this(), *id);
      if (h_.on_request)
        h_.on_request(method, params, r);
      else
        r.error(-32601, "Method not found: " + clip_text(method, 100));
    } else if (h_.on_notification) {
      h_.on_notification(method, params);
    }
    return;
  }
  if (!has_id || !id->is_number_unsigned()) return;  // a response without a usable id
  std::uint64_t rid = id->get<std::uint64_t>();
  auto it = pending_.find(rid);
  if (it == pending_.end()) return;  // late (timed out) or unknown
  auto err = msg.find("error");
  if (err != msg.end() && !err->is_null()) {
    long long code = err->is_object() && err->contains("code") && (*err)["code"].is_number()
                         ? (*err)["code"].get<long long>()
                         : 0;
    Error e = Error::invalid(opts_.log_name + ": " + it->second->method +
                             " failed: " + clip_text(json_str(*err, "message"), 2000) + " (code " +
                             std::to_string(code) + ")");
    e.details = Json{{"code", opts_.error_code}, {"rpcCode", code}};
    finish(rid, std::move(e));
    return;
  }
  auto res = msg.find("result");
  finish(rid, res != msg.end() ? *res : Json::object());
}

std::string StdioRpcPeer::exit_text(const ExitStatus& st, const std::string& reason) {
  return !reason.empty()       ? reason
         : st.term_signal != 0 ? "exited (signal " + std::to_string(st.term_signal) + ")"
                               : "exited (code " + std::to_string(st.exit_code) + ")";
}

void StdioRpcPeer::on_exit(const ExitStatus& st) {
  if (exited_) return;
  exited_ = true;
  std::string what = exit_text(st, kill_reason_);
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending) {
    if (p->timer) p->timer->cancel();
    asio::post(io_, [fn = std::move(p->fn), msg = opts_.log_name + " " + what] {
      if (fn) fn(Error::unavailable(msg, 1000));
    });
  }
  auto h = std::move(h_);
  h_ = {};
  if (h.on_exit) h.on_exit(st, kill_reason_);
}

}  // namespace simpleclaw::proc
