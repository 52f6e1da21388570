#include "tools/tool_runner.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "base/fs.h"
#include "base/utf8.h"
#include "tools/file_tools.h"

namespace simpleclaw::tools {
namespace {

Json object_schema(Json properties, std::vector<std::string> required) {
  return Json{{"type", "object"},
              {"properties", std::move(properties)},
              {"required", std::move(required)},
              {"additionalProperties", false}};
}

const std::vector<ToolSpec>& file_specs() {
  static const std::vector<ToolSpec> specs = {
      {"read", "Read a text file from the agent's workspace (paths are relative to it).",
       object_schema(
           {{"path", {{"type", "string"}, {"description", "File path in the workspace"}}}},
           {"path"})},
      {"write",
       "Create or replace a file in the workspace with the given content (parent directories "
       "are created).",
       object_schema({{"path", {{"type", "string"}}}, {"content", {{"type", "string"}}}},
                     {"path", "content"})},
      {"edit",
       "Replace the one occurrence of `old` with `new` in a workspace file (include enough "
       "context to make `old` unique).",
       object_schema({{"path", {{"type", "string"}}},
                      {"old", {{"type", "string"}}},
                      {"new", {{"type", "string"}}}},
                     {"path", "old", "new"})},
      {"ls", "List a directory of the workspace (default: its root).",
       object_schema({{"path", {{"type", "string"}}}}, {})},
  };
  return specs;
}

bool is_file_tool(const std::string& name) {
  return name == "read" || name == "write" || name == "edit" || name == "ls";
}

// A task that is already done or cannot be stopped (file tools finish quickly).
class NoopTask final : public ToolTask {
 public:
  void cancel() override {}
};

}  // namespace

std::string cap_tool_text(std::string text) {
  if (text.size() <= kMaxToolResultBytes) return text;
  std::size_t total = text.size();
  text.resize(utf8_prefix(text, kMaxToolResultBytes).size());
  text += "\n[... output cut: " + std::to_string(total) + " bytes in all]";
  return text;
}

ToolRunner::ToolRunner(boost::asio::io_context& io, BlockingPool& files) : io_(io), files_(files) {}

ToolRunner::~ToolRunner() = default;

void ToolRunner::add_provider(ToolProvider* p) { providers_.push_back(p); }

std::vector<ToolSpec> ToolRunner::specs(const config::ToolsConfig& policy) const {
  std::vector<ToolSpec> out;
  auto add = [&](const ToolSpec& s) {
    if (!policy.permits(s.name)) return;
    for (const auto& o : out)
      if (o.name == s.name) return;
    out.push_back(s);
  };
  for (const ToolProvider* p : providers_)
    for (const auto& s : p->specs()) add(s);
  for (const auto& s : file_specs()) add(s);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::shared_ptr<ToolTask> ToolRunner::start(const ToolContext& ctx, const ToolCall& call,
                                            ToolDone done_direct) {
  // Every outcome arrives asynchronously, even from a provider that answers at once:
  // the caller never re-enters itself from inside start().
  ToolDone done = [io = &io_, d = std::move(done_direct)](ToolOutcome o) {
    boost::asio::post(*io, [d, o = std::move(o)]() mutable { d(std::move(o)); });
  };
  auto fail = [&](std::string why) {
    done(ToolOutcome{std::move(why), true});  // posted by the wrapper above
    return std::make_shared<NoopTask>();
  };
  Json args =
      Json::parse(call.arguments.empty() ? std::string("{}") : call.arguments, nullptr, false);
  if (args.is_discarded() || !args.is_object()) {
    std::string shown = call.arguments.substr(0, 200);
    if (!valid_utf8(shown)) shown = "(not UTF-8)";
    return fail("error: the arguments for " + call.name + " are not a JSON object: " + shown +
                "; call the tool again with a JSON object");
  }
  if (!ctx.policy.permits(call.name))
    return fail("error: tool '" + call.name + "' is not allowed for this agent");
  for (ToolProvider* p : providers_)
    if (p->handles(call.name)) return p->start(ctx, call.name, args, std::move(done));
  if (is_file_tool(call.name))
    return start_file_tool(ctx, call.name, std::move(args), std::move(done));
  return fail("error: unknown tool '" + call.name + "'");
}

std::shared_ptr<ToolTask> ToolRunner::start_file_tool(const ToolContext& ctx,
                                                      const std::string& name, Json args,
                                                      ToolDone done) {
  files_.run(
      [ws = ctx.workspace, name, args = std::move(args)] {
        if (auto s = make_dirs(ws, 0700); !s.ok())
          return ToolOutcome{"error: " + s.error().message, true};
        Result<std::string> r = name == "read"    ? read_tool(ws, args)
                                : name == "write" ? write_tool(ws, args)
                                : name == "edit"  ? edit_tool(ws, args)
                                                  : ls_tool(ws, args);
        return r.ok() ? ToolOutcome{cap_tool_text(std::move(r).value()), false}
                      : ToolOutcome{"error: " + r.error().message, true};
      },
      alive_.guard(std::move(done)));
  return std::make_shared<NoopTask>();
}

}  // namespace simpleclaw::tools
