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
#include <optional>
#include <string>

#include "base/alive.h"
#include "base/blocking_pool.h"
#include "config/config.h"
#include "sessions/db_worker.h"
#include "simpleclaw/registry.h"
#include "tools/approvals.h"
#include "tools/exec_tool.h"
#include "tools/mcp_client.h"
#include "tools/mcp_tools.h"
#include "tools/message_tool.h"
#include "tools/tool_runner.h"

namespace simpleclaw::gateway {

// The approvals table's rows as the ApprovalManager holds them.
std::vector<tools::ApprovalRecord> approval_records(const std::vector<sessions::ApprovalRow>& rows);

class AgentTools final : public tools::ApprovalStore {
 public:
  // `sink` may be constructed after this object (it gets events only once the loop runs).
  AgentTools(boost::asio::io_context& io, sessions::DbWorker& db, BlockingPool& files,
             tools::ApprovalSink& sink, std::string state_dir,
             tools::ExecTool::PersistAllow persist_allow, tools::MessageTool::Deliver deliver,
             const sdk::Registry& registry);
  ~AgentTools() override;

  void configure(const config::Config& cfg);  // (re)starts/stops MCP servers
  // Loads approvals left pending by a previous process.
  void start(std::function<void()> ready);
  // Ends pending approvals (kept on disk) and stops the MCP servers.
  void shutdown(std::function<void()> done);

  tools::ToolRunner& runner() { return runner_; }
  tools::ApprovalManager& approvals() { return approvals_; }
  const tools::ApprovalManager& approvals() const { return approvals_; }
  tools::McpManager& mcp() { return mcp_; }

  // tools::ApprovalStore (on the DbWorker)
  void save(const tools::ApprovalRecord& r) override { save(r, nullptr); }
  void save(const tools::ApprovalRecord& r, std::function<void()> stored) override;
  void load_pending(std::function<void(std::vector<tools::ApprovalRecord>)> done) override;
  // The pending approvals as read at start, before the store went to its worker thread:
  // the first load_pending() answers from them at once, so a client connecting the
  // moment the gateway listens already finds them (PostgreSQL's round trip would
  // otherwise race it).
  void preload(std::vector<sessions::ApprovalRow> rows) { preloaded_ = std::move(rows); }

 private:
  std::optional<std::vector<sessions::ApprovalRow>> preloaded_;
  sessions::DbWorker& db_;
  tools::ApprovalManager approvals_;
  tools::McpManager mcp_;
  tools::McpTools mcp_tools_;
  sdk::ToolServices services_;
  std::vector<std::unique_ptr<tools::ToolProvider>> builtin_;  // the registry's tools
  tools::ToolRunner runner_;
  Alive alive_;  // last: approval rows loaded after destruction are dropped
};

}  // namespace simpleclaw::gateway
