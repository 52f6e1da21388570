// ChannelBridge: what the channel manager asks of the gateway (channels::ChannelDispatch)
// and the message tool's delivery. A platform message becomes a chat run like chat.send
// (its user message durable before the connector may acknowledge it to the platform); an
// `/approve` typed in a chat resolves an exec approval; account state changes reach
// operators as `channels.changed` and refresh the health snapshot. The message tool's
// `webchat` channel is a session key (the text lands there like chat.inject); any other
// channel is delivered by the channel manager.
//
// Threading: loop thread only.
#pragma once
#include <functional>
#include <string>

#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "agents/session_service.h"
#include "channels/channel_manager.h"
#include "gateway/clients.h"

namespace simpleclaw::gateway {

class AgentTools;
class HealthMonitor;

class ChannelBridge final : public channels::ChannelDispatch {
 public:
  // Everything it calls may be constructed after this object (it is used only once the
  // gateway runs); `ready` says whether health refreshes may happen yet.
  ChannelBridge(agents::RunEngine& runs, agents::SessionService& sessions,
                const agents::AgentDirectory& agents, AgentTools& tools, ClientTable& clients,
                channels::ChannelManager& channels, HealthMonitor& health,
                std::function<bool()> ready)
      : runs_(runs),
        sessions_(sessions),
        agents_(agents),
        tools_(tools),
        clients_(clients),
        channels_(channels),
        health_(health),
        ready_(std::move(ready)) {}

  // channels::ChannelDispatch
  void submit(channels::Submission s, std::function<void(Result<bool>)> accepted) override;
  Result<Json> resolve_approval(const std::string& id_or_prefix, const std::string& decision,
                                const std::string& by) override;
  void channels_changed(Json payload) override;

  // The message tool (sdk::ToolServices::deliver).
  void deliver(const std::string& channel, const std::string& to, const std::string& text,
               const std::string& from_agent, std::function<void(Result<std::string>)> done);

 private:
  agents::RunEngine& runs_;
  agents::SessionService& sessions_;
  const agents::AgentDirectory& agents_;
  AgentTools& tools_;
  ClientTable& clients_;
  channels::ChannelManager& channels_;
  HealthMonitor& health_;
  std::function<bool()> ready_;
};

}  // namespace simpleclaw::gateway
