#include "tools/message_tool.h"

#include "simpleclaw/registry.h"
namespace simpleclaw::tools {
namespace {

class Done final : public ToolTask {
 public:
  void cancel() override {}
};

std::string arg(const Json& a, const char* k) {
  auto it = a.find(k);
  return it != a.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::vector<ToolSpec> MessageTool::specs() const {
  // Built once: the model is offered it on every call.
  static const std::vector<ToolSpec> kSpecs = {
      {"message",
       "Send a message to someone on a channel. channel: webchat (the gateway's own chat; "
       "`to` is a session key such as agent:main:main).",
       Json{{"type", "object"},
            {"properties",
             {{"channel", {{"type", "string"}}},
              {"to", {{"type", "string"}}},
              {"text", {{"type", "string"}}}}},
            {"required", {"channel", "to", "text"}},
            {"additionalProperties", false}}}};
  return kSpecs;
}

std::shared_ptr<ToolTask> MessageTool::start(const ToolContext& ctx, const std::string&,
                                             const Json& args, ToolDone done) {
  std::string channel = arg(args, "channel"), to = arg(args, "to"), text = arg(args, "text");
  auto task = std::make_shared<Done>();
  if (channel.empty() || to.empty() || text.empty()) {
    done(ToolOutcome{"error: message needs non-empty string arguments channel, to and text", true});
    return task;
  }
  if (text.size() > kMaxText) {
    done(ToolOutcome{"error: text is longer than 64 KiB", true});
    return task;
  }
  deliver_(channel, to, text, ctx.agent_id, [done = std::move(done)](Result<std::string> r) {
    if (!r.ok()) return done(ToolOutcome{"error: " + r.error().message, true});
    done(ToolOutcome{*r, false});
  });
  return task;
}

Status register_message(sdk::Registry& r) {
  return r.add_tool(
      {"message", "message: the agent sends a message to a person on a channel",
       [](sdk::ToolServices& s) { return std::make_unique<MessageTool>(s.deliver); }});
}

}  // namespace simpleclaw::tools
