// exec.approval.request from operator clients, as OpenClaw allows it: an app holding
// operator.approvals asks for a human's yes before it runs a command itself, optionally
// two-phase (accepted with the id first, then the decision), and anyone with approvals can
// wait for the decision with exec.approval.waitDecision. Real gateway, real sockets.
#include <thread>

#include "helpers.h"

namespace sctest {
namespace {

ClientOptions with_scopes(const GatewayProcess& gw, std::vector<std::string> scopes) {
  ClientOptions o = gw.options();
  o.scopes = std::move(scopes);
  return o;
}

TEST(ApprovalRequests, AnOperatorAsksTwoPhaseAndGetsTheHumansDecision) {
  START_GATEWAY(gw);
  auto requester = gw->connect(with_scopes(*gw, {"operator.approvals"}));
  auto approver = gw->connect(with_scopes(*gw, {"operator.approvals"}));
  auto waiter = gw->connect(with_scopes(*gw, {"operator.approvals"}));
  ASSERT_NE(requester, nullptr);
  ASSERT_NE(approver, nullptr);
  ASSERT_NE(waiter, nullptr);

  Result<Json> final_answer = Error::unavailable("not answered");
  std::thread ask([&] {
    final_answer = requester->call("exec.approval.request",
                                   Json{{"id", "deploy-42"},
                                        {"commandArgv", {"deploy", "--env", "prod site"}},
                                        {"cwd", "/srv/app"},
                                        {"env", {{"DEPLOY_TOKEN", "s3cr3t-value"}}},
                                        {"twoPhase", true},
                                        {"timeoutMs", 60000}});
  });
  auto ev = wait_event(*approver, "exec.approval.requested", 10000);
  ASSERT_TRUE(ev.has_value());
  const Json& req = (*ev)["payload"]["request"];
  EXPECT_EQ((*ev)["payload"]["id"], "deploy-42");
  EXPECT_EQ(req["command"], "deploy --env 'prod site'") << "argv shown as one quoted line";
  EXPECT_EQ(req["cwd"], "/srv/app");
  EXPECT_EQ(req["envKeys"], Json::array({"DEPLOY_TOKEN"}));
  EXPECT_EQ(ev->dump().find("s3cr3t-value"), std::string::npos) << "env values are never kept";

  // Waiting for the decision from a third connection blocks until a human decides.
  Result<Json> waited = Error::unavailable("not answered");
  std::thread wait([&] {
    waited = waiter->call("exec.approval.waitDecision", Json{{"id", "deploy-42"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto resolved = approver->call("exec.approval.resolve",
                                 Json{{"id", "deploy-42"}, {"decision", "allow-once"}});
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  ask.join();
  wait.join();

  ASSERT_TRUE(final_answer.ok()) << final_answer.error().message;
  EXPECT_EQ((*final_answer)["id"], "deploy-42");
  EXPECT_EQ((*final_answer)["decision"], "allow-once");
  EXPECT_GT((*final_answer)["expiresAtMs"].get<std::int64_t>(),
            (*final_answer)["createdAtMs"].get<std::int64_t>());
  // The interim answer came first under the same request id.
  bool accepted = false;
  for (const Json& f : requester->events())
    if (f.value("type", "") == "res" && f["payload"].value("status", "") == "accepted") {
      accepted = true;
      EXPECT_EQ(f["payload"]["id"], "deploy-42");
      EXPECT_EQ(f["payload"]["deliveryRoute"], "approval-client") << "the approver is connected";
    }
  EXPECT_TRUE(accepted) << "twoPhase: {status: accepted} before the decision";
  ASSERT_TRUE(waited.ok()) << waited.error().message;
  EXPECT_EQ((*waited)["decision"], "allow-once");

  // After the fact, waitDecision answers at once; the id cannot be reused.
  auto again = waiter->call("exec.approval.waitDecision", Json{{"id", "deploy-42"}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["decision"], "allow-once");
  auto reuse = requester->call("exec.approval.request",
                               Json{{"id", "deploy-42"}, {"command", "deploy again"}});
  ASSERT_FALSE(reuse.ok());
  EXPECT_EQ(reuse.error().details["code"], "APPROVAL_ID_IN_USE");
}

TEST(ApprovalRequests, RefusedWithoutApprovalsAndForBadInput) {
  START_GATEWAY(gw);
  auto reader = gw->connect(with_scopes(*gw, {"operator.read"}));
  ASSERT_NE(reader, nullptr);
  auto r = reader->call("exec.approval.request", Json{{"command", "rm -rf /tmp/x"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("operator.approvals"), std::string::npos) << r.error().message;

  auto op = gw->connect(with_scopes(*gw, {"operator.approvals"}));
  ASSERT_NE(op, nullptr);
  auto empty = op->call("exec.approval.request", Json{{"cwd", "/"}});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("command"), std::string::npos);
  auto bad_id =
      op->call("exec.approval.request", Json{{"id", "no spaces allowed"}, {"command", "ls"}});
  ASSERT_FALSE(bad_id.ok());
  auto unknown = op->call("exec.approval.waitDecision", Json{{"id", "never-asked"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().details["code"], "APPROVAL_NOT_FOUND");
  // Nothing was created by the refused requests.
  auto list = op->call("exec.approval.list");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty()) << list->dump();
}

// Nobody answers: the requester hears "deny, timeout" when its timeout passes, never hangs.
TEST(ApprovalRequests, AnUnansweredRequestIsDeniedAtItsTimeout) {
  START_GATEWAY(gw);
  auto op = gw->connect(with_scopes(*gw, {"operator.approvals"}));
  ASSERT_NE(op, nullptr);
  auto r =
      op->call("exec.approval.request", Json{{"command", "make release"}, {"timeoutMs", 1000}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["decision"], "deny");
  EXPECT_EQ((*r)["reason"], "timeout");
}

}  // namespace
}  // namespace sctest
