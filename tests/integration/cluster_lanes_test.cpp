// Cluster mode's session lanes (docs/cluster.md "Session lanes"; label cluster): two
// gateways on one database and one NATS. While instance a runs a session, a message for
// that session reaching instance b is forwarded to a (NATS request/reply), runs there after
// the first in the session's order, and b's client gets the same answer and the stream as
// if it had been connected to a.
#include <thread>

#include "integration/channel_helpers.h"
#include "integration/cluster_helpers.h"

namespace sctest {

TEST(ClusterLanes, AMessageForASessionAnotherInstanceServesIsForwardedAndRunsThereInOrder) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  fakes::Script slow;
  slow.chunks = {"first answer"};
  slow.head_delay_ms = 600;  // the first run is still going when b's message comes
  cl.llm.push(slow);
  START_GATEWAY(a, cl.start("a"));
  START_GATEWAY(b, cl.start("b"));
  auto ca = a->connect();
  auto cb = b->connect();
  ASSERT_TRUE(ca && cb);
  ASSERT_TRUE(nats_connected(*cb));

  Json first = send(*ca, "main", "one", "lane-run-1");
  ASSERT_EQ(first["status"], "started") << first.dump();
  ASSERT_TRUE(cl.llm.wait_requests(1));
  const auto t0 = std::chrono::steady_clock::now();
  Json second = send(*cb, "main", "two", "lane-run-2");
  const auto ack_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  // The same answer a's own client would get: accepted, queued behind the first.
  EXPECT_EQ(second["status"], "started") << second.dump();
  EXPECT_EQ(second["runId"], "lane-run-2");
  // b's client sees its run's stream, though the run is a's.
  auto seen = chat_events(*cb, "lane-run-2", 15000);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back()["state"], "final") << seen.back().dump();
  EXPECT_EQ(seen.back()["message"]["content"][0]["text"], "echo: two");
  EXPECT_EQ(final_event(*ca, "lane-run-1")["state"], "final");

  // Both ran on a, one after the other, and the transcript is in order.
  EXPECT_EQ(cl.count("SELECT count(*) FROM runs WHERE run_id IN ('lane-run-1', 'lane-run-2') "
                     "AND instance = 'a' AND status = 'final'"),
            2);
  auto ended = cl.rows(
      "SELECT run_id FROM runs WHERE run_id IN ('lane-run-1', 'lane-run-2') ORDER BY ended_at");
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended[0][0], "lane-run-1");
  Json history = call_ok(*cb, "chat.history", Json{{"sessionKey", "main"}});
  std::vector<std::string> texts;
  for (const Json& m : history["messages"]) {
    const Json& c = m["content"];
    texts.push_back(c.is_array() && !c.empty() ? c[0].value("text", "") : c.dump());
  }
  // As on one gateway: a message is stored when it is accepted (so "two" before the first
  // answer), and its answer follows the first.
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "two", "first answer", "echo: two"}))
      << history.dump();
  // A duplicate of the forwarded send, through either instance: the same run, not a new one.
  auto dup =
      cb->call("chat.send",
               Json{{"sessionKey", "main"}, {"message", "two"}, {"idempotencyKey", "lane-run-2"}});
  ASSERT_TRUE(dup.ok());
  EXPECT_NE((*dup)["status"], "started") << dup->dump();
  EXPECT_EQ(cl.count("SELECT count(*) FROM runs WHERE run_id = 'lane-run-2'"), 1);

  // Idle, the lane is free: b's next message runs on b.
  Json third = send(*cb, "main", "three", "lane-run-3");
  ASSERT_EQ(third["status"], "started") << third.dump();
  EXPECT_EQ(final_event(*cb, "lane-run-3")["state"], "final");
  EXPECT_EQ(cl.count("SELECT count(*) FROM runs WHERE run_id = 'lane-run-3' AND instance = 'b'"),
            1);
  auto st = cb->call("status");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["subsystems"]["cluster"]["nats"]["sendsForwarded"], 1) << st->dump();
  std::printf("a send forwarded from b to the instance serving the session: answered in %lld ms\n",
              static_cast<long long>(ack_ms));
}

TEST(ClusterLanes, AbortWaitAndApprovalThroughOneInstanceReachTheRunOnAnother) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  START_GATEWAY(a, cl.start("a"));
  START_GATEWAY(b, cl.start("b"));
  auto ca = a->connect();
  auto cb = b->connect();
  ASSERT_TRUE(ca && cb);
  ASSERT_TRUE(nats_connected(*cb));

  // chat.abort through b stops the run a executes.
  fakes::Script hang;
  hang.chunks = {"never"};
  hang.head_delay_ms = 20000;
  cl.llm.push(hang);
  Json started = send(*ca, "long", "take your time", "ops-abort");
  ASSERT_EQ(started["status"], "started");
  ASSERT_TRUE(cl.llm.wait_requests(1));
  Json aborted = call_ok(*cb, "chat.abort", Json{{"sessionKey", "long"}});
  EXPECT_EQ(aborted["aborted"], true) << aborted.dump();
  EXPECT_EQ(aborted["runIds"], Json::array({"ops-abort"}));
  auto ended = chat_events(*ca, "ops-abort");
  ASSERT_FALSE(ended.empty());
  EXPECT_EQ(ended.back()["state"], "aborted");
  // Nothing of that session runs anywhere now: an honest "nothing to abort".
  Json none = call_ok(*cb, "chat.abort", Json{{"sessionKey", "long"}});
  EXPECT_EQ(none["aborted"], false);

  // agent.wait through b for a run a executes.
  fakes::Script slow;
  slow.chunks = {"done soon"};
  slow.head_delay_ms = 400;
  cl.llm.push(slow);
  send(*ca, "waited", "a moment", "ops-wait");
  Json waited = call_ok(*cb, "agent.wait", Json{{"runId", "ops-wait"}, {"timeoutMs", 8000}});
  EXPECT_EQ(waited["status"], "ok") << waited.dump();

  // An approval requested by a's run, allowed through b: the command runs on a.
  cl.llm.push(exec_call("echo approved-elsewhere"));
  cl.llm.push(answer_after("it ran", "approved-elsewhere"));
  send(*ca, "tools", "run it", "ops-approve");
  auto req = wait_event(*cb, "exec.approval.requested", 10000);
  ASSERT_TRUE(req.has_value()) << "the request reaches b's operators";
  const std::string id = (*req)["payload"]["id"];
  // A client of b that lists approvals (one that reconnected there) sees it too.
  Json listed = call_ok(*cb, "exec.approval.list");
  ASSERT_TRUE(listed.is_array());
  EXPECT_NE(listed.dump().find(id), std::string::npos) << listed.dump();
  Json resolved =
      call_ok(*cb, "exec.approval.resolve", Json{{"id", id}, {"decision", "allow-once"}});
  EXPECT_FALSE(resolved.is_null());
  auto tool_run = chat_events(*ca, "ops-approve", 15000);
  ASSERT_FALSE(tool_run.empty());
  EXPECT_EQ(tool_run.back()["state"], "final") << tool_run.back().dump();
  EXPECT_EQ(tool_run.back()["message"]["content"][0]["text"], "it ran");
  // An id nobody has is still unknown.
  auto unknown =
      cb->call("exec.approval.resolve",
               Json{{"id", "00000000-0000-4000-8000-000000000000"}, {"decision", "deny"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown approval id"), std::string::npos);
}

}  // namespace sctest
