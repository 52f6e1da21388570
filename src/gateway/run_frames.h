// RunFrames: where runs meet the protocol. The run engine and the session service report
// typed events (agents/run_events.h); this turns them into `chat` and `agent` frames for
// the operators who may see them (operator.read; shared mode: the session's owner and the
// admin), `sessions.changed` for subscribers, the run counters of /metrics, and the
// replies the channel manager sends back to platforms.
//
//   RunStarted   -> agent {stream:"lifecycle", data:{phase:"start"}}
//   RunDelta     -> chat {state:"delta", deltaText, message} + agent {stream:"assistant"}
//                   (held and merged for busy sockets: ClientTable::stream_delta)
// Deltas and every `agent` event go only to the sockets watching the session
// (Client::watched) or all sessions (sessions.subscribe); chat finals and
// sessions.changed keep their audience.
//   RunRetry     -> agent {stream:"lifecycle", data:{phase:"retry"}} (droppable)
//   ToolEvent    -> agent {stream:"tool", data:{phase:"start"|"result", ...}}
//   RunFinished  -> chat final | aborted | error for the run and any it absorbed, then
//                   agent {stream:"lifecycle", data:{phase:"end"|"error"}}; the run's
//                   waiters (`agent`, `agent.wait`: RunWaiters) are answered
//   SessionChange-> sessions.changed
//   committed transcript entries (user message, tool round, reply, injected message)
//                -> session.message to the sockets following the session
//                   (sessions.messages.subscribe)
//
// Threading: loop thread only.
#pragma once
#include "agents/agent_directory.h"
#include "agents/run_events.h"
#include "gateway/clients.h"
#include "gateway/run_waiters.h"
#include "gateway/state/metrics.h"

namespace simpleclaw::channels {
class ChannelManager;
}

namespace simpleclaw::gateway {

class RunFrames final : public agents::RunSink {
 public:
  // `channels` may be constructed after this object; it is used only once runs happen.
  RunFrames(ClientTable& clients, Metrics& metrics, const agents::AgentDirectory& agents,
            channels::ChannelManager& channels, RunWaiters& waiters)
      : clients_(clients),
        metrics_(metrics),
        agents_(agents),
        channels_(channels),
        waiters_(waiters) {}

  void run_started(const agents::RunStarted& e) override;
  void run_delta(const agents::RunDelta& e) override;
  void run_retry(const agents::RunRetry& e) override;
  void tool_event(const agents::ToolEvent& e) override;
  void run_finished(const agents::RunFinished& e) override;
  void session_changed(const agents::SessionChange& e) override;

 private:
  void agent_frame(const std::string& run_id, const std::string& key, std::uint64_t seq,
                   std::int64_t ts, const char* stream, Json data, bool droppable);
  void count_finish(sessions::RunStatus status, sdk::ErrorKind kind);
  void session_message(const std::string& key, const sessions::Entry& entry, std::int64_t ts);

  ClientTable& clients_;
  Metrics& metrics_;
  const agents::AgentDirectory& agents_;
  channels::ChannelManager& channels_;
  RunWaiters& waiters_;
};

}  // namespace simpleclaw::gateway
