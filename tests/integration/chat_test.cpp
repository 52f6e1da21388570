// Chat end to end: the real gateway process, a real SQLite store, and the fake LLM server
// (tests/fakes) speaking the providers' real wire formats.
#include <signal.h>
#include <unistd.h>

#include "chat_helpers.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using fakes::Script;

TEST(Chat, SendStreamsDeltasThenFinalAndHistoryHasBoth) {
  FakeLlm llm;
  Script s;
  s.chunks = {"Hello", ", ", "world"};
  llm.push(s);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json ack = send(*c, "main", "hi there", "run-1");
  EXPECT_EQ(ack["runId"], "run-1");
  EXPECT_EQ(ack["status"], "started");
  auto evs = chat_events(*c, "run-1");
  ASSERT_GE(evs.size(), 2u);
  std::string joined;
  // Per-run seq from 0, increasing; deltas to a busy socket may be merged (a gap).
  EXPECT_EQ(evs[0]["seq"], 0);
  for (std::size_t i = 0; i + 1 < evs.size(); ++i) {
    EXPECT_EQ(evs[i]["state"], "delta");
    if (i > 0) {
      EXPECT_GT(evs[i]["seq"].get<int>(), evs[i - 1]["seq"].get<int>());
    }
    joined += evs[i]["deltaText"].get<std::string>();
    EXPECT_EQ(evs[i]["message"]["content"][0]["text"], joined);  // cumulative
  }
  EXPECT_EQ(joined, "Hello, world");
  const Json& fin = evs.back();
  EXPECT_EQ(fin["state"], "final");
  EXPECT_EQ(fin["sessionKey"], "agent:main:main");
  EXPECT_EQ(fin["message"]["content"][0]["text"], "Hello, world");
  EXPECT_EQ(fin["usage"]["input"], 11);
  // The request the provider got: system prompt first, then the user's message, with the key.
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers["authorization"], "Bearer sk-test");
  EXPECT_EQ(reqs[0].body["model"], "gpt-test");
  EXPECT_EQ(reqs[0].body["messages"][0]["role"], "system");
  EXPECT_EQ(reqs[0].body["messages"].back()["content"], "hi there");
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ((*h)["messages"].size(), 2u);
  EXPECT_EQ((*h)["messages"][0]["role"], "user");
  EXPECT_EQ((*h)["messages"][0]["content"][0]["text"], "hi there");
  EXPECT_EQ((*h)["messages"][1]["content"][0]["text"], "Hello, world");
  EXPECT_EQ((*h)["hasMore"], false);
  // A second turn carries the first as context.
  send(*c, "main", "again", "run-2");
  chat_events(*c, "run-2");
  reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u);
  const Json& msgs = reqs[1].body["messages"];
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[2]["content"], "Hello, world");
  EXPECT_EQ(msgs[3]["content"], "again");
}

TEST(Chat, AnthropicAndOllamaProvidersStreamToo) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  for (const std::string model : {"claude/claude-test", "local/llama-test"}) {
    std::string key = "agent:main:" + model.substr(0, model.find('/'));
    auto p = c->call("sessions.patch", Json{{"key", key}, {"model", model}});
    ASSERT_TRUE(p.ok()) << p.error().message;
    send(*c, key, "ping " + model, "run-" + model);
    auto evs = chat_events(*c, "run-" + model);
    ASSERT_FALSE(evs.empty());
    EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
    EXPECT_EQ(evs.back()["message"]["content"][0]["text"], "echo: ping " + model);
  }
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].api, "anthropic");
  EXPECT_EQ(reqs[1].api, "ollama");
}

TEST(Chat, DuplicateIdempotencyKeyIsInFlightThenTheCachedResult) {
  FakeLlm llm;
  Script slow;
  slow.chunks = {"a", "b"};
  slow.chunk_delay_ms = 300;
  llm.push(slow);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(send(*c, "main", "once", "k1")["status"], "started");
  EXPECT_EQ(send(*c, "main", "once", "k1")["status"], "in_flight");
  chat_events(*c, "k1");
  Json again = send(*c, "main", "once", "k1");
  EXPECT_EQ(again["status"], "final");
  EXPECT_EQ(again["message"]["content"][0]["text"], "ab");
  EXPECT_EQ(llm.request_count(), 1u);
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  EXPECT_EQ((*h)["messages"].size(), 2u);  // one user message, one reply
}

TEST(Chat, AbortMidStreamSavesThePartialReply) {
  FakeLlm llm;
  Script s;
  s.chunks = {"partial ", "text ", "never", " sent"};
  s.chunk_delay_ms = 400;
  llm.push(s);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "talk slowly", "r-abort");
  // Wait for the first delta, then abort.
  auto first = wait_event(*c, "chat", 5000);
  ASSERT_TRUE(first);
  ASSERT_EQ((*first)["payload"]["state"], "delta");
  auto a = c->call("chat.abort", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ((*a)["aborted"], true);
  EXPECT_EQ((*a)["runIds"], Json::array({"r-abort"}));
  auto evs = chat_events(*c, "r-abort");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "aborted");
  std::string partial = evs.back()["message"]["content"][0]["text"];
  EXPECT_EQ(partial.rfind("partial ", 0), 0u);
  EXPECT_EQ(partial.find("never"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return llm.open_streams() == 0; }, 2000))
      << "the HTTP stream to the provider was not closed";
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_EQ((*h)["messages"].size(), 2u);
  EXPECT_EQ((*h)["messages"][1]["state"], "aborted");
  EXPECT_EQ((*h)["messages"][1]["content"][0]["text"], partial);
}

TEST(Chat, MalformedStreamIsAClearErrorAndTheSessionStaysUsable) {
  FakeLlm llm;
  Script bad;
  bad.chunks = {"half"};
  bad.malformed = true;
  llm.push(bad);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "first", "r-bad");
  auto evs = chat_events(*c, "r-bad");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "error");
  EXPECT_EQ(evs.back()["errorKind"], "unknown");
  EXPECT_NE(evs.back()["errorMessage"].get<std::string>().find("malformed"), std::string::npos)
      << evs.back().dump();
  send(*c, "main", "second", "r-good");
  auto ok = chat_events(*c, "r-good");
  EXPECT_EQ(ok.back()["state"], "final");
  // The failed half reply is not sent to the model again.
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u);
  for (const Json& m : reqs[1].body["messages"]) EXPECT_NE(m["content"], "half");
}

TEST(Chat, RateLimitIsRetriedThenFailsOverToTheFallback) {
  FakeLlm llm;
  Script limited;
  limited.model = "gpt-test";
  limited.status = 429;
  limited.retry_after_s = 0;
  limited.times = -1;
  llm.push(limited);
  START_GATEWAY(gw, with_config(config_for(llm,
                                           "agents:\n  list:\n    - id: main\n"
                                           "      fallbacks: [local/llama-test]\n")));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "hello", "r-fo");
  auto evs = chat_events(*c, "r-fo");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  EXPECT_EQ(evs.back()["message"]["model"], "local/llama-test");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 3u);  // 2 tries of the primary, then the fallback
  EXPECT_EQ(reqs[0].api, "openai");
  EXPECT_EQ(reqs[1].api, "openai");
  EXPECT_EQ(reqs[2].api, "ollama");
}

TEST(Chat, RateLimitWithoutFallbackIsARateLimitError) {
  FakeLlm llm;
  Script limited;
  limited.status = 429;
  limited.times = -1;
  llm.push(limited);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "hello", "r-rl");
  auto evs = chat_events(*c, "r-rl");
  EXPECT_EQ(evs.back()["state"], "error");
  EXPECT_EQ(evs.back()["errorKind"], "rate_limit");
}

// A client that stops reading while a long reply streams: its deltas are merged while
// its socket is busy, so it gets fewer, larger deltas whose deltaText still adds up to the
// whole reply (without merging, the cumulative copies overflow the 50 MiB buffer and
// deltas are dropped, leaving holes). A client that keeps reading gets it all too.
TEST(Chat, DeltasToASlowSocketAreMergedAndStillAddUpToTheReply) {
  FakeLlm llm;
  Script s;
  for (int i = 0; i < 400; ++i)
    s.chunks.push_back(std::string(999, static_cast<char>('a' + i % 26)) + "\n");
  llm.push(s);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto slow = gw->connect();
  auto fast = gw->connect();
  ASSERT_NE(slow, nullptr);
  ASSERT_NE(fast, nullptr);
  // The slow client follows the session (it gets its deltas: see StreamRouting).
  ASSERT_TRUE(slow->call("sessions.messages.subscribe", Json{{"key", "main"}}).ok());
  send(*fast, "main", "write a lot", "long-1");
  auto fast_events = chat_events(*fast, "long-1", 30000);  // slow reads nothing meanwhile
  ASSERT_FALSE(fast_events.empty());
  ASSERT_EQ(fast_events.back()["state"], "final");
  std::string full = fast_events.back()["message"]["content"][0]["text"];
  ASSERT_EQ(full.size(), 400u * 1000u);

  auto slow_events = chat_events(*slow, "long-1", 30000);
  ASSERT_FALSE(slow_events.empty());
  EXPECT_EQ(slow_events.back()["state"], "final");
  EXPECT_EQ(slow_events.back()["message"]["content"][0]["text"], full);
  for (auto* evs : {&fast_events, &slow_events}) {
    std::string joined;
    std::int64_t last_seq = -1;
    for (const Json& e : *evs) {
      EXPECT_GT(e["seq"].get<std::int64_t>(), last_seq);
      last_seq = e["seq"];
      if (e["state"] == "delta") joined += e["deltaText"].get<std::string>();
    }
    EXPECT_EQ(joined.size(), full.size());
    EXPECT_TRUE(joined == full) << "deltaText of the received deltas must add up to the reply";
  }
  EXPECT_LT(slow_events.size(), 200u) << "the busy socket's deltas were merged";
  // Nothing was dropped or closed: the slow socket still answers.
  EXPECT_TRUE(slow->call("health").ok());
}

TEST(Chat, ConcurrentSessionsRunInParallelAndFollowupQueues) {
  FakeLlm llm;
  Script slow;
  slow.chunks = {"slow"};
  slow.head_delay_ms = 300;
  slow.times = -1;
  llm.set_default(slow);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 5; ++i) send(*c, "s" + std::to_string(i), "go", "p" + std::to_string(i));
  // Five sessions: five requests in flight at once.
  EXPECT_TRUE(llm.wait_requests(5, 3000));
  // Same session: the second message waits for the first run.
  send(*c, "s0", "next", "p0b");
  for (int i = 0; i < 5; ++i) chat_events(*c, "p" + std::to_string(i));
  chat_events(*c, "p0b");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 6u);
  const Json& msgs = reqs[5].body["messages"];
  EXPECT_EQ(msgs.back()["content"], "next");
  EXPECT_EQ(msgs[msgs.size() - 2]["content"], "slow");  // the first run's reply came first
}

Json send_mode(WsClient& c, const std::string& key, const std::string& text,
               const std::string& idem, const std::string& mode) {
  auto r = c.call(
      "chat.send",
      Json{{"sessionKey", key}, {"message", text}, {"idempotencyKey", idem}, {"queueMode", mode}});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Json();
}

// The model answers "first" with "one" after 400 ms: long enough to queue behind it.
Script slow_first() {
  Script slow;
  slow.when = "first";
  slow.chunks = {"one"};
  slow.head_delay_ms = 400;
  return slow;
}

// collect: messages queued behind a running turn are answered together by one run.
TEST(Chat, CollectModeAnswersTheQueuedMessagesWithOneReply) {
  FakeLlm llm;
  llm.push(slow_first());
  Script both;
  both.chunks = {"both answered"};
  llm.push(both);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "first", "c1");
  ASSERT_TRUE(llm.wait_requests(1, 3000));
  send_mode(*c, "main", "second", "c2", "collect");
  send_mode(*c, "main", "third", "c3", "collect");
  EXPECT_EQ(chat_events(*c, "c1").back()["state"], "final");
  auto e2 = chat_events(*c, "c2");
  auto e3 = chat_events(*c, "c3");
  ASSERT_EQ(e2.back()["state"], "final");
  ASSERT_EQ(e3.back()["state"], "final");
  EXPECT_EQ(e2.back()["message"]["content"][0]["text"], "both answered");
  EXPECT_EQ(e3.back()["message"], e2.back()["message"]) << "one reply answers both";
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u) << "one model call for the two collected messages";
  const Json& msgs = reqs[1].body["messages"];
  EXPECT_EQ(msgs.back()["content"], "second\n\nthird");
  EXPECT_EQ(msgs[msgs.size() - 2]["content"], "one");
}

// sessions.messages.subscribe: the follower gets each message appended to that session's
// transcript (the sender's message, then the reply) as session.message, in chat.history's
// shape; a socket following another session gets none, and unsubscribing stops them.
TEST(Chat, FollowersOfASessionGetEachTranscriptMessage) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto follower = gw->connect();
  auto other = gw->connect();
  auto sender = gw->connect();
  ASSERT_NE(follower, nullptr);
  ASSERT_NE(other, nullptr);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(follower->call("sessions.messages.subscribe", Json{{"key", "main"}}).ok());
  ASSERT_TRUE(other->call("sessions.messages.subscribe", Json{{"key", "elsewhere"}}).ok());
  send(*sender, "main", "hello followers", "f1");
  ASSERT_EQ(chat_events(*sender, "f1").back()["state"], "final");
  auto user = wait_event(*follower, "session.message", 5000);
  auto reply = wait_event(*follower, "session.message", 5000);
  ASSERT_TRUE(user && reply);
  EXPECT_EQ((*user)["payload"]["sessionKey"], "agent:main:main");
  EXPECT_EQ((*user)["payload"]["agentId"], "main");
  EXPECT_EQ((*user)["payload"]["message"]["role"], "user");
  EXPECT_EQ((*user)["payload"]["message"]["content"][0]["text"], "hello followers");
  EXPECT_EQ((*reply)["payload"]["message"]["role"], "assistant");
  EXPECT_EQ((*reply)["payload"]["message"]["content"][0]["text"], "echo: hello followers");
  EXPECT_EQ((*reply)["payload"]["runId"], "f1");
  EXPECT_LT((*user)["payload"]["messageSeq"].get<std::int64_t>(),
            (*reply)["payload"]["messageSeq"].get<std::int64_t>());
  EXPECT_FALSE(wait_event(*other, "session.message", 300).has_value())
      << "a socket following another session gets nothing";

  ASSERT_TRUE(follower->call("sessions.messages.unsubscribe", Json{{"key", "main"}}).ok());
  send(*sender, "main", "anyone?", "f2");
  ASSERT_EQ(chat_events(*sender, "f2").back()["state"], "final");
  EXPECT_FALSE(wait_event(*follower, "session.message", 300).has_value());
}

// steer (OpenClaw's default): a message sent while a run is in a tool round joins that
// run at its next model call; one reply answers both, and the next turn's context shows
// the steered message answered (before the reply), not pending after it.
TEST(Chat, SteerModeJoinsTheRunInFlightAtItsNextModelCall) {
  FakeLlm llm;
  Script tool;
  tool.when = "start work";
  tool.tool_calls = {{"", "exec", R"({"command":"sleep 1; echo tool-done"})"}};
  llm.push(tool);
  Script after;  // answers the call whose last message is the steered one
  after.when = "also mention bananas";
  after.chunks = {"done, and noted"};
  llm.push(after);
  START_GATEWAY(gw, with_config(config_for(llm, "tools:\n  exec: {security: full, ask: off}\n")));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "start work", "st1");
  ASSERT_TRUE(llm.wait_requests(1, 3000));
  send_mode(*c, "main", "also mention bananas", "st2", "steer");
  auto e1 = chat_events(*c, "st1");
  auto e2 = chat_events(*c, "st2");
  ASSERT_FALSE(e1.empty());
  ASSERT_FALSE(e2.empty());
  ASSERT_EQ(e1.back()["state"], "final") << e1.back().dump();
  ASSERT_EQ(e2.back()["state"], "final") << e2.back().dump();
  EXPECT_EQ(e2.back()["message"]["content"][0]["text"], "done, and noted");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u) << "the steered message rode the run's second model call";
  const Json& msgs = reqs[1].body["messages"];
  EXPECT_EQ(msgs.back()["role"], "user");
  EXPECT_EQ(msgs.back()["content"], "also mention bananas");
  EXPECT_EQ(msgs[msgs.size() - 2]["role"], "tool") << "it came after the tool round";

  send(*c, "main", "next question", "st3");
  ASSERT_EQ(chat_events(*c, "st3").back()["state"], "final");
  reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 3u);
  const Json& later = reqs[2].body["messages"];
  EXPECT_EQ(later.back()["content"], "next question") << later.dump();
  EXPECT_EQ(later[later.size() - 2]["content"], "done, and noted") << later.dump();
  bool steered_before_reply = false;
  for (std::size_t i = 0; i + 2 < later.size(); ++i)
    if (later[i]["content"].is_string() &&
        later[i]["content"].get<std::string>().find("also mention bananas") != std::string::npos)
      steered_before_reply = true;
  EXPECT_TRUE(steered_before_reply) << later.dump();
}

// A steered message that finds no further model call in the run (a plain reply) is not
// lost: it is answered by the next run.
TEST(Chat, SteerWithNoFurtherModelCallRunsNext) {
  FakeLlm llm;
  llm.push(slow_first());
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "first", "sn1");
  ASSERT_TRUE(llm.wait_requests(1, 3000));
  send_mode(*c, "main", "second", "sn2", "steer");
  EXPECT_EQ(chat_events(*c, "sn1").back()["message"]["content"][0]["text"], "one");
  auto e2 = chat_events(*c, "sn2");
  ASSERT_FALSE(e2.empty());
  ASSERT_EQ(e2.back()["state"], "final");
  EXPECT_EQ(e2.back()["message"]["content"][0]["text"], "echo: second");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].body["messages"].back()["content"], "second");
}

// interrupt: the running turn is aborted (its partial reply kept) and the new message
// is answered next.
TEST(Chat, InterruptModeAbortsTheRunningTurnAndAnswersTheNewMessage) {
  FakeLlm llm;
  Script slow;
  slow.when = "long story";
  slow.chunks = {"once ", "upon ", "a ", "time"};
  slow.chunk_delay_ms = 500;
  llm.push(slow);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "tell me a long story", "i1");
  auto first = wait_event(*c, "chat", 5000);  // the first delta: the run is streaming
  ASSERT_TRUE(first.has_value());
  send_mode(*c, "main", "stop, urgent question", "i2", "interrupt");
  auto e1 = chat_events(*c, "i1");
  ASSERT_FALSE(e1.empty());
  EXPECT_EQ(e1.back()["state"], "aborted");
  auto e2 = chat_events(*c, "i2");
  ASSERT_FALSE(e2.empty());
  EXPECT_EQ(e2.back()["state"], "final");
  EXPECT_EQ(e2.back()["message"]["content"][0]["text"], "echo: stop, urgent question");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].body["messages"].back()["content"], "stop, urgent question");
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  bool partial_kept = false;
  for (const Json& m : (*h)["messages"])
    if (m.value("state", "") == "aborted" && m["content"][0]["text"] == "once ")
      partial_kept = true;
  EXPECT_TRUE(partial_kept) << h->dump();
}

// A stream that goes quiet after some text: the idle timeout ends it as errorKind
// timeout (no retry once text was shown), and the session's next turn works.
TEST(Chat, AStalledStreamIsATimeoutErrorAndTheNextTurnWorks) {
  FakeLlm llm;
  Script stall;
  stall.chunks = {"half a "};
  stall.hang_after_head = true;
  llm.push(stall);
  START_GATEWAY(gw, with_config(config_for(llm, "", "  idle_timeout_ms: 300\n")));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "hello?", "t1");
  auto evs = chat_events(*c, "t1");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "error");
  EXPECT_EQ(evs.back()["errorKind"], "timeout") << evs.back().dump();
  EXPECT_EQ(llm.request_count(), 1u) << "no retry after text was streamed";
  send(*c, "main", "again", "t2");
  auto next = chat_events(*c, "t2");
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(next.back()["state"], "final");
}

// Backing off for one session's 429 never blocks another session on the same provider:
// a waits out its Retry-After (2 s, twice) while b is answered at once.
TEST(Chat, ARateLimitedSessionDoesNotHoldUpOtherSessions) {
  FakeLlm llm;
  Script limited;
  limited.when = "busy";
  limited.status = 429;
  limited.retry_after_s = 2;
  limited.times = -1;
  llm.push(limited);
  std::string cfg =
      "models:\n"
      "  default: fake/gpt-test\n"
      "  retry: {attempts: 2, base_ms: 10, max_ms: 5000}\n"
      "  providers:\n"
      "    fake:\n"
      "      api: openai\n"
      "      base_url: " +
      llm.url() +
      "/v1\n"
      "      models: [{id: gpt-test}]\n";
  START_GATEWAY(gw, with_config(cfg));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "a", "busy", "rl-a");
  ASSERT_TRUE(llm.wait_requests(1, 3000));
  auto t0 = std::chrono::steady_clock::now();
  send(*c, "b", "quick", "rl-b");
  // Terminal events of both runs, in arrival order, with when they came.
  std::vector<std::pair<Json, std::chrono::milliseconds>> ends;
  while (ends.size() < 2) {
    auto ev = wait_event(*c, "chat", 10000);
    ASSERT_TRUE(ev.has_value()) << "missing terminal chat events";
    const Json& p = (*ev)["payload"];
    if (p["state"] == "delta") continue;
    ends.emplace_back(p, std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - t0));
  }
  EXPECT_EQ(ends[0].first["runId"], "rl-b");
  EXPECT_EQ(ends[0].first["state"], "final");
  EXPECT_LT(ends[0].second.count(), 1500) << "session b waited for a's Retry-After";
  EXPECT_EQ(ends[1].first["runId"], "rl-a");
  EXPECT_EQ(ends[1].first["errorKind"], "rate_limit");
  EXPECT_GE(ends[1].second.count(), 1500) << "a honoured its Retry-After";
  EXPECT_EQ(llm.request_count(), 3u) << "a: two tries; b: one";
}

// HTTPS with certificate verification: trusted through SSL_CERT_FILE it works; an
// untrusted certificate is a clear error, never a silent plaintext fallback.
TEST(Chat, HttpsProviderIsVerifiedAgainstTheTrustStore) {
  fakes::FakeOptions fo;
  fo.tls = true;
  FakeLlm llm(fo);
  TempDir certs;
  std::string ca = certs.path() + "/fake-ca.pem";
  write_text(ca, llm.cert_pem());
  StartOptions o = with_config(config_for(llm));
  o.env["SSL_CERT_FILE"] = ca;
  {
    START_GATEWAY(gw, o);
    auto c = gw->connect();
    ASSERT_NE(c, nullptr);
    send(*c, "main", "over tls", "tls-1");
    auto evs = chat_events(*c, "tls-1");
    ASSERT_FALSE(evs.empty());
    EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
    EXPECT_EQ(evs.back()["message"]["content"][0]["text"], "echo: over tls");
  }
  std::size_t served = llm.request_count();
  o.env["SSL_CERT_FILE"] = certs.path() + "/missing.pem";  // the fake's cert is not trusted
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "over tls", "tls-2");
  auto evs = chat_events(*c, "tls-2", 20000);
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "error");
  EXPECT_NE(evs.back()["errorMessage"].get<std::string>().find("certificate"), std::string::npos)
      << evs.back().dump();
  EXPECT_EQ(llm.request_count(), served) << "no request got through an unverified connection";
}

// A long conversation on a small-context model: the provider gets only the newest turns
// that fit; the transcript keeps everything.
TEST(Chat, HistoryIsTrimmedToTheModelsContextWindowAndTheTranscriptKeepsAll) {
  FakeLlm llm;
  std::string cfg =
      "models:\n"
      "  default: fake/tiny\n"
      "  providers:\n"
      "    fake:\n"
      "      api: openai\n"
      "      base_url: " +
      llm.url() +
      "/v1\n"
      "      models: [{id: tiny, context_window: 700, max_tokens: 100}]\n";
  START_GATEWAY(gw, with_config(cfg));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 6; ++i) {
    std::string id = "ctx-" + std::to_string(i);
    send(*c, "main", "m" + std::to_string(i) + " " + std::string(400, 'x'), id);
    ASSERT_EQ(chat_events(*c, id).back()["state"], "final");
  }
  Json msgs = llm.requests().back().body["messages"];
  // system + the newest turns only: each turn is ~2 x 105 tokens of a 600-token budget.
  EXPECT_LT(msgs.size(), 1u + 11u);
  EXPECT_GE(msgs.size(), 2u);
  EXPECT_EQ(msgs[1]["role"], "user") << "starts with a whole turn";
  EXPECT_EQ(msgs.back()["content"].get<std::string>().substr(0, 2), "m5");
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)["messages"].size(), 12u);
}

// Runs `before` against a gateway on `o`'s state dir, kill -9s it there, and returns a
// client of a new gateway started on the same state.
struct Restarted {
  std::unique_ptr<GatewayProcess> gw;
  ClientPtr c;
};
Restarted kill9_and_restart(const StartOptions& o, const std::function<void(WsClient&)>& before) {
  {
    auto gw = GatewayProcess::start(o);
    EXPECT_NE(gw, nullptr);
    if (!gw) return {};
    auto c = gw->connect();
    EXPECT_NE(c, nullptr);
    if (!c) return {};
    before(*c);
    gw->signal(SIGKILL);
    EXPECT_EQ(gw->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);
  }
  Restarted r;
  r.gw = GatewayProcess::start(o);
  if (r.gw) r.c = r.gw->connect();
  EXPECT_NE(r.c, nullptr) << "restart after kill -9";
  return r;
}

TEST(Chat, KillDuringStreamingLosesNothingAcknowledged) {
  FakeLlm llm;
  Script s;
  s.chunks = {"never ", "finished"};
  s.chunk_delay_ms = 2000;
  llm.push(s);
  TempDir keep;
  StartOptions o = with_config(config_for(llm));
  o.state_dir = keep.path() + "/state";
  Restarted r = kill9_and_restart(o, [&](WsClient& c) {
    EXPECT_EQ(send(c, "main", "precious", "r-kill")["status"], "started");
    EXPECT_TRUE(llm.wait_requests(1, 3000));
  });
  ASSERT_NE(r.c, nullptr);
  auto& c = r.c;
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ((*h)["messages"].size(), 1u);
  EXPECT_EQ((*h)["messages"][0]["content"][0]["text"], "precious");
  // The interrupted run is reported as failed; the next turn works.
  Json dup = send(*c, "main", "precious", "r-kill");
  EXPECT_EQ(dup["status"], "error");
  EXPECT_NE(dup["errorMessage"].get<std::string>().find("interrupted"), std::string::npos);
  llm.clear();
  send(*c, "main", "next", "r-next");
  auto evs = chat_events(*c, "r-next");
  EXPECT_EQ(evs.back()["state"], "final");
  Json msgs = llm.requests().back().body["messages"];
  EXPECT_EQ(msgs[1]["content"], "precious\n\nnext");  // no half reply, roles alternate
}

// The reply is committed before `final` is sent: kill -9 the moment final arrives and
// the restarted gateway still has it, and its token usage.
TEST(Chat, KillRightAfterFinalKeepsTheReply) {
  FakeLlm llm;
  TempDir keep;
  StartOptions o = with_config(config_for(llm));
  o.state_dir = keep.path() + "/state";
  Restarted r = kill9_and_restart(o, [&](WsClient& c) {
    send(c, "main", "remember me", "r-final");
    EXPECT_EQ(chat_events(c, "r-final").back()["state"], "final");
  });
  ASSERT_NE(r.c, nullptr);
  auto h = r.c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ((*h)["messages"].size(), 2u);
  EXPECT_EQ((*h)["messages"][1]["content"][0]["text"], "echo: remember me");
  auto l = r.c->call("sessions.list");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)["sessions"][0]["outputTokens"], 7);
}

TEST(Sessions, ListPatchResetKeepsOldTranscriptAndDelete) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->call("sessions.subscribe").ok());
  send(*c, "main", "one", "a1");
  chat_events(*c, "a1");
  auto changed = wait_event(*c, "sessions.changed", 2000);
  ASSERT_TRUE(changed);
  EXPECT_EQ((*changed)["payload"]["sessionKey"], "agent:main:main");
  auto l = c->call("sessions.list");
  ASSERT_TRUE(l.ok()) << l.error().message;
  ASSERT_EQ((*l)["count"], 1);
  const Json& row = (*l)["sessions"][0];
  EXPECT_EQ(row["key"], "agent:main:main");
  EXPECT_EQ(row["model"], "fake/gpt-test");
  EXPECT_GT(row["inputTokens"].get<int>(), 0);
  std::string old_id = row["sessionId"];
  auto p = c->call("sessions.patch", Json{{"key", "main"}, {"label", "Daily"}});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ((*p)["session"]["label"], "Daily");
  // OpenClaw's UI sends its other session settings along: accepted (and ignored, see
  // docs/openclaw-compat.md), the label still applied; unknown fields are still refused.
  auto ui = c->call("sessions.patch", Json{{"key", "main"},
                                           {"label", "Daily notes"},
                                           {"thinkingLevel", "high"},
                                           {"unread", false},
                                           {"icon", "sun"}});
  ASSERT_TRUE(ui.ok()) << ui.error().message;
  EXPECT_EQ((*ui)["session"]["label"], "Daily notes");
  EXPECT_FALSE(c->call("sessions.patch", Json{{"key", "main"}, {"nonsense", 1}}).ok());
  auto r = c->call("sessions.reset", Json{{"key", "main"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE((*r)["sessionId"], old_id);
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  EXPECT_TRUE((*h)["messages"].empty());
  // The old transcript is still in the database file.
  std::string db =
      read_text(gw->state_dir() + "/sessions.db") + read_text(gw->state_dir() + "/sessions.db-wal");
  EXPECT_NE(db.find(old_id), std::string::npos);
  auto d = c->call("sessions.delete", Json{{"key", "main"}});
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ((*d)["deleted"], true);
  EXPECT_EQ((*c->call("sessions.list"))["count"], 0);
}

// inject appends without a model call and is announced as a final; history pages
// newest-first with hasMore; sessions.send is chat.send by key; sessions.patch's model
// override is what the next turn uses.
TEST(Sessions, InjectHistoryPagingSendAndModelOverride) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto inj = c->call("chat.inject",
                     Json{{"sessionKey", "main"}, {"message", "note from ops"}, {"label", "ops"}});
  ASSERT_TRUE(inj.ok()) << inj.error().message;
  std::string injected_id = (*inj)["messageId"];
  auto ev = wait_event(*c, "chat", 3000);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ((*ev)["payload"]["state"], "final");
  EXPECT_EQ((*ev)["payload"]["message"]["content"][0]["text"], "note from ops");
  EXPECT_EQ(llm.request_count(), 0u) << "inject never runs the agent";

  for (int i = 0; i < 3; ++i) {
    std::string id = "sp-" + std::to_string(i);
    auto r = c->call(
        "sessions.send",
        Json{{"key", "main"}, {"message", "q" + std::to_string(i)}, {"idempotencyKey", id}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)["runId"], id);
    ASSERT_EQ(chat_events(*c, id).back()["state"], "final");
  }
  // 7 messages: the note, then 3 x (question, answer). Newest first in pages of 3.
  auto p1 = c->call("chat.history", Json{{"sessionKey", "main"}, {"limit", 3}});
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ((*p1)["messages"].size(), 3u);
  EXPECT_EQ((*p1)["hasMore"], true);
  EXPECT_EQ((*p1)["messages"][2]["content"][0]["text"], "echo: q2");
  auto p3 = c->call("chat.history", Json{{"sessionKey", "main"}, {"limit", 3}, {"offset", 6}});
  ASSERT_TRUE(p3.ok());
  ASSERT_EQ((*p3)["messages"].size(), 1u);
  EXPECT_EQ((*p3)["hasMore"], false);
  EXPECT_EQ((*p3)["messages"][0]["id"], injected_id);
  auto got = c->call("sessions.get", Json{{"key", "main"}, {"limit", 2}});
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)["messages"].size(), 2u);

  auto patched = c->call("sessions.patch", Json{{"key", "main"}, {"model", "local/llama-test"}});
  ASSERT_TRUE(patched.ok()) << patched.error().message;
  EXPECT_EQ((*patched)["session"]["model"], "local/llama-test");
  send(*c, "main", "which model?", "sp-model");
  ASSERT_EQ(chat_events(*c, "sp-model").back()["state"], "final");
  EXPECT_EQ(llm.requests().back().api, "ollama");
  EXPECT_EQ(llm.requests().back().body["model"], "llama-test");
}

TEST(Chat, BadInputGetsClearErrors) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto bad_key =
      c->call("chat.send", Json{{"sessionKey", "a b"}, {"message", "x"}, {"idempotencyKey", "k"}});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.error().message.find("invalid session key"), std::string::npos);
  auto no_agent =
      c->call("chat.send",
              Json{{"sessionKey", "agent:ghost:main"}, {"message", "x"}, {"idempotencyKey", "k2"}});
  ASSERT_FALSE(no_agent.ok());
  EXPECT_NE(no_agent.error().message.find("unknown agent: ghost"), std::string::npos);
  auto empty =
      c->call("chat.send", Json{{"sessionKey", "main"}, {"message", ""}, {"idempotencyKey", "k3"}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "message is empty (send text, an image, or both)");
  auto missing = c->call("chat.send", Json{{"sessionKey", "main"}, {"message", "x"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("idempotencyKey"), std::string::npos);
  EXPECT_EQ(llm.request_count(), 0u);
}

TEST(Models, ListShowsTheCatalogWithProbeAvailability) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm) + "    down:\n      api: openai\n"
                                                  "      base_url: http://127.0.0.1:9/v1\n"
                                                  "      models: [{id: nothing}]\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto m = c->call("models.list");
  ASSERT_TRUE(m.ok()) << m.error().message;
  std::map<std::string, bool> avail;
  for (const Json& x : (*m)["models"]) avail[x["id"]] = x["available"];
  EXPECT_TRUE(avail.at("fake/gpt-test"));
  EXPECT_TRUE(avail.at("local/llama-test"));
  EXPECT_FALSE(avail.at("down/nothing"));
  auto a = c->call("agents.list");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)["defaultId"], "main");
  EXPECT_EQ((*a)["agents"][0]["model"]["primary"], "fake/gpt-test");
}

// Streaming deltas go to the sockets that watch the session: the sender, a reader of its
// history, a follower (sessions.messages.subscribe) and whoever subscribed to everything
// (sessions.subscribe). Another operator gets the final, not the deltas or agent events.
TEST(StreamRouting, DeltasReachTheSessionsWatchersAndFinalsReachEveryone) {
  FakeLlm llm;
  Script s;
  s.chunks = {"one ", "two ", "three"};
  s.times = -1;
  llm.set_default(s);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto sender = gw->connect(), reader = gw->connect(), follower = gw->connect(),
       everything = gw->connect(), other = gw->connect();
  for (auto* c : {&sender, &reader, &follower, &everything, &other}) ASSERT_NE(*c, nullptr);
  ASSERT_TRUE(reader->call("chat.history", Json{{"sessionKey", "agent:main:topic"}}).ok());
  ASSERT_TRUE(
      follower->call("sessions.messages.subscribe", Json{{"key", "agent:main:topic"}}).ok());
  ASSERT_TRUE(everything->call("sessions.subscribe", Json::object()).ok());
  ASSERT_TRUE(other->call("chat.history", Json{{"sessionKey", "agent:main:elsewhere"}}).ok());

  send(*sender, "agent:main:topic", "count", "route-1");
  auto deltas_of = [](const std::vector<Json>& evs) {
    std::string text;
    for (const Json& e : evs)
      if (e["state"] == "delta") text += e["deltaText"].get<std::string>();
    return text;
  };
  for (auto* c : {&sender, &reader, &follower, &everything}) {
    auto evs = chat_events(**c, "route-1");
    ASSERT_FALSE(evs.empty());
    EXPECT_EQ(evs.back()["state"], "final");
    EXPECT_EQ(deltas_of(evs), "one two three") << "a watcher gets every delta";
  }
  auto evs = chat_events(*other, "route-1");
  ASSERT_EQ(evs.size(), 1u) << "only the final, no deltas";
  EXPECT_EQ(evs[0]["state"], "final");
  EXPECT_EQ(evs[0]["message"]["content"][0]["text"], "one two three");
  int agent_events = 0;
  for (const Json& f : other->events())
    agent_events += f.value("event", "") == "agent" && f["payload"]["runId"] == "route-1";
  EXPECT_EQ(agent_events, 0) << "the agent stream is routed like the chat deltas";
  int sender_lifecycle = 0;
  for (const Json& f : sender->events())
    sender_lifecycle += f.value("event", "") == "agent" && f["payload"]["runId"] == "route-1" &&
                        f["payload"]["stream"] == "lifecycle";
  EXPECT_GE(sender_lifecycle, 1) << "the lifecycle reaches the sender";

  // Following more sessions than the cap degrades to getting everything, never to missing
  // a session asked for.
  for (int i = 0; i <= 64; ++i)
    ASSERT_TRUE(
        other->call("chat.history", Json{{"sessionKey", "agent:main:s" + std::to_string(i)}}).ok());
  send(*sender, "agent:main:topic", "again", "route-2");
  EXPECT_EQ(deltas_of(chat_events(*other, "route-2")), "one two three");
}

}  // namespace
}  // namespace sctest
