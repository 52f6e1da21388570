#include "gateway/agent_tools.h"

#include <utility>

#include "base/log.h"

namespace simpleclaw::gateway {
namespace {

tools::McpClientOptions mcp_options(const std::string& state_dir) {
  tools::McpClientOptions o;
  o.default_cwd = state_dir;
  o.client_version = SIMPLECLAW_VERSION;
  return o;
}

}  // namespace

AgentTools::AgentTools(boost::asio::io_context& io, sessions::DbWorker& db, BlockingPool& files,
                       tools::ApprovalSink& sink, std::string state_dir,
                       tools::ExecTool::PersistAllow persist_allow,
                       tools::MessageTool::Deliver deliver, const sdk::Registry& registry)
    : db_(db),
      approvals_(io, *this, sink),
      mcp_(io, mcp_options(state_dir)),
      mcp_tools_(mcp_),
      services_{io, approvals_, state_dir, std::move(persist_allow), std::move(deliver)},
      runner_(io, files) {
  for (const auto& ext : registry.tools()) {
    builtin_.push_back(ext.factory(services_));
    runner_.add_provider(builtin_.back().get());
  }
  runner_.add_provider(&mcp_tools_);
}

AgentTools::~AgentTools() = default;

void AgentTools::configure(const config::Config& cfg) { mcp_.apply(cfg.mcp); }

void AgentTools::start(std::function<void()> ready) { approvals_.load(std::move(ready)); }

void AgentTools::shutdown(std::function<void()> done) {
  approvals_.shutdown();
  mcp_.stop_all(std::move(done));
}

void AgentTools::save(const tools::ApprovalRecord& r, std::function<void()> stored) {
  sessions::ApprovalRow row{r.id,          r.request.dump(), r.status,     r.reason,
                            r.resolved_by, r.created_ms,     r.expires_ms, r.resolved_ms};
  db_.post([row](sessions::SessionStore& s) { return s.save_approval(row); },
           [id = r.id, stored = std::move(stored)](Status st) {
             if (!st.ok()) log::error("approval {}: cannot store it: {}", id, st.error().message);
             if (stored) stored();  // asked anyway: a decision still reaches the run
           });
}

std::vector<tools::ApprovalRecord> approval_records(
    const std::vector<sessions::ApprovalRow>& rows) {
  std::vector<tools::ApprovalRecord> out;
  for (const auto& r : rows) {
    tools::ApprovalRecord a;
    a.id = r.id;
    a.request = Json::parse(r.request_json, nullptr, false);
    if (a.request.is_discarded()) a.request = Json::object();
    a.status = r.status;
    a.reason = r.reason;
    a.resolved_by = r.resolved_by;
    a.created_ms = r.created_at;
    a.expires_ms = r.expires_at;
    a.resolved_ms = r.resolved_at;
    out.push_back(std::move(a));
  }
  return out;
}

void AgentTools::load_pending(std::function<void(std::vector<tools::ApprovalRecord>)> done) {
  if (preloaded_) {
    auto rows = std::exchange(preloaded_, std::nullopt);
    return done(approval_records(*rows));
  }
  db_.post([](sessions::SessionStore& s) { return s.pending_approvals(); },
           alive_.guard([done = std::move(done)](Result<std::vector<sessions::ApprovalRow>> rows) {
             if (!rows.ok()) {
               log::error("approvals: cannot load the pending ones: {}", rows.error().message);
               return done({});
             }
             done(approval_records(*rows));
           }));
}

}  // namespace simpleclaw::gateway
