// Heartbeats: a periodic turn in each agent's main session (agents.list[].heartbeat), so
// the assistant can look at its HEARTBEAT.md checklist, pending reminders and queued
// system events without anyone writing first. A heartbeat's reply reaches a channel only
// when it says something: a reply that is the ack token ("HEARTBEAT_OK", give or take
// ack_max_chars of other text) means "nothing to report" and is kept in the transcript
// only.
//
//   every tick    at most one heartbeat per agent in flight; a due one while the last is
//                 still running is skipped (reason "in-flight"), never queued twice
//   wake          `wake {mode: next-heartbeat}` (and /hooks/wake) queue their text for the
//                 agent's next heartbeat, which lists them under "System events"
//   events        each heartbeat ends with a `heartbeat` event in OpenClaw's shape {ts,
//                 agentId, runId, status: sent | ok-token | ok-empty | skipped | failed,
//                 durationMs, indicatorType: ok | alert | error, silent, preview?,
//                 channel?, to?, accountId?, reason? (a stable code), message? (for a
//                 person)}; `last-heartbeat` answers the newest
//   pause         `set-heartbeats {enabled}` pauses and resumes them all at run time
//
// The first heartbeat comes one interval after start (or after the agent's heartbeat was
// configured), not at once: a restart loop must not turn into a heartbeat storm.
//
// Wall-clock jumps: forward (NTP, a suspended laptop waking) makes a heartbeat due at
// once, and it beats once however many intervals were skipped; back never postpones the
// next one beyond a single interval from now.
//
// Threading: loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/alive.h"
#include "simpleclaw/result.h"

namespace simpleclaw {
class Clock;
namespace config {
struct HeartbeatConfig;
}
namespace agents {
class AgentDirectory;
class RunEngine;
}  // namespace agents
namespace channels {
class ChannelManager;
}
}  // namespace simpleclaw

namespace simpleclaw::gateway {

class LiveConfig;
class RunWaiters;

// An agent's heartbeat settings, resolved from its config.
struct HeartbeatSettings {
  bool enabled = false;
  std::int64_t every_ms = 0;  // 0 when disabled
  std::string every;          // as configured ("30m"); "disabled" when off
  std::string prompt;         // the built-in prompt when none is configured
  std::string target, to, account_id;
  std::string ack_token;
  int ack_max_chars = 300;
};

// Resolves `c`: an unreadable or zero `every` is disabled, shorter than kMinEvery is
// raised to it. Pure.
HeartbeatSettings heartbeat_settings(const config::HeartbeatConfig& c);
// The health snapshot's per-agent heartbeat block: {enabled, every, everyMs, prompt,
// target, ackMaxChars}.
Json heartbeat_health_block(const HeartbeatSettings& s);
// True when `reply` means "nothing to report": empty, or the token at its start or end
// (markup like **HEARTBEAT_OK** included) with at most `max_chars` other characters.
bool is_heartbeat_ack(std::string_view reply, std::string_view token, int max_chars);

class HeartbeatRunner {
 public:
  static constexpr std::int64_t kMinEvery = 60'000;
  static constexpr std::size_t kMaxPendingEvents = 20;  // per agent; the oldest are dropped
  static constexpr std::size_t kMaxEventChars = 2000;   // per queued event

  struct Deps {
    boost::asio::io_context& io;
    agents::RunEngine& runs;
    RunWaiters& waiters;
    channels::ChannelManager& channels;
    const agents::AgentDirectory& agents;
    const LiveConfig& config;
    const Clock& clock;
    std::function<void(Json)> emit;  // a `heartbeat` event
  };
  explicit HeartbeatRunner(Deps d);
  HeartbeatRunner(const HeartbeatRunner&) = delete;
  HeartbeatRunner& operator=(const HeartbeatRunner&) = delete;

  // (Re)reads every agent's heartbeat from the live config: a new or changed interval
  // starts counting now, an unchanged one keeps its next time, a removed one stops.
  void configure();
  void stop();
  // set-heartbeats: false pauses every heartbeat (none is due while paused); true resumes,
  // each counting a fresh interval from now. Not persisted: a restart resumes.
  void set_enabled(bool enabled);
  bool enabled() const { return !paused_; }
  // Cluster mode: only the cron leader beats (a follower's heartbeats wait, not counted
  // as paused); taking the lead starts each from now.
  void set_standby(bool standby);

  // Queues `text` for `agent_id`'s next heartbeat; false when it has none (the caller
  // runs the text now instead).
  bool queue_event(const std::string& agent_id, std::string text);
  // The newest `heartbeat` event, or null.
  const Json& last() const { return last_; }
  // The earliest next heartbeat across agents (wall ms), 0 = none.
  std::int64_t next_ms() const;
  std::size_t agent_count() const { return agents_.size(); }

 private:
  struct Agent {
    HeartbeatSettings s;
    std::int64_t next_ms = 0;
    bool running = false;
    std::vector<std::string> pending;
  };
  void arm();
  void on_timer();
  void beat(const std::string& agent_id, std::int64_t now);
  void ended(const std::string& agent_id, std::int64_t started, const std::string& run_id,
             std::string status, std::string text, std::string error);
  void report(const std::string& agent_id, Json ev);

  Deps d_;
  std::map<std::string, Agent> agents_;
  Json last_;
  bool stopped_ = false;
  bool paused_ = false;
  bool standby_ = false;
  boost::asio::steady_timer timer_;
  Alive alive_;
};

}  // namespace simpleclaw::gateway
