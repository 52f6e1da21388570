// ApprovalManager on a real io_context with an in-memory store: every path of an
// approval (resolve, idempotent re-resolve, conflict, expiry, cancel, prefix ids,
// allow-always availability) and the restart path (re-offer or expire).
#include "tools/approvals.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace simpleclaw::tools {
namespace {

struct MemStore : ApprovalStore {
  std::map<std::string, ApprovalRecord> rows;
  void save(const ApprovalRecord& r) override { rows[r.id] = r; }
  void load_pending(std::function<void(std::vector<ApprovalRecord>)> done) override {
    std::vector<ApprovalRecord> out;
    for (auto& [id, r] : rows)
      if (r.status == "pending") out.push_back(r);
    done(out);
  }
};

struct Events : ApprovalSink {
  std::vector<std::pair<std::string, Json>> got;
  void approval_event(const char* event, Json payload) override {
    got.emplace_back(event, payload);
  }
};

struct ApprovalDecision {
  std::string decision, reason, by;
  int calls = 0;
  // The `decided` callback that records into this.
  ApprovalManager::Decided recorder() {
    return [this](const std::string& dec, const std::string& why, const std::string& who) {
      *this = {dec, why, who, calls + 1};
    };
  }
};

Json req(bool allow_always = true) {
  return Json{{"command", "rm -rf build"},
              {"cwd", "/ws"},
              {"agentId", "main"},
              {"sessionKey", "agent:main:main"},
              {"allowAlways", allow_always}};
}

TEST(Approvals, ResolveOnceIdempotentAndConflicting) {
  boost::asio::io_context io;
  MemStore store;
  Events ev;
  ApprovalManager m(io, store, ev);
  ApprovalDecision d;
  std::string id = m.request(req(), 60000, d.recorder());
  ASSERT_EQ(ev.got.size(), 1u);
  EXPECT_EQ(ev.got[0].first, "exec.approval.requested");
  EXPECT_EQ(ev.got[0].second["request"]["command"], "rm -rf build");
  EXPECT_EQ(store.rows.at(id).status, "pending");
  EXPECT_EQ(m.list().size(), 1u);

  auto r = m.resolve(id.substr(0, 8), "allow-once", "alice");  // short id
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(d.calls, 1);
  EXPECT_EQ(d.decision, "allow-once");
  EXPECT_EQ(d.by, "alice");
  EXPECT_EQ(ev.got.back().first, "exec.approval.resolved");
  EXPECT_EQ(ev.got.back().second["decision"], "allow-once");
  EXPECT_EQ(store.rows.at(id).status, "allow-once");
  EXPECT_EQ(m.list().size(), 0u);

  auto again = m.resolve(id, "allow-once", "bob");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["alreadyResolved"], true);
  EXPECT_EQ(d.calls, 1) << "decided runs once";
  auto conflict = m.resolve(id, "deny", "bob");
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().details["code"], "APPROVAL_ALREADY_RESOLVED");
  auto unknown = m.resolve("nope-nope-nope", "deny", "bob");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kApprovalNotFound);
  EXPECT_FALSE(m.resolve(id, "maybe", "bob").ok());
}

TEST(Approvals, ExpiryDeniesWithReasonTimeout) {
  boost::asio::io_context io;
  MemStore store;
  Events ev;
  ApprovalManager m(io, store, ev);
  ApprovalDecision d;
  std::string id = m.request(req(), 50, d.recorder());
  io.run_for(std::chrono::milliseconds(500));
  EXPECT_EQ(d.calls, 1);
  EXPECT_EQ(d.decision, "deny");
  EXPECT_EQ(d.reason, "timeout");
  EXPECT_EQ(ev.got.back().second["reason"], "timeout");
  EXPECT_EQ(store.rows.at(id).reason, "timeout");
  auto late = m.resolve(id, "allow-once", "alice");
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("deny (timeout)"), std::string::npos);
}

TEST(Approvals, AllowAlwaysOnlyWhenOfferedAndCancelDenies) {
  boost::asio::io_context io;
  MemStore store;
  Events ev;
  ApprovalManager m(io, store, ev);
  ApprovalDecision d;
  Json r = req(false);
  r["allowAlwaysUnavailable"] = "sh -c runs another command";
  std::string id = m.request(r, 60000, d.recorder());
  auto aa = m.resolve(id, "allow-always", "alice");
  ASSERT_FALSE(aa.ok());
  EXPECT_NE(aa.error().message.find("sh -c runs another command"), std::string::npos);
  EXPECT_EQ(d.calls, 0) << "still pending";
  m.cancel(id, "cancelled");
  EXPECT_EQ(d.calls, 1);
  EXPECT_EQ(d.decision, "deny");
  EXPECT_EQ(d.reason, "cancelled");
}

TEST(Approvals, RestartReOffersPendingAndExpiresStale) {
  boost::asio::io_context io;
  MemStore store;
  Events ev1;
  std::string live, stale;
  {
    ApprovalManager m(io, store, ev1);
    live = m.request(req(), 60000, [](auto&, auto&, auto&) {});
    stale = m.request(req(), 60000, [](auto&, auto&, auto&) {});
    m.shutdown();  // not saved as decided: still pending on disk
  }
  store.rows.at(stale).expires_ms = wall_now_ms() - 1;
  Events ev2;
  ApprovalManager m2(io, store, ev2);
  std::vector<ApprovalRecord> orphans;
  m2.on_orphan_allowed = [&](const ApprovalRecord& r) { orphans.push_back(r); };
  bool loaded = false;
  m2.load([&] { loaded = true; });
  ASSERT_TRUE(loaded);
  ASSERT_EQ(m2.list().size(), 1u);
  EXPECT_EQ(m2.list()[0]["id"], live);
  ASSERT_EQ(ev2.got.size(), 1u);
  EXPECT_EQ(ev2.got[0].first, "exec.approval.requested");
  EXPECT_EQ(store.rows.at(stale).status, "deny");
  EXPECT_EQ(store.rows.at(stale).reason, "timeout");
  ASSERT_TRUE(m2.resolve(live, "allow-always", "alice").ok());
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].request["command"], "rm -rf build");
  EXPECT_EQ(orphans[0].status, "allow-always");
}

TEST(Approvals, AGrantLetsTheSameCommandInTheSameSessionThroughOnceWithoutAskingAgain) {
  boost::asio::io_context io;
  MemStore store;
  Events ev;
  ApprovalManager m(io, store, ev);
  ApprovalRecord decided;
  decided.request = req();
  decided.resolved_by = "telegram:111";
  m.grant_once(decided);
  Json other_session = req();
  other_session["sessionKey"] = "agent:main:other";
  ApprovalDecision elsewhere, first, second;
  m.request(other_session, 60000, elsewhere.recorder());
  m.request(req(), 60000, first.recorder());
  m.request(req(), 60000, second.recorder());
  io.poll();  // the granted decision is posted; the others' deadlines are a minute away
  EXPECT_EQ(elsewhere.calls, 0) << "another session's command still waits for a human";
  EXPECT_EQ(first.calls, 1);
  EXPECT_EQ(first.decision, "allow-once");
  EXPECT_EQ(first.by, "telegram:111");
  EXPECT_EQ(second.calls, 0) << "a grant is used once";
  EXPECT_EQ(m.pending_count(), 2u);
}

}  // namespace
}  // namespace simpleclaw::tools
