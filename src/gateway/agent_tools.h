// AgentTools: everything agents can call, assembled for the gateway — the ToolRunner
// (file tools), the ApprovalManager, the MCP servers, and the tool providers of the
// registry's compiled-in tool extensions (exec, web_fetch, message) — plus the
// approvals' persistence on the session database (this class is their ApprovalStore).
//
// Threading: loop thread. Owned by the Gateway; destroyed before the DbWorker.
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "sessions/db_worker.h"
#include "tools/approvals.h"
#include "tools/exec_tool.h"
#include "tools/mcp_client.h"
#include "tools/mcp_tools.h"
#include "tools/message_tool.h"
#include "tools/tool_runner.h"
#include "tools/tool_services.h"

namespace simpleclaw::plugins {
class Registry;
}

namespace simpleclaw::gateway {

class AgentTools final : public tools::ApprovalStore {
 public:
  AgentTools(boost::asio::io_context& io, sessions::DbWorker& db, tools::ApprovalSink& sink,
             std::string state_dir, tools::ExecTool::PersistAllow persist_allow,
             tools::MessageTool::Deliver deliver, const plugins::Registry& registry);
  ~AgentTools() override;

  void set_config(const config::Config& cfg);  // (re)starts/stops MCP servers
  // Loads approvals left pending by a previous process.
  void start(std::function<void()> ready);
  // Ends pending approvals (kept on disk) and stops the MCP servers.
  void shutdown(std::function<void()> done);

  tools::ToolRunner& runner() { return runner_; }
  tools::ApprovalManager& approvals() { return approvals_; }
  tools::McpManager& mcp() { return mcp_; }

  // tools::ApprovalStore (on the DbWorker)
  void save(const tools::ApprovalRecord& r) override;
  void load_pending(std::function<void(std::vector<tools::ApprovalRecord>)> done) override;

 private:
  sessions::DbWorker& db_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  tools::ApprovalManager approvals_;
  tools::McpManager mcp_;
  tools::McpTools mcp_tools_;
  tools::ToolServices services_;
  std::vector<std::unique_ptr<tools::ToolProvider>> builtin_;  // the registry's tools
  tools::ToolRunner runner_;
};

}  // namespace simpleclaw::gateway
