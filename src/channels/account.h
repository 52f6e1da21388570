// Account: one configured channel account at run time. It is the connector's
// ChannelHost, owns the connector object, the account's health (connected state,
// failures, times, last error, liveness) and its outbound queue, and runs the
// reconnect/backoff and stuck detection for it. Routing decisions are the manager's.
//
// Threading: loop thread only. Owned by the ChannelManager through a shared_ptr so that
// routes and timers can hold weak references.
#pragma once
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <set>
#include <string>

#include "base/alive.h"
#include "channels/access.h"
#include "channels/account_settings.h"
#include "channels/outbox.h"
#include "simpleclaw/channel.h"

namespace simpleclaw::channels {

class ChannelManager;

// An account's health as channels.status reports it.
// kStandby: cluster mode, another instance owns the account (holds its lease).
enum class HealthState {
  kStopped,
  kDisabled,
  kStarting,
  kHealthy,
  kReconnecting,
  kStuck,
  kFailed,
  kStandby
};
// "stopped" | "disabled" | "starting" | "healthy" | "reconnecting" | "stuck" | "failed" |
// "standby"
std::string_view health_state_name(HealthState s);
// Worth reporting as the channel's state: neither healthy nor idle by choice or by design.
bool is_trouble(HealthState s);

class Account final : public sdk::ChannelHost, public std::enable_shared_from_this<Account> {
 public:
  static constexpr std::size_t kMaxQueue = 1000;  // replies waiting per account
  // Sends the platform refused (4xx) before a message is given up on. Transient failures
  // (5xx, 429, a dropped link) never count: the message waits for the platform.
  static constexpr int kMaxSendAttempts = 5;

  Account(ChannelManager& mgr, AccountSettings settings);
  ~Account() override;

  // sdk::ChannelHost
  boost::asio::io_context& io() override;
  const std::string& channel_name() const override { return settings_.channel; }
  const std::string& account_id() const override { return settings_.account_id; }
  const Json& settings() const override { return settings_.raw; }
  const std::string& state_dir() const override { return state_dir_; }
  void inbound(sdk::InboundMessage m, std::function<void()> handled) override;
  void button(sdk::ButtonPress p) override;
  void connected(const std::string& detail) override;
  void disconnected(const std::string& error) override;
  void alive() override;
  void set_liveness_window(std::chrono::milliseconds window) override;
  void diagnostic(const std::string& event, Json fields) override;

  const AccountSettings& config() const { return settings_; }
  std::string key() const { return settings_.channel + "/" + settings_.account_id; }
  PairingStore& pairing() { return pairing_; }
  const PairingStore& pairing() const { return pairing_; }

  // Operator / manager control.
  void start();                       // (re)start wanted: connect now (the owner only)
  void stop(const std::string& why);  // stopped until start(); the queue is kept
  Status logout();
  // Cluster mode (docs/cluster.md "Channel accounts"): one instance, the holder of the
  // account's lease, connects and sends; the others are on standby and only store what
  // they have to send, for the owner to pick up (refresh_queue). `holder` names who owns
  // it now ("" = nobody yet).
  void set_owner(bool owned, const std::string& holder);
  bool standby() const { return standby_; }
  bool shared() const { return shared_; }
  // The owner: queues the stored messages it does not have yet (written by other
  // instances, or replies of runs that ended elsewhere).
  void refresh_queue();
  bool running() const { return wanted_ && !standby_; }
  bool is_connected() const { return connected_; }
  sdk::Channel* connector() { return channel_.get(); }

  // Outbound: stored (channels/outbox.h), queued, sent in order, one at a time, retried
  // across reconnects and restarts. `done` runs when the platform took the message or it
  // was given up on; it does not survive a restart (the message does).
  void enqueue(sdk::OutboundMessage m, std::function<void(Result<std::string>)> done = {});
  // A run's reply, chunked: stored together with the run's reply state.
  void enqueue_reply(const std::string& run_id, std::vector<sdk::OutboundMessage> msgs);
  // Reads the account's stored queue; called once, before start(). Sending waits for it.
  void load_queue();
  void typing(const sdk::Peer& peer);
  std::size_t max_text() const;
  bool supports_buttons() const { return channel_ && channel_->supports_buttons(); }
  bool redelivers() const { return channel_ && channel_->redelivers(); }
  // A message the gateway could not store: the connection is failed (and reopened after
  // a backoff) without acknowledging it, so the platform delivers it again.
  void refuse_inbound(const std::string& why);

  Json status_json() const;
  // channels.status `outbound`: {queued, and for the oldest waiting message: oldestQueuedAt,
  // attempts, lastError, stored (false: the database refused it, it lives in memory only)}.
  Json outbound_json() const;
  HealthState health_state() const { return state_; }
  const std::string& last_error() const { return last_error_; }  // "" when none yet
  std::size_t queued() const { return queue_.size(); }

 private:
  struct Outgoing {
    QueuedMessage q;
    std::function<void(Result<std::string>)> done;
  };
  void store(std::vector<sdk::OutboundMessage> msgs, const std::string& reply_run_id,
             std::function<void(Result<std::string>)> done);
  // Adds stored rows not queued yet (nor just sent): at the front for the first load,
  // at the back for a refresh.
  void merge(std::vector<QueuedMessage> rows, bool front);
  void forget(std::int64_t seq);  // sent or given up on: its row goes
  // The send in flight will not be answered (connector rebuilt or stopped, account handed
  // over): sending may start again, and that send's late answer is ignored.
  void forget_send();
  bool make_connector();
  void append(Outgoing o);
  void sent_head();
  void failed_head(const Error& e, bool counts);
  void connect();
  void fail(const std::string& error, const char* event);
  void schedule_reconnect();
  // Stops the connector (rebuilt after repeated failures) and connects again after the
  // backoff; waits first for the answer to a send in flight.
  void restart_connector();
  void arm_monitor();
  void check_liveness();
  void set_state(HealthState s);
  void pump();
  std::chrono::milliseconds window() const;

  ChannelManager& mgr_;
  AccountSettings settings_;
  std::string state_dir_;
  PairingStore pairing_;
  std::unique_ptr<sdk::Channel> channel_;
  bool wanted_ = false;            // enabled and not stopped by an operator
  bool shared_ = false;            // cluster mode: owned by one instance at a time
  bool standby_ = false;           // shared and not owned here
  std::string owner_;              // the lease holder, as last heard
  std::uint64_t owner_epoch_ = 0;  // bumped on each change of ownership
  bool refreshing_ = false;
  // Shared: rows sent (or given up on) whose delete may not be committed yet, so a
  // refresh reading them does not send them again. Pruned by each refresh.
  std::set<std::int64_t> removed_;
  bool connected_ = false;
  HealthState state_ = HealthState::kStopped;
  std::string detail_;  // from connected(), e.g. "@my_bot"
  int failures_ = 0;    // in a row: reset by a failure after a link that lasted (stable_after)
  std::chrono::steady_clock::time_point connected_at_{};
  std::uint64_t reconnect_attempts_ = 0;
  std::int64_t last_connected_ms_ = 0, last_inbound_ms_ = 0, last_outbound_ms_ = 0;
  std::string last_error_;
  std::chrono::steady_clock::time_point last_alive_{};
  std::chrono::milliseconds window_{0};  // from the connector; 0 = unknown
  boost::asio::steady_timer reconnect_timer_, monitor_timer_, retry_timer_;
  std::deque<Outgoing> queue_;
  bool loaded_ = false;  // the stored queue was read (sending waits for it)
  bool sending_ = false;
  bool restart_after_send_ = false;  // restart_connector() waits for the send in flight
  static constexpr std::chrono::seconds kSendGrace{5};  // ... this long at most
  std::uint64_t send_gen_ = 0;                          // bumped by forget_send()
  int transient_failures_ = 0;                          // in a row: the backoff of the retry timer
  std::uint64_t generation_ = 0;  // bumped per connect; stale completions are ignored
  Alive alive_;                   // last: timers and sends completing after destruction do nothing
};

}  // namespace simpleclaw::channels
