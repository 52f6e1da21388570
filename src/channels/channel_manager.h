// ChannelManager: every configured channel account (SPEC §9) and what happens to a
// platform message between the connector and the agent.
//
// Life of an inbound message: connector -> Account::inbound -> `/approve` command? ->
// access control (allow_from, dm_policy, pairing, groups, mention) -> binding (first
// matching `bindings` entry, else the account's `agent`, else the default agent) ->
// session key agent:<id>:<channel>:direct:<sender> | :group:<chat>[:thread:<t>] ->
// ChannelDispatch::submit (chat.send; the message is durable when it answers) -> the
// connector may acknowledge it to the platform -> the run's end reaches on_run_finished
// -> the reply is chunked to the platform's limit, stored (channels/outbox.h) and queued
// on the account -> sent one at a time; a failed send stays at the head of the queue and
// is sent again after the reconnect or a restart, so a reply survives a stalled platform.
//
// Health: each account tracks connected state, reconnect attempts, last inbound /
// outbound / connect times and last error. Liveness is judged on the inbound path: no
// alive() for longer than the liveness window means `stuck`, even if sends work. A
// failure or a stall reconnects with exponential backoff and jitter; after
// restart_after_failures in a row the connector object is rebuilt. Every state change
// is a structured log record, a channels.changed event and a counter on /metrics.
//
// Threading: loop thread only; owns the accounts, their connectors and queues.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/prom_text.h"
#include "channels/access.h"
#include "channels/account_settings.h"
#include "channels/outbox.h"
#include "config/config.h"
#include "sessions/types.h"
#include "simpleclaw/channel.h"
#include "simpleclaw/registry.h"
#include "simpleclaw/result.h"

namespace simpleclaw::channels {

// How a run started by a platform message ended, for the conversation it came from.
struct RunReply {
  std::string run_id;
  sessions::RunStatus status = sessions::RunStatus::kFinal;  // terminal
  std::string text;   // final: the reply; aborted: the partial reply ("" = say nothing)
  std::string error;  // error: what went wrong
};

// A message on its way to an agent run (what chat.send gets).
struct Submission {
  std::string session_key, agent_id, text, run_id;
  std::string user;         // shared mode: the binding's user, who owns the session ("" = admin)
  std::string reply_route;  // where the reply goes (Outbox::route), stored with the run
};

// What the manager needs from the gateway. Loop thread.
class ChannelDispatch {
 public:
  virtual ~ChannelDispatch() = default;
  // Starts a run like chat.send; `accepted` runs once the user message is durable (true:
  // the run's end will follow; false: a redelivered message whose run had already ended)
  // or the send was refused (error).
  virtual void submit(Submission s, std::function<void(Result<bool>)> accepted) = 0;
  virtual Result<Json> resolve_approval(const std::string& id_or_prefix,
                                        const std::string& decision, const std::string& by) = 0;
  // channels.changed {channel, accountId, healthState, connected, lastError?, ts}
  virtual void channels_changed(Json payload) = 0;
};

class Account;

class ChannelManager {
 public:
  ChannelManager(boost::asio::io_context& io, std::string state_dir, ChannelDispatch& dispatch,
                 const sdk::Registry& registry, sessions::DbWorker& db,
                 const Clock& clock = system_clock());
  ~ChannelManager();

  // Factories for channels that are not compiled in (out-of-process plugins).
  using ExtraFactory = std::function<sdk::ChannelFactory(const std::string& channel)>;
  void set_extra_factories(ExtraFactory f) { extra_ = std::move(f); }

  // Applies channels / bindings / agents from a validated config: new accounts are
  // started, removed ones stopped, changed ones restarted. Safe to call again (reload).
  void configure(const Json& channels, const Json& bindings, const std::string& default_agent);
  // The same from the whole config (`channels`, `bindings`, `agents.default`).
  void configure(const config::Config& cfg);
  void stop_all();  // shutdown: every connector stopped, nothing is called afterwards

  // Cluster mode (docs/cluster.md "Channel accounts"), set before the first configure():
  // every account but webchat starts on standby and connects only once set_owner() says
  // this instance holds its lease. A standby account stores what it has to send; the
  // owner picks it up (refresh_outbox), at once when told through the bus.
  struct ClusterHooks {
    std::function<void()> accounts_changed;  // after each configure(): the leases to want
    std::function<void(const std::string& key)> outbound_stored;  // stored for the owner
    std::function<void(const std::string& key)> pairing_changed;  // the shared copy changed
  };
  void set_cluster(ClusterHooks hooks);
  bool clustered() const { return static_cast<bool>(cluster_.accounts_changed); }
  // "<channel>/<accountId>" of the enabled accounts owned by one instance at a time.
  std::vector<std::string> shared_accounts() const;
  void set_owner(const std::string& key, bool owned, const std::string& holder);
  // The owner of `key` ("" = of every account) queues what others stored for it.
  void refresh_outbox(const std::string& key = {});
  // Cluster mode: an account's pairing state (pending codes, approved senders) is a
  // shared document ("pairing:<channel>/<accountId>", sessions/shared_doc_store.h), so a
  // sender approved through any instance is approved on all, and stays approved when
  // another instance takes the account over. Each change is applied to the newest copy;
  // reload_pairing() reads it again (told through the bus, and every renewal interval).
  void reload_pairing(const std::string& key = {});
  // Shutdown, first step: platform messages are no longer taken (left unacknowledged
  // where the platform redelivers, refused with a reply elsewhere); sending goes on.
  void drain() { draining_ = true; }
  // Messages waiting on accounts that are connected (what a shutdown may still send).
  std::size_t outbound_waiting() const;

  // Gateway hooks.
  void on_run_finished(const RunReply& reply);
  void on_approval_event(const char* event, const Json& payload);
  // A message to the conversation of a channel session (agent:<a>:<channel>:...), sent
  // through its account's durable queue; false when the key names no channel account.
  bool tell(const std::string& session_key, const std::string& text);

  // Methods.
  // channels.status; `only` = one channel ("" = all).
  Json status_json(const std::string& only = {}) const;
  // The health snapshot's `channels`: id -> {configured, running, connected, healthState,
  // accounts: {accountId -> {...}}}.
  Json health_json() const;
  // A channel's display name ("telegram" -> "Telegram"; a plugin channel's own name).
  static std::string label(const std::string& channel);
  struct Counts {
    int channels = 0, accounts = 0, running = 0, connected = 0;
  };
  Counts counts() const;  // status.subsystems.channels
  // The channel families of /metrics (counters, and one connected gauge per account).
  void write_metrics(prom::Writer& w) const;
  Result<Json> start_account(const std::string& channel, const std::string& account);
  Result<Json> stop_account(const std::string& channel, const std::string& account);
  Result<Json> logout(const std::string& channel, const std::string& account);
  // channels.pairing.*: a pending request's id is its code (the sender was told it).
  // `account` "" = every account of the channel (or of every channel, for the list).
  Json pairing_list(const std::string& channel, const std::string& account = {}) const;
  // `notify`: tell the sender they are approved.
  Result<Json> pairing_approve(const std::string& channel, const std::string& account,
                               const std::string& code, bool notify = true);
  Result<Json> pairing_dismiss(const std::string& channel, const std::string& account,
                               const std::string& code);
  // The message tool: `to` is a chat id on the channel's account ("" = the first one).
  void deliver(const std::string& channel, const std::string& account, const std::string& to,
               const std::string& text, std::function<void(Result<std::string>)> done);
  bool has_channel(const std::string& channel) const;
  // Where an agent last talked on a channel: the newest conversation that reached it
  // (per shared-mode user; "" = the operator's). Scheduled jobs announce there when their
  // delivery says channel "last". Empty channel = nowhere yet (in memory: none after a
  // restart until someone writes).
  struct Target {
    std::string channel, account, to;
  };
  Target last_target(const std::string& agent_id, const std::string& user = {}) const;
  // The configured channels (sorted, each once).
  std::vector<std::string> channel_names() const;

  // Used by Account.
  void route(Account& a, sdk::InboundMessage m, std::function<void()> handled);
  void button(Account& a, sdk::ButtonPress p);
  void changed(const Account& a);
  void outbound_stored(const std::string& key);
  // Cluster mode: `op` on the account's shared pairing document (its first load seeds the
  // document from the account's file when there is none yet).
  void store_pairing(const std::string& key, const PairingStore::Op& op);
  void load_pairing(const std::string& key, bool seed);
  sdk::ChannelFactory factory(const std::string& channel) const;
  boost::asio::io_context& io() { return io_; }
  Outbox& outbox() { return outbox_; }
  const Clock& clock() const { return clock_; }
  const std::string& state_dir() const { return state_dir_; }

  struct Counters {
    std::uint64_t inbound = 0, denied = 0, ignored = 0, pairing_codes = 0, outbound = 0,
                  outbound_failed = 0, outbound_dropped = 0, reconnects = 0, stuck = 0,
                  restarts = 0, approvals = 0;
  };
  Counters& counters() { return counters_; }

 private:
  // The account and peer of a channel session: the live conversation when one talked
  // since the start, else parsed from the key (after a restart). {nullptr, {}} if none.
  std::pair<std::shared_ptr<Account>, sdk::Peer> conversation(const std::string& session_key);
  struct Route {
    std::weak_ptr<Account> account;
    sdk::Peer peer;
    std::string reply_to;
  };
  Account* find(const std::string& channel, const std::string& account) const;
  Account* find_key(const std::string& key) const;  // "<channel>/<accountId>"
  std::vector<Account*> select(const std::string& channel, const std::string& account) const;
  // Approves (or dismisses) the pending pairing request `code` on the first matching
  // account: that account and the request.
  Result<std::pair<Account*, PairingStore::Pending>> take_pairing(const std::string& channel,
                                                                  const std::string& account,
                                                                  const std::string& code,
                                                                  bool approve);
  // The agent of a conversation; `user` gets the matching binding's user ("" = none).
  std::string agent_for(const Account& a, const sdk::InboundMessage& m, std::string* user) const;
  void approve_command(Account& a, const sdk::InboundMessage& m);
  void reply_decision(Account& a, const sdk::Peer& peer, const std::string& sender,
                      const std::string& id, std::string decision);
  void schedule_typing();

  boost::asio::io_context& io_;
  const Clock& clock_;
  std::string state_dir_;
  ChannelDispatch& dispatch_;
  const sdk::Registry& registry_;
  ExtraFactory extra_;
  ClusterHooks cluster_;
  sessions::DbWorker& db_;
  Outbox outbox_;
  std::map<std::string, std::shared_ptr<Account>> accounts_;  // "<channel>/<account>"
  std::vector<Binding> bindings_;
  std::string default_agent_ = "main";
  std::unordered_map<std::string, Route> runs_;            // run id -> where the reply goes
  std::unordered_map<std::string, Route> sessions_;        // session key -> last conversation
  std::unordered_map<std::string, Target> last_by_agent_;  // "<agent>/<user>" -> last_target
  boost::asio::steady_timer typing_timer_;
  bool typing_armed_ = false;
  bool draining_ = false;
  Counters counters_;
};

}  // namespace simpleclaw::channels
