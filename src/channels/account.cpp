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
                                                   {HealthState::kFailed, "failed"},
                                                   {HealthState::kStandby, "standby"}};
}  // namespace

std::string_view health_state_name(HealthState s) { return enum_name(kHealthStates, s); }

bool is_trouble(HealthState s) {
  return s != HealthState::kHealthy && s != HealthState::kDisabled && s != HealthState::kStopped &&
         s != HealthState::kStandby;
}

Account::Account(ChannelManager& mgr, AccountSettings settings)
    : mgr_(mgr),
      settings_(std::move(settings)),
      state_dir_(account_dir(mgr.state_dir(), settings_)),
      pairing_(state_dir_ + "/pairing.json"),
      reconnect_timer_(mgr.io()),
      monitor_timer_(mgr.io()),
      retry_timer_(mgr.io()) {
  state_ = settings_.enabled ? HealthState::kStopped : HealthState::kDisabled;
  // webchat is the gateway's own page: every instance serves its own clients.
  shared_ = mgr.clustered() && settings_.channel != "webchat";
  standby_ = shared_;
  // Cluster mode: pairing changes go to the shared document (ChannelManager::load_pairing
  // reads it), not to this instance's file.
  if (shared_)
    pairing_.set_sink([&mgr, k = key()](const PairingStore::Op& op) { mgr.store_pairing(k, op); });
}

Account::~Account() {
  if (channel_) channel_->stop();
  // The stored messages stay: the account may come back (a config reload, a restart).
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
  forget_send();  // a send cut off by that stop is sent again
  if (standby_) {
    // Built but not started: its message size chunks the replies stored here.
    if (make_connector()) set_state(HealthState::kStandby);
    return;
  }
  connect();
}

bool Account::make_connector() {
  if (channel_) return true;
  sdk::ChannelFactory f = mgr_.factory(settings_.channel);
  if (!f) {
    last_error_ = "unknown channel '" + settings_.channel +
                  "': no built-in channel or plugin of that name (see plugins.list)";
    wanted_ = false;
    set_state(HealthState::kFailed);
    return false;
  }
  channel_ = f(*this);
  return true;
}

void Account::set_owner(bool owned, const std::string& holder) {
  const bool new_owner = owner_ != holder;
  owner_ = holder;
  if (!shared_ || owned == !standby_) {
    if (new_owner) mgr_.changed(*this);
    return;
  }
  standby_ = !owned;
  ++owner_epoch_;
  // The memory queue is the owner's; the rows stay in the store for whoever owns it next.
  for (Outgoing& o : queue_)
    if (o.done) o.done(std::string("queued"));
  queue_.clear();
  removed_.clear();
  forget_send();
  refreshing_ = false;
  retry_timer_.cancel();
  if (owned) {
    log::event("channel.owned",
               {{"channel", settings_.channel}, {"accountId", settings_.account_id}},
               key() + ": this instance owns the account now");
    loaded_ = false;
    load_queue();
    if (wanted_) {
      failures_ = 0;
      connect();
    }
    return;
  }
  reconnect_timer_.cancel();
  monitor_timer_.cancel();
  if (channel_) channel_->stop();
  connected_ = false;
  ++generation_;
  log::event(
      "channel.standby",
      {{"channel", settings_.channel}, {"accountId", settings_.account_id}, {"owner", owner_}},
      key() + ": on standby (" + (owner_.empty() ? "no owner yet" : "owned by " + owner_) + ")");
  // One channels.changed: the state's, or (already standby) the owner's.
  if (wanted_ && state_ != HealthState::kStandby)
    set_state(HealthState::kStandby);
  else
    mgr_.changed(*this);
}

void Account::connect() {
  if (!wanted_ || standby_) return;
  if (!make_connector()) return;
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
  forget_send();  // its answer will not come: the head is sent again after a start
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
  // failures_ is not reset here but by the next failure, if this link lasted: a platform
  // that accepts the connection and drops it at once (a socket closed right after hello,
  // a session invalidated after READY) would otherwise be retried at the base delay
  // forever instead of backing off.
  connected_at_ = mgr_.clock().steady();
  detail_ = detail.substr(0, 200);
  last_connected_ms_ = mgr_.clock().wall_ms();
  last_alive_ = mgr_.clock().steady();
  log::event(
      "channel.connected",
      {{"channel", settings_.channel}, {"accountId", settings_.account_id}, {"detail", detail_}},
      key() + " connected " + detail_);
  set_state(HealthState::kHealthy);
  // Back on line: what waits is tried now, not after the backoff of the outage.
  transient_failures_ = 0;
  retry_timer_.expires_at(std::chrono::steady_clock::time_point::min());
  pump();
}

void Account::disconnected(const std::string& error) {
  // Already handling a failure (or a stall found by the monitor): one reconnect at a time.
  if (!wanted_ || state_ == HealthState::kReconnecting || state_ == HealthState::kStuck) return;
  fail(error, "channel.disconnected");
}

void Account::fail(const std::string& error, const char* event) {
  // A link counts as having worked once it stayed up as long as the longest reconnect
  // delay (10 s at most): then this failure starts a fresh backoff.
  auto stable_after = milliseconds(std::min(settings_.health.backoff_max_ms, 10000));
  if (connected_ && mgr_.clock().steady() - connected_at_ >= stable_after) failures_ = 0;
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
  boost::asio::post(mgr_.io(), alive_.guard([this] { restart_connector(); }));
}

void Account::restart_connector() {
  if (!wanted_) return;
  if (sending_) {
    // Stopping the connector now would cancel a reply on its way without knowing whether
    // the platform took it, and it would go out again. Its answer comes first: a send
    // answers within a second or so; one that has not after kSendGrace is taken as lost
    // (cancelled, and sent again: at least once).
    restart_after_send_ = true;
    reconnect_timer_.expires_after(kSendGrace);
    reconnect_timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
      if (ec || !restart_after_send_) return;
      forget_send();
      restart_connector();
    }));
    return;
  }
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
  BackoffPolicy policy{settings_.health.backoff_base_ms, settings_.health.backoff_max_ms, 0.5, 1.0};
  auto delay = milliseconds(backoff_ms(policy, std::max(failures_, 1)));
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (!ec) connect();
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

void Account::refuse_inbound(const std::string& why) {
  if (!wanted_ || state_ == HealthState::kReconnecting || state_ == HealthState::kStuck) return;
  fail("a message could not be stored (" + why +
           "); it was not acknowledged and the platform will deliver it again",
       "channel.inbound_not_stored");
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

void Account::load_queue() {
  if (standby_) return;  // the owner sends what is stored
  mgr_.outbox().load(
      key(), max_text(),
      alive_.guard([this, epoch = owner_epoch_](Result<std::vector<QueuedMessage>> r) {
        if (epoch != owner_epoch_) return;
        loaded_ = true;
        if (!r.ok()) {
          // The queue stays in the database for the next start; new messages
          // still go out.
          last_error_ = "cannot read the stored outbound queue: " + r.error().message;
          log::error("{}: {}", key(), last_error_);
        } else {
          const std::size_t n = r->size();
          // Before anything queued since (stored after the load, so completed
          // after it).
          merge(std::move(*r), true);
          if (n > 0) {
            log::info("{}: {} stored outbound message(s) waiting", key(), n);
            mgr_.changed(*this);
          }
        }
        pump();
      }));
}

void Account::refresh_queue() {
  if (!shared_ || standby_ || !loaded_ || refreshing_) return;
  refreshing_ = true;
  mgr_.outbox().load(
      key(), max_text(),
      alive_.guard([this, epoch = owner_epoch_](Result<std::vector<QueuedMessage>> r) {
        if (epoch != owner_epoch_) return;
        refreshing_ = false;
        if (!r.ok()) return;  // the next refresh tries again
        // A removed row the read no longer finds is deleted for good.
        std::set<std::int64_t> present;
        for (const QueuedMessage& q : *r) present.insert(q.seq);
        for (auto it = removed_.begin(); it != removed_.end();)
          it = present.count(*it) ? std::next(it) : removed_.erase(it);
        const std::size_t before = queue_.size();
        merge(std::move(*r), false);
        if (queue_.size() != before) mgr_.changed(*this);
        pump();
      }));
}

void Account::merge(std::vector<QueuedMessage> rows, bool front) {
  std::set<std::int64_t> known(removed_);
  for (const Outgoing& o : queue_)
    if (o.q.seq > 0) known.insert(o.q.seq);
  std::vector<QueuedMessage> fresh;
  for (QueuedMessage& q : rows)
    if (!known.count(q.seq)) fresh.push_back(std::move(q));
  if (front) {
    for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) queue_.push_front({*it, nullptr});
  } else {
    for (QueuedMessage& q : fresh) append({std::move(q), nullptr});
  }
}

void Account::forget_send() {
  sending_ = false;
  restart_after_send_ = false;  // nothing to wait for any more
  ++send_gen_;
}

void Account::forget(std::int64_t seq) {
  if (shared_ && seq > 0) removed_.insert(seq);
  mgr_.outbox().remove(seq);
}

void Account::enqueue(sdk::OutboundMessage m, std::function<void(Result<std::string>)> done) {
  std::vector<sdk::OutboundMessage> v;
  v.push_back(std::move(m));
  store(std::move(v), {}, std::move(done));
}

void Account::enqueue_reply(const std::string& run_id, std::vector<sdk::OutboundMessage> msgs) {
  if (msgs.empty()) return mgr_.outbox().settle(run_id);
  store(std::move(msgs), run_id, nullptr);
}

void Account::store(std::vector<sdk::OutboundMessage> msgs, const std::string& reply_run_id,
                    std::function<void(Result<std::string>)> done) {
  auto copy = std::make_shared<std::vector<sdk::OutboundMessage>>(msgs);
  mgr_.outbox().add(
      key(), std::move(msgs), reply_run_id,
      alive_.guard(
          [this, copy, done = std::move(done)](Result<std::vector<QueuedMessage>> r) mutable {
            if (standby_) {
              // Another instance sends it: stored is all this one can do.
              if (!r.ok()) {
                log::error("{}: cannot store {} outbound message(s) for the owning instance: {}",
                           key(), copy->size(), r.error().message);
                if (done) done(r.error());
                return;
              }
              if (done) done(std::string("queued"));
              mgr_.outbound_stored(key());
              return;
            }
            std::vector<QueuedMessage> items;
            if (r.ok()) {
              items = std::move(r).value();
            } else {
              // Not durable (disk full, read-only): still sent from memory, said in the log.
              log::error("{}: cannot store {} outbound message(s) ({}); sending from memory only",
                         key(), copy->size(), r.error().message);
              for (sdk::OutboundMessage& m : *copy)
                items.push_back({0, std::move(m), 0, {}, mgr_.clock().wall_ms()});
            }
            for (std::size_t i = 0; i < items.size(); ++i)
              append({std::move(items[i]), i + 1 == items.size() ? std::move(done) : nullptr});
            pump();
          }));
}

void Account::append(Outgoing o) {
  if (queue_.size() >= kMaxQueue) {
    ++mgr_.counters().outbound_dropped;
    Outgoing& old = queue_.front();
    diagnostic("outbound_dropped", {{"reason", "queue full"}, {"chatId", old.q.msg.peer.chat_id}});
    if (old.done) old.done(Error::unavailable("dropped: the channel's outbound queue is full"));
    forget(old.q.seq);
    // The head may be on its way to the platform: its completion then finds another head
    // and treats that one as sent. Drop the second oldest instead.
    if (sending_ && queue_.size() > 1) {
      auto second = std::next(queue_.begin());
      forget(second->q.seq);
      queue_.erase(second);
    } else {
      queue_.pop_front();
    }
  }
  queue_.push_back(std::move(o));
}

void Account::pump() {
  if (!loaded_ || sending_ || !connected_ || !channel_ || queue_.empty()) return;
  if (retry_timer_.expiry() > std::chrono::steady_clock::now()) return;  // backing off
  sending_ = true;
  sdk::OutboundMessage copy = queue_.front().q.msg;
  if (!channel_->supports_buttons()) copy.buttons.clear();
  std::uint64_t gen = generation_;
  std::int64_t seq = queue_.front().q.seq;
  channel_->send(std::move(copy), alive_.guard([this, gen, seq, sends = send_gen_](Status st) {
    // The connector was rebuilt or stopped, or the account handed over, meanwhile:
    // sending_ was reset then, and the head is sent again (or by the new owner).
    if (sends != send_gen_) return;
    sending_ = false;
    if (std::exchange(restart_after_send_, false)) {
      reconnect_timer_.cancel();  // the backstop
      boost::asio::post(mgr_.io(), alive_.guard([this] { restart_connector(); }));
    }
    // The head changed meanwhile only if it was dropped (queue full): nothing to record.
    if (queue_.empty() || queue_.front().q.seq != seq) return pump();
    if (st) return sent_head();
    ++mgr_.counters().outbound_failed;
    // A send that failed because the link dropped, the platform was down or asked us to
    // slow down is not the message's fault: it waits. One the platform refused (4xx) on
    // a live link counts against the message.
    bool counts = connected_ && gen == generation_ && st.error().code != ErrorCode::kUnavailable;
    failed_head(st.error(), counts);
  }));
}

void Account::sent_head() {
  Outgoing head = std::move(queue_.front());
  queue_.pop_front();
  transient_failures_ = 0;
  last_outbound_ms_ = mgr_.clock().wall_ms();
  ++mgr_.counters().outbound;
  forget(head.q.seq);
  if (head.done) head.done(std::string("sent"));
  if (head.q.attempts > 0) mgr_.changed(*this);  // it was reported as waiting
  pump();
}

void Account::failed_head(const Error& e, bool counts) {
  Outgoing& head = queue_.front();
  head.q.last_error = e.message.substr(0, 500);
  if (counts && ++head.q.attempts >= kMaxSendAttempts) {
    ++mgr_.counters().outbound_dropped;
    diagnostic("outbound_dropped", {{"reason", e.message}, {"chatId", head.q.msg.peer.chat_id}});
    Outgoing gone = std::move(head);
    queue_.pop_front();
    forget(gone.q.seq);
    if (gone.done) gone.done(e);
    mgr_.changed(*this);
    return pump();
  }
  if (!counts) ++head.q.attempts;  // shown to operators; only refusals drop a message
  mgr_.outbox().failed(head.q.seq, head.q.attempts, head.q.last_error);
  if (head.q.attempts == 1) mgr_.changed(*this);  // channels.changed: a reply is waiting
  // Back off: the platform's own hint (429 retry_after), else 0.5 s doubling to 60 s.
  milliseconds wait =
      e.retry_after_ms
          ? milliseconds(std::clamp<long long>(*e.retry_after_ms, 100, 300000))
          : milliseconds(backoff_ms({500, 60000, 0.5, 1.0}, std::max(1, ++transient_failures_)));
  retry_timer_.expires_after(wait);
  retry_timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (!ec) pump();
  }));
}

Json Account::outbound_json() const {
  Json j{{"queued", queue_.size()}};
  if (queue_.empty()) return j;
  const QueuedMessage& head = queue_.front().q;
  j["oldestQueuedAt"] = head.created_at;
  j["attempts"] = head.attempts;
  std::string why = head.last_error;
  // Nothing tried yet because the platform is unreachable: say so, with the account's error.
  if (why.empty() && !connected_ && wanted_)
    why = "waiting for the account to reconnect" + (last_error_.empty() ? "" : ": " + last_error_);
  j["lastError"] = why.empty() ? Json(nullptr) : Json(why);
  j["stored"] = head.seq > 0;
  return j;
}

Json Account::status_json() const {
  auto opt_ms = [](std::int64_t v) { return v ? Json(v) : Json(nullptr); };
  Json j{{"accountId", settings_.account_id},
         {"enabled", settings_.enabled},
         {"configured", true},
         {"linked", last_connected_ms_ != 0},
         {"running", running()},
         {"connected", connected_},
         {"reconnectAttempts", reconnect_attempts_},
         {"lastConnectedAt", opt_ms(last_connected_ms_)},
         {"lastInboundAt", opt_ms(last_inbound_ms_)},
         {"lastOutboundAt", opt_ms(last_outbound_ms_)},
         {"lastError", last_error_.empty() ? Json(nullptr) : Json(last_error_)},
         {"healthState", health_state_name(state_)},
         {"queued", queue_.size()},
         {"outbound", outbound_json()},
         {"dmPolicy", settings_.dm_policy}};
  if (!detail_.empty()) j["detail"] = detail_;
  if (shared_) j["owner"] = owner_.empty() ? Json(nullptr) : Json(owner_);
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
