#include "proc/supervised_child.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/log.h"

namespace simpleclaw::proc {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

struct SupervisedChild::Timers {
  explicit Timers(asio::io_context& io) : restart(io), kill(io) {}
  asio::steady_timer restart;  // backoff before the next spawn
  asio::steady_timer kill;     // stop(): SIGTERM -> SIGKILL -> give up
};

std::shared_ptr<SupervisedChild> SupervisedChild::create(asio::io_context& io, Options opts,
                                                         Hooks hooks) {
  return std::shared_ptr<SupervisedChild>(
      new SupervisedChild(io, std::move(opts), std::move(hooks)));
}

SupervisedChild::SupervisedChild(asio::io_context& io, Options opts, Hooks hooks)
    : io_(io),
      opts_(std::move(opts)),
      hooks_(std::move(hooks)),
      timers_(std::make_unique<Timers>(io)) {}

SupervisedChild::~SupervisedChild() {
  // Reached only after stop() finished, or when the owner dropped it without stop():
  // then kill what is left (the Process reaps it).
  if (peer_) peer_->kill("was dropped without stop()");
}

void SupervisedChild::start() {
  if (started_ || stopping_) return;
  started_ = true;
  spawn();
}

void SupervisedChild::spawn() {
  restart_pending_ = false;
  std::uint64_t gen = ++gen_;
  healthy_since_ = {};
  auto [spec, ro] = hooks_.spec();
  // Handlers act only while their process is the current one and the supervisor lives.
  std::weak_ptr<SupervisedChild> weak = weak_from_this();
  auto current = [weak, gen]() -> std::shared_ptr<SupervisedChild> {
    auto self = weak.lock();
    return self && self->gen_ == gen && self->peer_ ? self : nullptr;
  };
  StdioRpcPeer::Handlers h;
  h.on_request = [current, name = opts_.log_name](const std::string& method, const Json& params,
                                                  StdioRpcPeer::Responder r) {
    auto self = current();
    if (!self) return r.error(-32000, name + " is being replaced");
    if (!self->hooks_.on_request) return r.error(-32601, "Method not found: " + method);
    self->hooks_.on_request(method, params, std::move(r));
  };
  h.on_notification = [current](const std::string& method, const Json& params) {
    if (auto self = current(); self && self->hooks_.on_notification)
      self->hooks_.on_notification(method, params);
  };
  h.on_timeout = [current](std::uint64_t id, const std::string& method) {
    if (auto self = current(); self && self->hooks_.on_timeout) self->hooks_.on_timeout(id, method);
  };
  h.on_exit = [weak, gen](const ExitStatus& st, const std::string& reason) {
    if (auto self = weak.lock()) self->exited(gen, st, reason);
  };
  auto p = StdioRpcPeer::spawn(io_, std::move(spec), std::move(ro), std::move(h));
  if (!p) {
    std::string what = p.error().message;
    log::warn("{}: {}", opts_.log_name, what);
    if (hooks_.on_exit) hooks_.on_exit(what, stopping_, nullptr);
    if (stopping_) return end_stop();
    return schedule_restart();
  }
  peer_ = std::move(*p);
  log::info("{}: started (pid {})", opts_.log_name, peer_->pid());
  hooks_.on_started(*peer_);
}

void SupervisedChild::mark_healthy() {
  if (peer_) healthy_since_ = Clock::now();
}

void SupervisedChild::kill(const std::string& reason) {
  if (peer_) peer_->kill(reason);  // exited() follows with the reason
}

void SupervisedChild::exited(std::uint64_t gen, const ExitStatus& st, const std::string& reason) {
  if (gen != gen_ || !peer_) return;
  std::shared_ptr<StdioRpcPeer> gone = std::move(peer_);
  peer_.reset();
  if (hooks_.on_exit) hooks_.on_exit(StdioRpcPeer::exit_text(st, reason), stopping_, gone.get());
  if (stopping_) return end_stop();
  schedule_restart();
}

void SupervisedChild::schedule_restart() {
  if (stopping_) return;
  auto now = Clock::now();
  if (healthy_since_ != Clock::time_point{} && now - healthy_since_ >= opts_.healthy_reset)
    backoff_step_ = 0;
  healthy_since_ = {};
  ++backoff_step_;
  auto delay = std::chrono::milliseconds(backoff_ms(opts_.backoff, backoff_step_));
  restart_pending_ = true;
  restart_at_ = now + delay;
  if (hooks_.on_restart) hooks_.on_restart(delay, backoff_step_);
  timers_->restart.expires_after(delay);
  std::weak_ptr<SupervisedChild> weak = weak_from_this();
  timers_->restart.async_wait([weak](const error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopping_ || self->peer_) return;
    ++self->restarts_;
    self->spawn();
  });
}

void SupervisedChild::stop(std::function<void(std::function<void()> then)> polite,
                           std::function<void()> done) {
  if (done) stop_waiters_.push_back(std::move(done));
  if (stopping_) {
    if (!peer_) end_stop();  // already stopped: just report it
    return;
  }
  stopping_ = true;
  restart_pending_ = false;
  timers_->restart.cancel();
  if (!peer_) return end_stop();
  // The handlers below keep this object alive until the process is gone, so the owner
  // may drop it now.
  auto self = shared_from_this();
  if (!polite) return escalate();
  polite([self, gen = gen_] {
    if (self->peer_ && gen == self->gen_) self->escalate();
  });
}

void SupervisedChild::escalate() {
  auto self = shared_from_this();
  std::uint64_t gen = gen_;
  peer_->terminate();
  timers_->kill.expires_after(opts_.stop_grace);
  timers_->kill.async_wait([self, gen](const error_code& ec) {
    if (ec || !self->peer_ || gen != self->gen_) return;
    self->peer_->kill("did not exit within " + std::to_string(self->opts_.stop_grace.count()) +
                      " ms of SIGTERM");
    self->timers_->kill.expires_after(self->opts_.reap_grace);
    self->timers_->kill.async_wait([self, gen](const error_code& ec2) {
      if (ec2 || !self->peer_ || gen != self->gen_) return;
      log::warn("{}: not reaped after SIGKILL; giving up on it", self->opts_.log_name);
      std::shared_ptr<StdioRpcPeer> gone = std::move(self->peer_);
      self->peer_.reset();
      gone->close_output();
      if (self->hooks_.on_exit) self->hooks_.on_exit("not reaped after SIGKILL", true, gone.get());
      self->end_stop();
    });
  });
}

void SupervisedChild::end_stop() {
  timers_->kill.cancel();
  timers_->restart.cancel();
  auto waiters = std::move(stop_waiters_);
  stop_waiters_.clear();
  for (auto& w : waiters) asio::post(io_, std::move(w));
}

}  // namespace simpleclaw::proc
