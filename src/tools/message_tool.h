// MessageTool: `message {channel, to, text}` — an agent sends a message to a person on a
// channel (SPEC §8). Delivery belongs to whoever owns the channels (the gateway); this
// provider validates the arguments and hands them over. The gateway's own channel is
// `webchat`, whose `to` is a session key: the text appears in that chat as an assistant
// message (chat.inject). Messaging platforms add their channels here as they land.
//
// Threading: loop thread.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tools/tool_runner.h"

namespace simpleclaw::tools {

class MessageTool final : public ToolProvider {
 public:
  // Delivers `text` to `to` on `channel`; answers once with a short confirmation or an
  // error. `from_agent` is the sending agent.
  using Deliver = decltype(sdk::ToolServices::deliver);
  static constexpr std::size_t kMaxText = 64 * 1024;

  explicit MessageTool(Deliver deliver) : deliver_(std::move(deliver)) {}
  std::vector<ToolSpec> specs() const override;
  bool handles(const std::string& name) const override { return name == "message"; }
  std::shared_ptr<ToolTask> start(const ToolContext& ctx, const std::string& name, const Json& args,
                                  ToolDone done) override;

 private:
  Deliver deliver_;
};

}  // namespace simpleclaw::tools
