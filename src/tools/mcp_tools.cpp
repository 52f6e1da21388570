#include "tools/mcp_tools.h"

namespace simpleclaw::tools {
namespace {

class McpTask final : public ToolTask {
 public:
  McpTask(McpManager& mcp) : mcp_(mcp) {}
  void cancel() override { mcp_.cancel(id_); }
  McpManager& mcp_;
  McpCallId id_;
};

}  // namespace

std::vector<ToolSpec> McpTools::specs() const {
  std::vector<ToolSpec> out;
  for (const McpToolSpec& s : mcp_.tool_specs()) {
    Json schema = s.input_schema.is_object() ? s.input_schema : Json{{"type", "object"}};
    out.push_back(ToolSpec{s.full_name, s.description, std::move(schema)});
  }
  return out;
}

bool McpTools::handles(const std::string& name) const {
  if (name.find("__") == std::string::npos) return false;
  for (const McpToolSpec& s : mcp_.tool_specs())
    if (s.full_name == name) return true;
  return false;
}

std::shared_ptr<ToolTask> McpTools::start(const ToolContext& ctx, const std::string& name,
                                          const Json& args, ToolDone done) {
  auto task = std::make_shared<McpTask>(mcp_);
  task->id_ = mcp_.call(name, args, 0, [done = std::move(done)](Result<ToolCallResult> r) {
    if (!r.ok()) return done(ToolOutcome{"error: " + r.error().message, true});
    done(ToolOutcome{r->text, r->is_error});
  });
  return task;
}

}  // namespace simpleclaw::tools
