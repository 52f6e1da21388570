// Provider faults as a user meets them (issue 18, "zero-loss operations"): the real
// gateway against the fake LLM (a real HTTP+SSE server speaking OpenAI's and Ollama's
// wire formats) misbehaving in one way per test: 429 with Retry-After, 500, connection
// refused, a stream cut mid-answer, a stream that trickles bytes, invalid JSON in the
// stream, a reply over the size cap. Each test checks what the client sees (the retried
// or failed-over answer, or a terminal chat event with state error and a clear
// errorMessage), what chat.history keeps, and that the session answers its next message.
#include <chrono>
#include <string>
#include <vector>

#include "chat_helpers.h"
#include "fakes/loopback_socket.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using fakes::Script;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Provider `fake` (openai, model gpt-test) and provider `local` (ollama, llama-test) on
// the one fake LLM. `models_extra` adds keys under models ("  idle_timeout_ms: 300\n"),
// `extra` top-level YAML. Retries: 2 tries per model, a short backoff, and a cap (5 s)
// above the Retry-After the tests send, so it is waited out.
std::string faults_config(const FakeLlm& llm, const std::string& models_extra = {},
                          const std::string& extra = {}) {
  return "models:\n" + models_extra +
         "  default: fake/gpt-test\n"
         "  retry: {attempts: 2, base_ms: 10, max_ms: 5000}\n"
         "  providers:\n"
         "    fake:\n"
         "      api: openai\n"
         "      base_url: " +
         llm.url() +
         "/v1\n"
         "      api_key: sk-test\n"
         "      models: [{id: gpt-test}]\n"
         "    local:\n"
         "      api: ollama\n"
         "      base_url: " +
         llm.url() +
         "\n"
         "      models: [{id: llama-test}]\n" +
         extra;
}

constexpr const char* kFallbackToLocal =
    "agents:\n"
    "  list:\n"
    "    - id: main\n"
    "      fallbacks: [local/llama-test]\n";

std::string reply_text(const Json& payload) {
  const Json& m = payload["message"];
  if (!m.is_object() || !m["content"].is_array() || m["content"].empty()) return {};
  return m["content"][0].value("text", "");
}

// The text the client was shown as it streamed (the deltas' deltaText, in order).
std::string streamed_text(const std::vector<Json>& evs) {
  std::string out;
  for (const Json& e : evs)
    if (e.value("state", "") == "delta") out += e.value("deltaText", "");
  return out;
}

// The transcript of `key` (chat.history's messages).
Json faults_history(WsClient& c, const std::string& key) {
  auto h = c.call("chat.history", Json{{"sessionKey", key}});
  EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message);
  return h.ok() ? (*h)["messages"] : Json::array();
}

// The `agent` lifecycle "retry" events of `run_id` the client got (each says what failed
// and what happens next). Taken after the run's terminal chat event, from the frames
// chat_events() read and kept meanwhile: they come before it on the socket. (A read that
// times out closes the client, so "no more" cannot be waited for.)
std::vector<std::string> retry_messages(WsClient& c, const std::string& run_id) {
  std::vector<std::string> out;
  auto& stash = c.events();
  for (auto it = stash.begin(); it != stash.end();) {
    const Json& f = *it;
    const Json p = f.value("payload", Json::object());
    const Json data = p.value("data", Json::object());
    if (f.value("event", "") == "agent" && p.value("runId", "") == run_id &&
        p.value("stream", "") == "lifecycle" && data.value("phase", "") == "retry") {
      out.push_back(data.value("message", ""));
      it = stash.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The terminal chat event of `run_id` is an error whose message says `what`.
void expect_error_event(const std::vector<Json>& evs, const std::string& kind,
                        const std::string& what) {
  ASSERT_FALSE(evs.empty());
  const Json& fin = evs.back();
  EXPECT_EQ(fin["state"], "error") << fin.dump();
  EXPECT_EQ(fin["errorKind"], kind) << fin.dump();
  EXPECT_TRUE(contains(fin.value("errorMessage", ""), what))
      << "errorMessage should say \"" << what << "\": " << fin.dump();
}

// After the fault, the same session answers its next message normally, and the model is
// not shown a failed partial reply as if it had been said.
void expect_next_turn_answered(WsClient& c, FakeLlm& llm, const std::string& key,
                               const std::string& run_id, const std::string& not_in_context = {}) {
  Script ok;
  ok.when = "are you back";
  ok.chunks = {"yes, ", "all good"};
  llm.push(ok);
  std::size_t before = llm.request_count();
  send(c, key, "are you back?", run_id);
  auto evs = chat_events(c, run_id);
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  EXPECT_EQ(reply_text(evs.back()), "yes, all good");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), before + 1) << "the next turn needed exactly one model call";
  const Json& msgs = reqs.back().body["messages"];
  // A user message the fault left unanswered rides along (merged into this one).
  std::string last = msgs.back().value("content", "");
  EXPECT_TRUE(last.size() >= 13 && last.substr(last.size() - 13) == "are you back?") << last;
  if (!not_in_context.empty())
    for (const Json& m : msgs)
      EXPECT_FALSE(m["content"].is_string() &&
                   contains(m["content"].get<std::string>(), not_in_context))
          << "the failed partial reply was sent to the model: " << msgs.dump();
  Json h = faults_history(c, key);
  ASSERT_GE(h.size(), 2u);
  EXPECT_EQ(h.back()["role"], "assistant");
  EXPECT_EQ(h.back()["content"][0]["text"], "yes, all good");
  EXPECT_FALSE(h.back().contains("state")) << "a complete reply: " << h.back().dump();
}

// ---------------------------------------------------------------- 429 with Retry-After

// The provider says "429, retry after 1 s": the gateway waits that long (not its own
// 10 ms backoff) before the same model again, tells the client it is retrying, and the
// answer arrives as if nothing happened.
TEST(LlmFaults, RateLimitWithRetryAfterIsWaitedOutThenAnswered) {
  FakeLlm llm;
  Script limited;
  limited.when = "question";
  limited.status = 429;
  limited.retry_after_s = 1;
  limited.error_message = "slow down";
  llm.push(limited);
  Script answer;
  answer.when = "question";
  answer.chunks = {"forty-", "two"};
  llm.push(answer);
  START_GATEWAY(gw, with_config(faults_config(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "the question", "rl-1");
  auto evs = chat_events(*c, "rl-1");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  EXPECT_EQ(reply_text(evs.back()), "forty-two");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u);
  auto waited = std::chrono::duration_cast<milliseconds>(reqs[1].at - reqs[0].at);
  EXPECT_GE(waited.count(), 1000) << "the retry came before Retry-After (1 s) was over";
  EXPECT_LT(waited.count(), 4000) << "the retry waited far longer than asked";
  auto retries = retry_messages(*c, "rl-1");
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_TRUE(contains(retries[0], "429 Too Many Requests: slow down")) << retries[0];
  EXPECT_TRUE(contains(retries[0], "retrying fake/gpt-test in 1000 ms")) << retries[0];
  Json h = faults_history(*c, "main");
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[1]["content"][0]["text"], "forty-two");
  EXPECT_EQ(h[1]["model"], "fake/gpt-test");
  expect_next_turn_answered(*c, llm, "main", "rl-2");
}

// A Retry-After longer than retry.max_ms is not waited for: the run fails over to the
// fallback model at once instead of stalling.
TEST(LlmFaults, RateLimitWithALongRetryAfterFailsOverAtOnce) {
  FakeLlm llm;
  Script limited;
  limited.model = "gpt-test";
  limited.status = 429;
  limited.retry_after_s = 60;
  llm.push(limited);
  START_GATEWAY(gw, with_config(faults_config(llm, "", kFallbackToLocal)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto t0 = steady_clock::now();
  send(*c, "main", "hello", "rl-long");
  auto evs = chat_events(*c, "rl-long");
  auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0);
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  EXPECT_EQ(evs.back()["message"]["model"], "local/llama-test");
  EXPECT_EQ(reply_text(evs.back()), "echo: hello");
  EXPECT_LT(took.count(), 4000) << "waited for a Retry-After beyond retry.max_ms";
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].api, "openai");
  EXPECT_EQ(reqs[1].api, "ollama");
  auto retries = retry_messages(*c, "rl-long");
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_TRUE(contains(retries[0], "failing over to local/llama-test")) << retries[0];
  expect_next_turn_answered(*c, llm, "main", "rl-long-2");
}

// ---------------------------------------------------------------- 500

// One 500, then the model answers: retried on the same model (retry.attempts: 2).
TEST(LlmFaults, ServerErrorIsRetriedThenAnswered) {
  FakeLlm llm;
  Script broken;
  broken.when = "question";
  broken.status = 500;
  broken.error_message = "upstream exploded";
  llm.push(broken);
  START_GATEWAY(gw, with_config(faults_config(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "a question", "se-1");
  auto evs = chat_events(*c, "se-1");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  EXPECT_EQ(reply_text(evs.back()), "echo: a question");
  EXPECT_EQ(llm.request_count(), 2u);
  auto retries = retry_messages(*c, "se-1");
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_TRUE(contains(retries[0], "500 Internal Server Error: upstream exploded")) << retries[0];
  EXPECT_TRUE(contains(retries[0], "retrying fake/gpt-test")) << retries[0];
  expect_next_turn_answered(*c, llm, "main", "se-2");
}

// The model keeps failing: both tries, then the agent's fallback model answers.
TEST(LlmFaults, ServerErrorsFailOverToTheFallbackModel) {
  FakeLlm llm;
  Script broken;
  broken.model = "gpt-test";
  broken.status = 500;
  broken.times = 2;
  llm.push(broken);
  START_GATEWAY(gw, with_config(faults_config(llm, "", kFallbackToLocal)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "hello", "fo-1");
  auto evs = chat_events(*c, "fo-1");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  EXPECT_EQ(evs.back()["message"]["model"], "local/llama-test");
  EXPECT_EQ(reply_text(evs.back()), "echo: hello");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 3u);  // 2 tries of the primary, then the fallback
  EXPECT_EQ(reqs[0].body["model"], "gpt-test");
  EXPECT_EQ(reqs[1].body["model"], "gpt-test");
  EXPECT_EQ(reqs[2].api, "ollama");
  auto retries = retry_messages(*c, "fo-1");
  ASSERT_EQ(retries.size(), 2u);
  EXPECT_TRUE(contains(retries[0], "retrying fake/gpt-test")) << retries[0];
  EXPECT_TRUE(contains(retries[1], "failing over to local/llama-test")) << retries[1];
  Json h = faults_history(*c, "main");
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[1]["model"], "local/llama-test");
  // The session stays on its own model: the next turn asks gpt-test first again.
  expect_next_turn_answered(*c, llm, "main", "fo-2");
  EXPECT_EQ(llm.requests().back().body["model"], "gpt-test");
}

// No fallback: after the tries the run ends with the provider's error, the user's
// message stays in the transcript unanswered (nothing pretends to be a reply), a
// repeated send of the same idempotencyKey reports the error, and the next message works.
TEST(LlmFaults, ServerErrorsWithoutFallbackAreAClearErrorAndTheSessionRecovers) {
  FakeLlm llm;
  Script broken;
  broken.when = "question";
  broken.status = 503;
  broken.error_message = "overloaded, try later";
  broken.times = 2;
  llm.push(broken);
  START_GATEWAY(gw, with_config(faults_config(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "a question", "se-fail");
  auto evs = chat_events(*c, "se-fail");
  ASSERT_FALSE(evs.empty());
  expect_error_event(evs, "unknown", "fake: 503 Service Unavailable: overloaded, try later");
  EXPECT_EQ(llm.request_count(), 2u) << "retry.attempts: 2";
  Json h = faults_history(*c, "main");
  ASSERT_EQ(h.size(), 1u) << h.dump();
  EXPECT_EQ(h[0]["role"], "user");
  EXPECT_EQ(h[0]["content"][0]["text"], "a question");
  Json again = send(*c, "main", "a question", "se-fail");
  EXPECT_EQ(again["status"], "error") << again.dump();
  EXPECT_TRUE(contains(again.value("errorMessage", ""), "503 Service Unavailable")) << again.dump();
  EXPECT_EQ(llm.request_count(), 2u) << "a duplicate is answered from the record, not re-run";
  expect_next_turn_answered(*c, llm, "main", "se-next");
}

// ---------------------------------------------------------------- connection refused

// A provider whose port nothing listens on: retried, then the fallback answers; an agent
// without a fallback gets a clear error naming the address; once the provider is back,
// the same session is answered.
TEST(LlmFaults, ConnectionRefusedFailsOverOrIsAClearErrorUntilTheProviderIsBack) {
  FakeLlm llm;
  const int dead_port = ::fakes::free_port();
  ASSERT_GT(dead_port, 0);
  const std::string dead = "127.0.0.1:" + std::to_string(dead_port);
  std::string extra =
      "    down:\n"
      "      api: openai\n"
      "      base_url: http://" +
      dead +
      "/v1\n"
      "      models: [{id: gpt-test}]\n"
      "agents:\n"
      "  list:\n"
      "    - id: main\n"
      "      model: down/gpt-test\n"
      "      fallbacks: [fake/gpt-test]\n"
      "    - id: solo\n"
      "      model: down/gpt-test\n";
  START_GATEWAY(gw, with_config(faults_config(llm, "", extra)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);

  send(*c, "main", "hello", "cr-1");
  auto evs = chat_events(*c, "cr-1");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  EXPECT_EQ(evs.back()["message"]["model"], "fake/gpt-test");
  EXPECT_EQ(llm.request_count(), 1u);
  auto retries = retry_messages(*c, "cr-1");
  ASSERT_EQ(retries.size(), 2u);
  EXPECT_TRUE(contains(retries[0], "down: cannot connect to " + dead)) << retries[0];
  EXPECT_TRUE(contains(retries[0], "retrying down/gpt-test")) << retries[0];
  EXPECT_TRUE(contains(retries[1], "failing over to fake/gpt-test")) << retries[1];

  const std::string solo = "agent:solo:main";
  send(*c, solo, "hello", "cr-2");
  auto failed = chat_events(*c, "cr-2");
  ASSERT_FALSE(failed.empty());
  expect_error_event(failed, "unknown", "down: cannot connect to " + dead);
  EXPECT_TRUE(contains(failed.back().value("errorMessage", ""), "refused")) << failed.back().dump();
  Json h = faults_history(*c, solo);
  ASSERT_EQ(h.size(), 1u) << h.dump();
  EXPECT_EQ(h[0]["role"], "user");

  // The provider comes back on its port: the session's next message is answered by it.
  FakeLlm back(fakes::FakeOptions{.port = dead_port});
  Script ok;
  ok.chunks = {"back ", "again"};
  back.push(ok);
  send(*c, solo, "are you back?", "cr-3");
  auto next = chat_events(*c, "cr-3");
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(next.back()["state"], "final") << next.back().dump();
  EXPECT_EQ(reply_text(next.back()), "back again");
  EXPECT_EQ(back.request_count(), 1u);
}

// ---------------------------------------------------------------- a stream cut short

// The connection drops after part of the answer was shown: not retried (that would repeat
// text the user saw), the partial reply is kept in the transcript marked as an error,
// and it is not sent to the model as context next time.
TEST(LlmFaults, StreamStoppingMidAnswerKeepsThePartialReplyAsAnError) {
  FakeLlm llm;
  Script cut;
  cut.when = "question";
  cut.chunks = {"The answer ", "is ", "forty-two"};
  cut.disconnect_after = 2;
  llm.push(cut);
  START_GATEWAY(gw, with_config(faults_config(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "the question", "cut-1");
  auto evs = chat_events(*c, "cut-1");
  ASSERT_FALSE(evs.empty());
  expect_error_event(evs, "unknown", "closed before the response was complete");
  EXPECT_TRUE(contains(evs.back().value("errorMessage", ""), "fake: ")) << evs.back().dump();
  EXPECT_EQ(streamed_text(evs), "The answer is ");
  EXPECT_EQ(llm.request_count(), 1u) << "no retry after text was shown";
  Json h = faults_history(*c, "main");
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[1]["state"], "error");
  EXPECT_EQ(h[1]["content"][0]["text"], "The answer is ");
  expect_next_turn_answered(*c, llm, "main", "cut-2", "The answer is");
}

// The connection drops before any text: nothing was shown, so it is retried and the
// user just gets the answer.
TEST(LlmFaults, StreamStoppingBeforeAnyTextIsRetried) {
  FakeLlm llm;
  Script cut;
  cut.when = "question";
  cut.chunks = {"never ", "seen"};
  cut.disconnect_after = 0;
  llm.push(cut);
  START_GATEWAY(gw, with_config(faults_config(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "the question", "cut0-1");
  auto evs = chat_events(*c, "cut0-1");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  EXPECT_EQ(reply_text(evs.back()), "echo: the question");
  EXPECT_EQ(llm.request_count(), 2u);
  Json h = faults_history(*c, "main");
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[1]["content"][0]["text"], "echo: the question");
  expect_next_turn_answered(*c, llm, "main", "cut0-2");
}

// ---------------------------------------------------------------- a trickling stream

// A server that sends a byte every 100 ms never trips the idle timeout (600 ms), but the
// whole-request timeout (models.request_timeout_ms: 1000) ends each try: the run does not
// hang, the client gets a timeout error saying which limit fired, and the provider's
// connection is closed.
TEST(LlmFaults, ADrippingStreamEndsAtTheRequestTimeout) {
  FakeLlm llm;
  Script drip;
  drip.when = "question";
  drip.chunks = {"never ", "complete"};
  drip.drip_ms = 100;
  drip.times = 2;
  llm.push(drip);
  START_GATEWAY(gw, with_config(faults_config(llm,
                                              "  idle_timeout_ms: 600\n"
                                              "  request_timeout_ms: 1000\n")));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto t0 = steady_clock::now();
  send(*c, "main", "the question", "drip-1");
  auto evs = chat_events(*c, "drip-1", 15000);
  auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0);
  ASSERT_FALSE(evs.empty());
  expect_error_event(evs, "timeout", "(total 1000 ms)");
  EXPECT_TRUE(contains(evs.back().value("errorMessage", ""), "fake: timed out"))
      << evs.back().dump();
  EXPECT_EQ(llm.request_count(), 2u) << "nothing was shown: retried once (retry.attempts: 2)";
  EXPECT_GE(took.count(), 2000);
  EXPECT_LT(took.count(), 6000) << "two tries of 1 s each";
  EXPECT_TRUE(eventually([&] { return llm.open_streams() == 0; }, 3000))
      << "the trickling stream was not closed";
  auto retries = retry_messages(*c, "drip-1");
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_TRUE(contains(retries[0], "total 1000 ms")) << retries[0];
  Json h = faults_history(*c, "main");
  ASSERT_EQ(h.size(), 1u) << "no reply was stored: " << h.dump();
  expect_next_turn_answered(*c, llm, "main", "drip-2");
}

// ---------------------------------------------------------------- invalid JSON

// A data line that is not JSON after some text: a clear error quoting the bad chunk, the
// partial reply kept as an error, not retried, and not in the next turn's context.
TEST(LlmFaults, InvalidJsonInTheStreamIsAClearError) {
  FakeLlm llm;
  Script bad;
  bad.when = "question";
  bad.chunks = {"half ", "an answer"};
  bad.malformed = true;
  llm.push(bad);
  START_GATEWAY(gw, with_config(faults_config(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "the question", "bad-1");
  auto evs = chat_events(*c, "bad-1");
  ASSERT_FALSE(evs.empty());
  expect_error_event(evs, "unknown", "fake: malformed stream chunk from the provider: ");
  EXPECT_TRUE(contains(evs.back().value("errorMessage", ""), "{not json")) << evs.back().dump();
  EXPECT_EQ(streamed_text(evs), "half an answer");
  EXPECT_EQ(llm.request_count(), 1u);
  Json h = faults_history(*c, "main");
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[1]["state"], "error");
  EXPECT_EQ(h[1]["content"][0]["text"], "half an answer");
  expect_next_turn_answered(*c, llm, "main", "bad-2", "half an answer");
}

// Invalid JSON before any text was shown: retried, and the user gets the answer.
TEST(LlmFaults, InvalidJsonBeforeAnyTextIsRetried) {
  FakeLlm llm;
  Script bad;
  bad.when = "question";
  bad.chunks = {""};  // an event without text, then the bad one
  bad.malformed = true;
  llm.push(bad);
  START_GATEWAY(gw, with_config(faults_config(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "the question", "bad0-1");
  auto evs = chat_events(*c, "bad0-1");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  EXPECT_EQ(reply_text(evs.back()), "echo: the question");
  EXPECT_EQ(llm.request_count(), 2u);
  auto retries = retry_messages(*c, "bad0-1");
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_TRUE(contains(retries[0], "malformed stream chunk")) << retries[0];
  expect_next_turn_answered(*c, llm, "main", "bad0-2");
}

// ---------------------------------------------------------------- over the size cap

// A reply over models.max_response_bytes (4096 here; 8 MiB by default) is cut: the text
// that fit is shown and kept, marked as an error, the client is told which limit it hit,
// the provider's stream is closed, and the next turn works.
TEST(LlmFaults, AReplyLargerThanTheCapIsCutWithAClearError) {
  FakeLlm llm;
  Script big;
  big.when = "essay";
  for (int i = 0; i < 10; ++i) big.chunks.push_back(std::string(1000, static_cast<char>('a' + i)));
  big.chunk_delay_ms = 20;
  llm.push(big);
  START_GATEWAY(gw, with_config(faults_config(llm, "  max_response_bytes: 4096\n")));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "write an essay", "big-1");
  auto evs = chat_events(*c, "big-1");
  ASSERT_FALSE(evs.empty());
  expect_error_event(evs, "unknown",
                     "fake: the reply is larger than models.max_response_bytes (4096 bytes)");
  const std::string fit = std::string(1000, 'a') + std::string(1000, 'b') + std::string(1000, 'c') +
                          std::string(1000, 'd');
  EXPECT_EQ(streamed_text(evs), fit) << "the pieces that fit, nothing beyond the cap";
  EXPECT_EQ(llm.request_count(), 1u) << "not retried";
  EXPECT_TRUE(eventually([&] { return llm.open_streams() == 0; }, 2000))
      << "the provider's stream was not closed";
  Json h = faults_history(*c, "main");
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[1]["state"], "error");
  EXPECT_EQ(h[1]["content"][0]["text"], fit);
  expect_next_turn_answered(*c, llm, "main", "big-2", "aaaa");
}

}  // namespace
}  // namespace sctest
