// Scripted runs as OpenClaw's CLI makes them: `agent` (accepted, then the final reply
// under the same request id), `agent.wait`, and `send` (direct delivery to a channel
// target), against the fake LLM and the fake Telegram Bot API.
#include <thread>

#include "channel_helpers.h"
#include "fakes/py_fake.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using ::fakes::PyFake;

// The interim {status: "accepted"} answer the client kept with its events.
std::optional<Json> accepted_of(WsClient& c, const std::string& run_id) {
  for (const Json& f : c.events())
    if (f.value("type", "") == "res" && f["payload"].value("status", "") == "accepted" &&
        f["payload"].value("runId", "") == run_id)
      return f["payload"];
  return std::nullopt;
}

TEST(ScriptedRuns, AgentAnswersAcceptedThenTheFinalReplyAndAgentWaitAgrees) {
  FakeLlm llm;
  llm.push(answer("The final answer."));
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);

  auto r = c->call("agent", Json{{"message", "what is it?"}, {"idempotencyKey", "run-1"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["runId"], "run-1");
  EXPECT_EQ((*r)["status"], "ok");
  EXPECT_EQ((*r)["summary"], "completed");
  ASSERT_EQ((*r)["result"]["payloads"].size(), 1u) << r->dump();
  EXPECT_EQ((*r)["result"]["payloads"][0]["text"], "The final answer.");
  EXPECT_EQ((*r)["result"]["meta"]["agentMeta"]["sessionKey"], "agent:main:main");
  EXPECT_EQ((*r)["result"]["meta"]["agentMeta"]["model"], "fake/gpt-test");
  // The first answer came before, under the same id.
  auto acc = accepted_of(*c, "run-1");
  ASSERT_TRUE(acc.has_value()) << "no interim accepted answer";
  EXPECT_EQ((*acc)["sessionKey"], "agent:main:main");
  EXPECT_EQ((*acc)["agentId"], "main");
  EXPECT_GT((*acc)["acceptedAt"].get<std::int64_t>(), 0);

  // agent.wait on the run that ended answers at once, from another connection too.
  auto other = gw->connect();
  ASSERT_NE(other, nullptr);
  auto w = other->call("agent.wait", Json{{"runId", "run-1"}});
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ((*w)["status"], "ok");
  EXPECT_GE((*w)["endedAt"].get<std::int64_t>(), (*w)["startedAt"].get<std::int64_t>());

  // The run is an ordinary turn of the main session: its user message carries the key
  // OpenClaw's clients match their send with.
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ((*h)["messages"].size(), 2u);
  EXPECT_EQ((*h)["messages"][0]["idempotencyKey"], "run-1:user");
  EXPECT_FALSE((*h)["messages"][1].contains("idempotencyKey"));

  // A retry with the same key is answered from the run's outcome, not run again.
  auto again = c->call("agent", Json{{"message", "what is it?"}, {"idempotencyKey", "run-1"}});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ((*again)["status"], "ok");
  EXPECT_EQ((*again)["result"]["payloads"][0]["text"], "The final answer.");
  EXPECT_EQ(llm.requests().size(), 1u);

  // A run nobody started: the wait times out.
  auto none = c->call("agent.wait", Json{{"runId", "no-such-run"}, {"timeoutMs", 200}});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)["status"], "timeout");

  // Bad input gets a clear error and starts nothing.
  EXPECT_FALSE(c->call("agent", Json{{"idempotencyKey", "run-2"}}).ok()) << "no message";
  EXPECT_FALSE(c->call("agent", Json{{"message", "x"}}).ok()) << "no idempotencyKey";
  EXPECT_FALSE(
      c->call("agent", Json{{"message", "x"}, {"idempotencyKey", "run-3"}, {"nope", 1}}).ok());
  auto unknown_agent =
      c->call("agent", Json{{"message", "x"}, {"idempotencyKey", "run-4"}, {"agentId", "ghost"}});
  ASSERT_FALSE(unknown_agent.ok());
  EXPECT_NE(unknown_agent.error().message.find("ghost"), std::string::npos);
  EXPECT_FALSE(c->call("agent", Json{{"message", "x"},
                                     {"idempotencyKey", "run-5"},
                                     {"deliver", true},
                                     {"channel", "webchat"},
                                     {"to", "x"}})
                   .ok())
      << "webchat is no delivery target";
  EXPECT_EQ(llm.requests().size(), 1u);
}

TEST(ScriptedRuns, AFailedRunIsAnErrorAndAgentWaitBlocksUntilARunEnds) {
  FakeLlm llm;
  Script slow = answer("slow reply");
  slow.head_delay_ms = 600;
  llm.push(slow);
  Script bad;
  bad.status = 400;
  bad.error_message = "the prompt was refused";
  llm.push(bad);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  auto waiter = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_NE(waiter, nullptr);

  auto sent = c->call(
      "chat.send",
      Json{{"sessionKey", "main"}, {"message", "take your time"}, {"idempotencyKey", "slow-1"}});
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  auto t0 = std::chrono::steady_clock::now();
  auto w = waiter->call("agent.wait", Json{{"runId", "slow-1"}, {"timeoutMs", 10000}});
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ((*w)["status"], "ok");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300))
      << "answered before the run ended";

  auto r = c->call("agent", Json{{"message", "refuse me"}, {"idempotencyKey", "bad-1"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["status"], "error");
  EXPECT_NE((*r)["summary"].get<std::string>().find("refused"), std::string::npos) << r->dump();
  EXPECT_TRUE((*r)["result"]["payloads"].empty());
  auto wb = waiter->call("agent.wait", Json{{"runId", "bad-1"}});
  ASSERT_TRUE(wb.ok());
  EXPECT_EQ((*wb)["status"], "error");
}

constexpr const char* kTelegramBotToken = "4242:TESTTOKEN";

TEST(ScriptedRuns, SendDeliversOnceToATelegramChatAndAgentCanDeliverItsReply) {
  FakeLlm llm;
  llm.push(answer("Here is your summary."));
  PyFake tg(SIMPLECLAW_SOURCE_DIR "/tests/fakes/fake_telegram.py", {kTelegramBotToken});
  ASSERT_TRUE(tg.ok());
  START_GATEWAY(gw, with_config(config_for(llm,
                                           "channels:\n"
                                           "  telegram:\n"
                                           "    token: \"" +
                                               std::string(kTelegramBotToken) +
                                               "\"\n"
                                               "    api_base: " +
                                               tg.url() +
                                               "\n"
                                               "    poll_timeout_s: 2\n"
                                               "    allow_from: [111]\n")));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  auto sent_count = [&] { return tg.get("/control/sent").size(); };

  auto r = c->call("send", Json{{"channel", "telegram"},
                                {"to", "111"},
                                {"message", "The build is green."},
                                {"idempotencyKey", "send-1"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["runId"], "send-1");
  EXPECT_EQ((*r)["channel"], "telegram");
  EXPECT_FALSE((*r)["messageId"].get<std::string>().empty());
  Json sent = tg.get("/control/sent");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["chat_id"], "111");
  EXPECT_EQ(sent[0]["text"], "The build is green.");

  // A retry after a lost answer: the same answer, nothing sent twice.
  auto again = c->call("send", Json{{"channel", "telegram"},
                                    {"to", "111"},
                                    {"message", "The build is green."},
                                    {"idempotencyKey", "send-1"}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["messageId"], (*r)["messageId"]);
  // Without a channel: the one channel that can deliver.
  auto implicit =
      c->call("send", Json{{"to", "111"}, {"message", "second"}, {"idempotencyKey", "send-2"}});
  ASSERT_TRUE(implicit.ok()) << implicit.error().message;
  EXPECT_EQ(sent_count(), 2u);

  // What cannot be delivered is refused with a reason, and nothing is sent.
  auto webchat = c->call(
      "send",
      Json{{"channel", "webchat"}, {"to", "x"}, {"message", "m"}, {"idempotencyKey", "s3"}});
  ASSERT_FALSE(webchat.ok());
  EXPECT_NE(webchat.error().message.find("chat.send"), std::string::npos);
  auto discord = c->call(
      "send",
      Json{{"channel", "discord"}, {"to", "x"}, {"message", "m"}, {"idempotencyKey", "s4"}});
  ASSERT_FALSE(discord.ok());
  EXPECT_NE(discord.error().message.find("not configured"), std::string::npos);
  auto media = c->call("send", Json{{"channel", "telegram"},
                                    {"to", "111"},
                                    {"mediaUrl", "http://x/y.png"},
                                    {"idempotencyKey", "s5"}});
  ASSERT_FALSE(media.ok());
  EXPECT_NE(media.error().message.find("text only"), std::string::npos);
  EXPECT_FALSE(c->call("send", Json{{"channel", "telegram"}, {"to", "111"}, {"message", "m"}}).ok())
      << "no idempotencyKey";
  EXPECT_EQ(sent_count(), 2u);

  // message.action {action: send}, as `openclaw message send` sends it: once per key.
  Json action{{"channel", "telegram"},
              {"action", "send"},
              {"params", {{"message", "from the cli"}, {"to", "telegram:111"}, {"target", "111"}}},
              {"idempotencyKey", "act-1"}};
  auto acted = c->call("message.action", action);
  ASSERT_TRUE(acted.ok()) << acted.error().message;
  EXPECT_EQ((*acted)["ok"], true);
  EXPECT_EQ((*acted)["to"], "111");
  EXPECT_FALSE((*acted)["messageId"].get<std::string>().empty());
  auto acted_again = c->call("message.action", action);
  ASSERT_TRUE(acted_again.ok());
  EXPECT_EQ((*acted_again)["messageId"], (*acted)["messageId"]);
  action["action"] = "react";
  action["idempotencyKey"] = "act-2";
  auto react = c->call("message.action", action);
  ASSERT_FALSE(react.ok());
  EXPECT_NE(react.error().message.find("only the send action"), std::string::npos);
  EXPECT_EQ(sent_count(), 3u);

  // agent with deliver: the reply also goes to the chat.
  auto run = c->call("agent", Json{{"message", "summarise"},
                                   {"idempotencyKey", "run-d"},
                                   {"deliver", true},
                                   {"channel", "telegram"},
                                   {"to", "111"}});
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ((*run)["status"], "ok");
  EXPECT_EQ((*run)["result"]["meta"]["delivery"]["delivered"], true) << run->dump();
  sent = tg.get("/control/sent");
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[2]["text"], "from the cli");
  EXPECT_EQ(sent[3]["text"], "Here is your summary.");
}

}  // namespace
}  // namespace sctest
