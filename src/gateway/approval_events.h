// ApprovalEvents: where exec approvals are announced (tools::ApprovalSink). Each request
// and resolution is a structured log record, a prompt in the chat the run came from (the
// channel manager) and an `exec.approval.*` event to operators holding operator.approvals
// (shared mode: only the admin and the user whose session asked).
//
// Threading: loop thread only.
#pragma once
#include "gateway/clients.h"
#include "tools/approvals.h"

namespace simpleclaw::channels {
class ChannelManager;
}

namespace simpleclaw::gateway {

class AgentTools;

class ApprovalEvents final : public tools::ApprovalSink {
 public:
  // `tools` (which holds the approvals) and `channels` may be constructed after this
  // object: they are used only once approvals happen.
  ApprovalEvents(ClientTable& clients, const AgentTools& tools, channels::ChannelManager& channels)
      : clients_(clients), tools_(tools), channels_(channels) {}

  void approval_event(const char* event, Json payload) override;

  // Whether a socket other than `except` would see approval prompts (operator.approvals).
  bool has_approvers(std::uint64_t except) const;

  // The user owning the session an approval event is about ("" = the admin's).
  std::string owner_of(const Json& payload) const;

 private:
  ClientTable& clients_;
  const AgentTools& tools_;
  channels::ChannelManager& channels_;
};

}  // namespace simpleclaw::gateway
