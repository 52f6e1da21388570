// McpTools: the tools of the configured MCP servers offered to agents as
// `<server>__<tool>` (SPEC §8), a ToolProvider over McpManager. A server's error or an
// isError result becomes an error outcome with the server's text.
//
// Threading: loop thread.
#pragma once
#include "tools/mcp_client.h"
#include "tools/tool_runner.h"

namespace simpleclaw::tools {

class McpTools final : public ToolProvider {
 public:
  explicit McpTools(McpManager& mcp) : mcp_(mcp) {}
  std::vector<ToolSpec> specs() const override;
  bool handles(const std::string& name) const override;
  std::shared_ptr<ToolTask> start(const ToolContext& ctx, const std::string& name, const Json& args,
                                  ToolDone done) override;

 private:
  McpManager& mcp_;
};

}  // namespace simpleclaw::tools
