#include "channels/account.h"

#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>

#include "base/backoff.h"
#include "base/enum_names.h"
#include "base/log.h"
#include "channels/channel_manager.h"

namespace simpleclaw::channels {

using namespace std::chrono;

namespace {

std::string account_dir(const std::string& state, const AccountSettings& s) {
  std::string dir = state + "/channels/" + s.channel + "/" + s.account_id;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  return dir;
}

}  // namespace

namespace {
constexpr EnumName<HealthState> kHealthStates[] = {{HealthState::kStopped, "stopped"},
                                                   {HealthState::kDisabled, "disabled"},
                                                   {HealthState::kStarting, "starting"},
                                                   {HealthState::kHealthy, "healthy"},
                                                   {HealthState::kReconnecting, "reconnecting"},
                                                   {HealthState::kStuck, "stuck"},
                                                   {HealthState::kFailed, "failed"}};
}  // namespace

std::string_view health_state_name(HealthState s) { return enum_name(kHealthStates, s); }

Account::Account(ChannelManager& mgr, AccountSettings settings)
    : mgr_(mgr),
      settings_(std::move(settings)),
      state_dir_(account_dir(mgr.state_dir(), settings_)),
      pairing_(state_dir_ + "/pairing.json"),
      reconnect_timer_(mgr.io()),
      monitor_timer_(mgr.io()),
      retry_timer_(mgr.io()) {
  state_ = settings_.enabled ? HealthState::kStopped : HealthState::kDisabled;
}

Account::~Account() {
  if (channel_) channel_->stop();
  for (Outgoing& o : queue_)
    if (o.done) o.done(Error::unavailable("channel account removed"));
}

boost::asio::io_context& Account::io() { return mgr_.io(); }

void Account::start() {
  if (!settings_.enabled) {
    set_state(HealthState::kDisabled);
    return;
  }
  wanted_ = true;
  failures_ = 0;
  reconnect_timer_.cancel();
  if (channel_) channel_->stop();
  connect();
}

void Account::connect() {
  if (!wanted_) return;
  if (!channel_) {
    sdk::ChannelFactory f = mgr_.factory(settings_.channel);
    if (!f) {
      last_error_ = "unknown channel '" + settings_.channel +
                    "': no built-in channel or plugin of that name (see plugins.list)";
      wanted_ = false;
      set_state(HealthState::kFailed);
      return;
    }
    channel_ = f(*this);
  }
  ++generation_;
  connected_ = false;
  last_alive_ = mgr_.clock().steady();
  set_state(HealthState::kStarting);
  arm_monitor();
  channel_->start();
}

void Account::stop(const std::string& why) {
  wanted_ = false;
  reconnect_timer_.cancel();
  monitor_timer_.cancel();
  retry_timer_.cancel();
  if (channel_) channel_->stop();
  bool was = connected_;
  connected_ = false;
  ++generation_;
  if (was || state_ != HealthState::kStopped) {
    log::event(
        "channel.stopped",
        {{"channel", settings_.channel}, {"accountId", settings_.account_id}, {"reason", why}},
        key() + ": " + why);
  }
  set_state(settings_.enabled ? HealthState::kStopped : HealthState::kDisabled);
}

Status Account::logout() {
  Status st = Ok{};
  if (channel_) st = channel_->logout();
  return st;
}

void Account::inbound(sdk::InboundMessage m, std::function<void()> handled) {
  last_inbound_ms_ = mgr_.clock().wall_ms();
  last_alive_ = mgr_.clock().steady();
  ++mgr_.counters().inbound;
  mgr_.route(*this, std::move(m), std::move(handled));
}

void Account::button(sdk::ButtonPress p) {
  last_inbound_ms_ = mgr_.clock().wall_ms();
  last_alive_ = mgr_.clock().steady();
  mgr_.button(*this, std::move(p));
}

void Account::connected(const std::string& detail) {
  connected_ = true;
  failures_ = 0;
  detail_ = detail.substr(0, 200);
  last_connected_ms_ = mgr_.clock().wall_ms();
  last_alive_ = mgr_.clock().steady();
  log::event(
      "channel.connected",
      {{"channel", settings_.channel}, {"accountId", settings_.account_id}, {"detail", detail_}},
      key() + " connected " + detail_);
  set_state(HealthState::kHealthy);
  pump();
}

void Account::disconnected(const std::string& error) {
  // Already handling a failure (or a stall found by the monitor): one reconnect at a time.
  if (!wanted_ || state_ == HealthState::kReconnecting || state_ == HealthState::kStuck) return;
  fail(error, "channel.disconnected");
}

void Account::fail(const std::string& error, const char* event) {
  connected_ = false;
  last_error_ = error.substr(0, 500);
  ++failures_;
  ++reconnect_attempts_;
  ++mgr_.counters().reconnects;
  log::event(event,
             {{"channel", settings_.channel},
              {"accountId", settings_.account_id},
              {"error", last_error_},
              {"failures", failures_}},
             key() + ": " + last_error_, spdlog::level::warn);
  schedule_reconnect();
}

void Account::schedule_reconnect() {
  monitor_timer_.cancel();
  ++generation_;
  if (state_ != HealthState::kStuck) set_state(HealthState::kReconnecting);
  // stop() is not called from inside the connector's own callback: post it.
  boost::asio::post(mgr_.io(), alive_.guard([this] {
    if (!wanted_) return;
    if (channel_) channel_->stop();
    if (failures_ >= settings_.health.restart_after_failures) {
      // Repeated failures: rebuild the connector from scratch (fresh state).
      channel_.reset();
      ++mgr_.counters().restarts;
      log::event("channel.restart",
                 {{"channel", settings_.channel},
                  {"accountId", settings_.account_id},
                  {"failures", failures_},
                  {"reason", last_error_}},
                 key() + " rebuilt after " + std::to_string(failures_) + " failures");
    }
    BackoffPolicy policy{settings_.health.backoff_base_ms, settings_.health.backoff_max_ms, 0.5,
                         1.0};
    auto delay = milliseconds(backoff_ms(policy, std::max(failures_, 1)));
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
      if (!ec) connect();
    }));
  }));
}

std::chrono::milliseconds Account::window() const {
  if (settings_.health.stuck_after_ms > 0) return milliseconds(settings_.health.stuck_after_ms);
  return window_;
}

void Account::set_liveness_window(std::chrono::milliseconds w) {
  window_ = w;
  arm_monitor();
}

void Account::arm_monitor() {
  monitor_timer_.cancel();
  if (!settings_.health.enabled || !wanted_) return;
  auto w = window();
  // Before the connector says how long silence may last, a connect that never
  // completes is still caught: 30 s.
  if (w.count() <= 0) w = milliseconds(30000);
  milliseconds every = settings_.health.check_interval_ms > 0
                           ? milliseconds(settings_.health.check_interval_ms)
                           : std::clamp(w / 4, milliseconds(100), milliseconds(5000));
  monitor_timer_.expires_after(every);
  monitor_timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (!ec) check_liveness();
  }));
}

void Account::check_liveness() {
  if (!wanted_ || state_ == HealthState::kReconnecting || state_ == HealthState::kStuck) return;
  auto w = window();
  // A connected connector that never said how long silence may last (webchat: the
  // gateway's own page, with no upstream) is not stuck for being quiet; the 30 s default
  // only catches a connect that never completes.
  if (w.count() <= 0 && connected_) return arm_monitor();
  if (w.count() <= 0) w = milliseconds(30000);
  auto silent = duration_cast<milliseconds>(mgr_.clock().steady() - last_alive_);
  if (silent > w) {
    ++mgr_.counters().stuck;
    std::string why = (connected_ ? "no inbound activity for " : "not connected after ") +
                      std::to_string(silent.count()) + " ms (liveness window " +
                      std::to_string(w.count()) + " ms)";
    last_error_ = why;  // before the state change, so its event says why
    set_state(HealthState::kStuck);
    fail(why, "channel.stuck");
    return;
  }
  arm_monitor();
}

void Account::alive() { last_alive_ = mgr_.clock().steady(); }

void Account::diagnostic(const std::string& event, Json fields) {
  if (!fields.is_object()) fields = Json::object();
  fields["channel"] = settings_.channel;
  fields["accountId"] = settings_.account_id;
  log::event("channel." + event, fields, key());
}

void Account::set_state(HealthState s) {
  if (s == state_) return;
  state_ = s;
  mgr_.changed(*this);
}

std::size_t Account::max_text() const {
  std::size_t platform = channel_ ? channel_->max_text() : 4000;
  if (settings_.chunk_limit > 0) return std::min<std::size_t>(platform, settings_.chunk_limit);
  return platform;
}

void Account::typing(const sdk::Peer& peer) {
  if (channel_ && connected_) channel_->typing(peer);
}

void Account::enqueue(sdk::OutboundMessage m, std::function<void(Result<std::string>)> done) {
  if (queue_.size() >= kMaxQueue) {
    ++mgr_.counters().outbound_dropped;
    Outgoing& old = queue_.front();
    diagnostic("outbound_dropped", {{"reason", "queue full"}, {"chatId", old.msg.peer.chat_id}});
    if (old.done) old.done(Error::unavailable("dropped: the channel's outbound queue is full"));
    queue_.pop_front();
  }
  queue_.push_back({std::move(m), 0, std::move(done)});
  pump();
}

void Account::pump() {
  if (sending_ || !connected_ || !channel_ || queue_.empty()) return;
  sending_ = true;
  sdk::OutboundMessage copy = queue_.front().msg;
  if (!channel_->supports_buttons()) copy.buttons.clear();
  std::uint64_t gen = generation_;
  channel_->send(std::move(copy), alive_.guard([this, gen](Status st) {
    sending_ = false;
    if (queue_.empty()) return;
    Outgoing& head = queue_.front();
    if (st) {
      last_outbound_ms_ = mgr_.clock().wall_ms();
      ++mgr_.counters().outbound;
      if (head.done) head.done(std::string("sent"));
      queue_.pop_front();
      pump();
      return;
    }
    ++mgr_.counters().outbound_failed;
    // A send that failed because the link dropped is not the message's fault: it waits
    // for the reconnect. One that failed on a live link counts against the message.
    if (connected_ && gen == generation_ && ++head.attempts >= kMaxSendAttempts) {
      ++mgr_.counters().outbound_dropped;
      diagnostic("outbound_dropped",
                 {{"reason", st.error().message}, {"chatId", head.msg.peer.chat_id}});
      if (head.done) head.done(st.error());
      queue_.pop_front();
      pump();
      return;
    }
    retry_timer_.expires_after(milliseconds(500 * std::max(1, head.attempts)));
    retry_timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
      if (!ec) pump();
    }));
  }));
}

Json Account::status_json() const {
  auto opt_ms = [](std::int64_t v) { return v ? Json(v) : Json(nullptr); };
  Json j{{"accountId", settings_.account_id},
         {"enabled", settings_.enabled},
         {"configured", true},
         {"linked", last_connected_ms_ != 0},
         {"running", wanted_},
         {"connected", connected_},
         {"reconnectAttempts", reconnect_attempts_},
         {"lastConnectedAt", opt_ms(last_connected_ms_)},
         {"lastInboundAt", opt_ms(last_inbound_ms_)},
         {"lastOutboundAt", opt_ms(last_outbound_ms_)},
         {"lastError", last_error_.empty() ? Json(nullptr) : Json(last_error_)},
         {"healthState", health_state_name(state_)},
         {"queued", queue_.size()},
         {"dmPolicy", settings_.dm_policy}};
  if (!detail_.empty()) j["detail"] = detail_;
  if (window().count() > 0) j["livenessWindowMs"] = window().count();
  if (channel_) {
    Json extra = channel_->status_extra();
    if (extra.is_object())
      for (auto& [k, v] : extra.items())
        if (!j.contains(k)) j[k] = v;
  }
  return j;
}

}  // namespace simpleclaw::channels
