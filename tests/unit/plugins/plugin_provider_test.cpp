// Provider plugins (src/plugins/plugin_provider.*): the pure delta -> StreamEvent mapping
// and its bounds, then real processes through PluginHost — the example echo-provider
// (examples/plugins) and a fake that records what it receives and never answers a chat
// (timeouts, cancel, the in-flight cap) — and ModelCall's retry policy on a plugin
// candidate resolved by the Catalog.
#include "plugins/plugin_provider.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include "plugins/plugin_host.h"
#include "providers/catalog.h"
#include "providers/model_call.h"
#include "unit/plugins/plugin_fixture.h"
#include "unit/tools/test_util.h"

namespace simpleclaw::plugins {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using providers::StreamEvent;
using tools::test_util::TempDir;

const std::string kExamples = std::string(SIMPLECLAW_SOURCE_DIR) + "/examples/plugins";

// ---- the mapping (pure) ----

std::string kinds(const std::vector<StreamEvent>& evs) {
  std::string s;
  for (const auto& e : evs) {
    if (!s.empty()) s += ",";
    s += e.type == StreamEvent::kText       ? "text:" + e.text
         : e.type == StreamEvent::kToolCall ? "call:" + e.tool_call.id
         : e.type == StreamEvent::kUsage    ? std::string("usage")
         : e.type == StreamEvent::kDone     ? "done:" + e.stop_reason
                                            : std::string("error");
  }
  return s;
}

TEST(ProviderStreamMapper, TextInOrderThenCompleteToolCallsUsageAndDone) {
  ProviderStreamMapper m;
  std::vector<StreamEvent> evs;
  EXPECT_FALSE(m.delta(Json{{"requestId", "r"}, {"text", "Hel"}}, evs));
  EXPECT_FALSE(
      m.delta(Json{{"requestId", "r"},
                   {"toolCall", {{"id", "c1"}, {"name", "exec"}, {"argumentsDelta", "{\"co"}}}},
              evs));
  EXPECT_FALSE(m.delta(Json{{"requestId", "r"}, {"text", "lo"}}, evs));
  EXPECT_FALSE(
      m.delta(Json{{"requestId", "r"}, {"toolCall", {{"id", "c2"}, {"name", "ls"}}}}, evs));
  EXPECT_FALSE(m.delta(
      Json{{"requestId", "r"}, {"toolCall", {{"id", "c1"}, {"argumentsDelta", "mmand\":\"ls\"}"}}}},
      evs));
  EXPECT_FALSE(m.delta(Json{{"requestId", "r"}}, evs));  // nothing in it: ignored
  // Tool calls are not emitted before the result: they may still grow.
  EXPECT_EQ(kinds(evs), "text:Hel,text:lo");
  EXPECT_FALSE(
      m.result(Json{{"stopReason", "tool_use"}, {"usage", {{"input", 12}, {"output", 7}}}}, evs));
  EXPECT_EQ(kinds(evs), "text:Hel,text:lo,call:c1,call:c2,usage,done:tool_use");
  EXPECT_EQ(evs[2].tool_call.name, "exec");
  EXPECT_EQ(evs[2].tool_call.arguments, R"({"command":"ls"})");
  EXPECT_EQ(evs[3].tool_call.arguments, "{}");  // no arguments = none
  EXPECT_EQ(evs[4].usage.input_tokens, 12);
  EXPECT_EQ(evs[4].usage.output_tokens, 7);
  // Nothing is accepted after the result.
  std::vector<StreamEvent> late;
  EXPECT_FALSE(m.delta(Json{{"text", "late"}}, late));
  EXPECT_TRUE(late.empty());
}

TEST(ProviderStreamMapper, DefaultStopReasonsAndOddUsage) {
  {
    ProviderStreamMapper m;
    std::vector<StreamEvent> evs;
    EXPECT_FALSE(m.result(Json::object(), evs));
    EXPECT_EQ(kinds(evs), "done:end");
  }
  {
    ProviderStreamMapper m;
    std::vector<StreamEvent> evs;
    EXPECT_FALSE(m.delta(Json{{"toolCall", {{"id", "x"}, {"name", "t"}}}}, evs));
    EXPECT_FALSE(m.result(Json{{"usage", {{"input", -5}, {"output", "many"}}}}, evs));
    EXPECT_EQ(kinds(evs), "call:x,usage,done:tool_use");
    EXPECT_EQ(evs[1].usage.input_tokens, 0);
    EXPECT_EQ(evs[1].usage.output_tokens, 0);
  }
}

TEST(ProviderStreamMapper, MalformedAndOversizedInputIsAnError) {
  struct Case {
    const char* what;
    std::function<std::optional<std::string>(ProviderStreamMapper&, std::vector<StreamEvent>&)> run;
    const char* expect;
  };
  std::vector<Case> cases = {
      {"text not a string",
       [](auto& m, auto& e) {
         return m.delta(Json{{"text", 5}}, e);
       },
       "text is not a string"},
      {"text delta too big",
       [](auto& m, auto& e) {
         return m.delta(Json{{"text", std::string(kMaxDeltaText + 1, 'x')}}, e);
       },
       "text delta over 262144 bytes"},
      {"reply too big",
       [](auto& m, auto& e) {
         std::string chunk(kMaxDeltaText, 'x');
         for (std::size_t i = 0; i < kMaxReplyText / kMaxDeltaText; ++i)
           if (auto err = m.delta(Json{{"text", chunk}}, e)) return err;
         return m.delta(Json{{"text", "y"}}, e);
       },
       "reply over 4194304 bytes"},
      {"too many tool calls",
       [](auto& m, auto& e) {
         for (std::size_t i = 0; i <= providers::kMaxToolCalls; ++i)
           if (auto err =
                   m.delta(Json{{"toolCall", {{"id", "c" + std::to_string(i)}, {"name", "t"}}}}, e))
             return err;
         return std::optional<std::string>();
       },
       "more than 64 tool calls"},
      {"arguments too big",
       [](auto& m, auto& e) {
         std::string half(kMaxToolArguments / 2 + 1, 'a');
         if (auto err = m.delta(
                 Json{{"toolCall", {{"id", "c"}, {"name", "t"}, {"argumentsDelta", half}}}}, e))
           return err;
         return m.delta(Json{{"toolCall", {{"id", "c"}, {"argumentsDelta", half}}}}, e);
       },
       "arguments over 1048576 bytes"},
      {"tool call without id",
       [](auto& m, auto& e) {
         return m.delta(Json{{"toolCall", {{"name", "t"}}}}, e);
       },
       "valid id"},
      {"tool call id too long",
       [](auto& m, auto& e) {
         return m.delta(Json{{"toolCall", {{"id", std::string(300, 'i')}, {"name", "t"}}}}, e);
       },
       "valid id"},
      {"toolCall not an object",
       [](auto& m, auto& e) {
         return m.delta(Json{{"toolCall", "x"}}, e);
       },
       "not an object"},
      {"tool call never named",
       [](auto& m, auto& e) {
         if (auto err = m.delta(Json{{"toolCall", {{"id", "c9"}, {"argumentsDelta", "{}"}}}}, e))
           return err;
         return m.result(Json::object(), e);
       },
       "tool call c9 without a name"},
      {"result not an object", [](auto& m, auto& e) { return m.result(Json::array(), e); },
       "not an object"},
      {"stopReason not a string",
       [](auto& m, auto& e) {
         return m.result(Json{{"stopReason", 1}}, e);
       },
       "stopReason"},
  };
  for (const auto& c : cases) {
    ProviderStreamMapper m;
    std::vector<StreamEvent> evs;
    auto err = c.run(m, evs);
    ASSERT_TRUE(err.has_value()) << c.what;
    EXPECT_NE(err->find(c.expect), std::string::npos) << c.what << ": " << *err;
    // Broken: nothing more comes out of it.
    std::vector<StreamEvent> after;
    EXPECT_FALSE(m.delta(Json{{"text", "more"}}, after));
    EXPECT_FALSE(m.result(Json::object(), after));
    EXPECT_TRUE(after.empty()) << c.what;
  }
}

TEST(ProviderChatParams, CarriesSystemMessagesToolCallsAndTools) {
  providers::ChatRequest req;
  req.model = "echo-1";
  req.system = "be brief";
  req.max_tokens = 99;
  req.messages.push_back({sdk::Role::kUser, "hi", {}, "", "", false});
  req.messages.push_back(
      {sdk::Role::kAssistant, "", {{"c1", "exec", R"({"command":"ls"})"}}, "", "", false});
  req.messages.push_back({sdk::Role::kTool, "denied", {}, "c1", "exec", true});
  req.tools.push_back({"exec", "run a command", Json{{"type", "object"}}});
  Json p = provider_chat_params("req-7", req);
  EXPECT_EQ(p["requestId"], "req-7");
  EXPECT_EQ(p["model"], "echo-1");
  EXPECT_EQ(p["system"], "be brief");
  EXPECT_EQ(p["maxTokens"], 99);
  ASSERT_EQ(p["messages"].size(), 3u);
  EXPECT_EQ(p["messages"][0], (Json{{"role", "user"}, {"content", "hi"}}));
  EXPECT_EQ(p["messages"][1]["toolCalls"][0],
            (Json{{"id", "c1"}, {"name", "exec"}, {"arguments", R"({"command":"ls"})"}}));
  EXPECT_EQ(p["messages"][2], (Json{{"role", "tool"},
                                    {"content", "denied"},
                                    {"toolCallId", "c1"},
                                    {"toolName", "exec"},
                                    {"isError", true}}));
  EXPECT_EQ(p["tools"][0], (Json{{"name", "exec"},
                                 {"description", "run a command"},
                                 {"parameters", {{"type", "object"}}}}));
  providers::ChatRequest bare;
  bare.model = "m";
  Json q = provider_chat_params("r", bare);
  EXPECT_FALSE(q.contains("system"));
  EXPECT_FALSE(q.contains("tools"));
}

// ---- real processes ----

// Answers initialize and ping; provider/chat is never answered. Every method it receives
// is appended to seen.log as "<method> <requestId>".
const char* kSilent = R"PY(
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    m, mid, p = msg.get("method"), msg.get("id"), msg.get("params") or {}
    with open("seen.log", "a") as f:
        f.write("%s %s\n" % (m, p.get("requestId", "")))
    if m == "initialize":
        out = {"name": "silent", "version": "1", "capabilities": {}}
    elif m in ("ping", "shutdown"):
        out = {}
    elif m == "provider/models":
        sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": mid,
                                     "error": {"code": -32601, "message": "no"}}) + "\n")
        sys.stdout.flush()
        continue
    else:
        continue
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": mid, "result": out}) + "\n")
    sys.stdout.flush()
    if m == "shutdown":
        break
)PY";

struct Outcome {
  std::string text;
  std::vector<StreamEvent> events;  // everything but text
  std::optional<providers::PluginFailure> failure;
  bool done = false;
  bool finished() const { return done || failure.has_value(); }
};

class PluginProviderTest : public PluginFixture {
 protected:
  PluginProviderTest() : PluginFixture("sc-plugin-provider") {}
  // For conditions no loop event announces (a file another process writes).
  bool poll_until(const std::function<bool()>& pred, std::chrono::milliseconds t = 10s) {
    auto deadline = std::chrono::steady_clock::now() + t;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      run_for(20ms);
    }
    return true;
  }

  PluginHostOptions opts() { return quick_options(); }

  void silent_plugin() {
    fs::path d = fs::path(dir_.path) / "fakes" / "silent";
    fs::create_directories(d);
    std::ofstream(d / "fake.py") << kSilent;
    std::ofstream(d / "plugin.yaml")
        << "name: silent\nversion: 0.0.1\nkind: provider\ncommand: python3\nargs: [fake.py]\n";
  }
  std::string seen() { return tools::test_util::read_file(dir_.path + "/fakes/silent/seen.log"); }

  PluginHost& host(const Json& plugins, PluginHostOptions o) {
    host_ = std::make_unique<PluginHost>(io_, dir_.path + "/state", o);
    problems_ = host_->configure(plugins, Json::object());
    host_->start();
    return *host_;
  }
  PluginHost& echo_host(Json config = Json::object()) {
    auto& h =
        host(Json{{"dirs", {kExamples}}, {"entries", {{"echo-provider", {{"config", config}}}}}},
             opts());
    EXPECT_TRUE(problems_.empty()) << problems_.front();
    EXPECT_TRUE(run_until([&] { return h.provider_models()->available("echo-provider"); }))
        << h.list_json();
    return h;
  }

  Json entry(const std::string& name) {
    Json list = host_->list_json();  // bound: the loop must not walk a dead temporary
    for (const auto& p : list["plugins"])
      if (p["name"] == name) return p;
    return Json();
  }

  static providers::ChatRequest ask(const std::string& text) {
    providers::ChatRequest req;
    req.model = "echo-1";
    req.messages.push_back({sdk::Role::kUser, text, {}, "", "", false});
    return req;
  }

  std::shared_ptr<providers::PluginChat> chat(const std::string& plugin,
                                              const providers::ChatRequest& req, Outcome& out,
                                              providers::PluginTimeouts t = {}) {
    providers::PluginChatCallbacks cb;
    cb.on_event = [&out](StreamEvent& ev) {
      EXPECT_FALSE(out.finished()) << "event after the end";
      if (ev.type == StreamEvent::kText)
        out.text += ev.text;
      else
        out.events.push_back(ev);
      if (ev.type == StreamEvent::kDone) out.done = true;
    };
    cb.on_failure = [&out](const providers::PluginFailure& f) {
      EXPECT_FALSE(out.finished()) << "failure after the end";
      out.failure = f;
    };
    return host_->provider_models()->chat(plugin, req, t, std::move(cb));
  }
};

TEST_F(PluginProviderTest, EchoPluginStreamsItsReplyAndListsItsModels) {
  auto& h = echo_host();
  Json e = entry("echo-provider");
  EXPECT_EQ(e["kind"], "provider");
  EXPECT_EQ(e["state"], "running");
  EXPECT_EQ(e["models"], (Json{"echo-1"}));
  auto models = h.provider_models()->models("echo-provider");
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].id, "echo-1");
  EXPECT_EQ(models[0].context_window, 32000);
  EXPECT_EQ(models[0].max_tokens, 1024);
  EXPECT_FALSE(h.provider_models()->available("dice-tool"));  // running, but not a provider

  Outcome out;
  auto c = chat("echo-provider", ask("hello plugin world"), out);
  EXPECT_FALSE(out.finished());  // never inline
  ASSERT_TRUE(run_until([&] { return out.finished(); })) << out.text;
  ASSERT_FALSE(out.failure) << out.failure->message;
  EXPECT_EQ(out.text, "echo: hello plugin world");
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].type, StreamEvent::kUsage);
  EXPECT_EQ(out.events[0].usage.input_tokens, 3);
  EXPECT_EQ(out.events[0].usage.output_tokens, 4);
  EXPECT_EQ(out.events[1].stop_reason, "end");
  EXPECT_EQ(entry("echo-provider")["activeRequests"], 0);
}

TEST_F(PluginProviderTest, ToolCallArgumentsAreAssembledFromDeltas) {
  echo_host();
  Outcome out;
  auto c = chat("echo-provider", ask(R"(call dice-tool__upper {"text": "loud"})"), out);
  ASSERT_TRUE(run_until([&] { return out.finished(); }));
  ASSERT_FALSE(out.failure) << out.failure->message;
  EXPECT_EQ(out.text, "calling dice-tool__upper");
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.events[0].type, StreamEvent::kToolCall);
  EXPECT_EQ(out.events[0].tool_call.id, "call_1");
  EXPECT_EQ(out.events[0].tool_call.name, "dice-tool__upper");
  EXPECT_EQ(out.events[0].tool_call.arguments, R"({"text": "loud"})");
  EXPECT_EQ(out.events[2].stop_reason, "tool_use");
}

TEST_F(PluginProviderTest, JsonRpcErrorIsNotRetryableAndNamesThePlugin) {
  echo_host();
  Outcome out;
  auto c = chat("echo-provider", ask("fail the model is on strike"), out);
  ASSERT_TRUE(run_until([&] { return out.finished(); }));
  ASSERT_TRUE(out.failure);
  EXPECT_FALSE(out.failure->retryable);
  EXPECT_NE(out.failure->message.find("plugin echo-provider"), std::string::npos)
      << out.failure->message;
  EXPECT_NE(out.failure->message.find("the model is on strike"), std::string::npos)
      << out.failure->message;
}

TEST_F(PluginProviderTest, CrashMidStreamIsARetryableFailureAfterItsText) {
  echo_host();
  Outcome out;
  auto c = chat("echo-provider", ask("crash"), out);
  ASSERT_TRUE(run_until([&] { return out.finished(); }));
  EXPECT_EQ(out.text, "about to crash");
  ASSERT_TRUE(out.failure);
  EXPECT_TRUE(out.failure->retryable);  // ModelCall makes it final: text was shown
  EXPECT_NE(out.failure->message.find("plugin echo-provider exited (code 3)"), std::string::npos)
      << out.failure->message;
  // The runtime restarts it.
  ASSERT_TRUE(run_until([&] {
    return entry("echo-provider").value("restarts", 0) >= 1 &&
           host_->provider_models()->available("echo-provider");
  }));
}

TEST_F(PluginProviderTest, NotConfiguredAndNotRunningPlugins) {
  echo_host();
  Outcome nope;
  auto c1 = chat("no-such-plugin", ask("hi"), nope);
  Outcome tool;
  auto c2 = chat("dice-tool", ask("hi"), tool);
  EXPECT_FALSE(nope.finished());
  ASSERT_TRUE(run_until([&] { return nope.finished() && tool.finished(); }));
  ASSERT_TRUE(nope.failure && tool.failure);
  EXPECT_FALSE(nope.failure->retryable);
  EXPECT_NE(nope.failure->message.find("plugin no-such-plugin is not a configured provider plugin"),
            std::string::npos);
  EXPECT_FALSE(tool.failure->retryable);

  // Between a crash and the restart: retryable, and says why.
  int pid = entry("echo-provider")["pid"].get<int>();
  ::kill(pid, SIGKILL);
  ASSERT_TRUE(run_until([&] { return entry("echo-provider")["state"] == "backoff"; }));
  Outcome down;
  auto c3 = chat("echo-provider", ask("hi"), down);
  ASSERT_TRUE(run_until([&] { return down.finished(); }));
  ASSERT_TRUE(down.failure);
  EXPECT_TRUE(down.failure->retryable);
  EXPECT_NE(down.failure->message.find("plugin echo-provider is not running"), std::string::npos)
      << down.failure->message;
  EXPECT_NE(down.failure->message.find("signal 9"), std::string::npos) << down.failure->message;
}

TEST_F(PluginProviderTest, CancelTellsThePluginAndCallsNothingBack) {
  silent_plugin();
  auto& h = host(Json{{"dirs", {dir_.path + "/fakes"}}}, opts());
  ASSERT_TRUE(run_until([&] { return h.provider_models()->available("silent"); })) << h.list_json();
  EXPECT_EQ(entry("silent")["models"], Json::array());  // provider/models answered an error
  Outcome out;
  auto c = chat("silent", ask("hi"), out);
  ASSERT_TRUE(poll_until([&] { return seen().find("provider/chat req-") != std::string::npos; }));
  EXPECT_EQ(entry("silent")["activeRequests"], 1);
  c->cancel();
  ASSERT_TRUE(poll_until([&] { return seen().find("provider/cancel req-") != std::string::npos; }))
      << seen();
  run_for(200ms);
  EXPECT_FALSE(out.finished());
  EXPECT_EQ(entry("silent")["activeRequests"], 0);
}

TEST_F(PluginProviderTest, TimeoutsAreRetryableAndCancelTheRequest) {
  silent_plugin();
  auto& h = host(Json{{"dirs", {dir_.path + "/fakes"}}}, opts());
  ASSERT_TRUE(run_until([&] { return h.provider_models()->available("silent"); }));
  Outcome out;
  providers::PluginTimeouts t;
  t.first_byte = 300ms;
  auto c = chat("silent", ask("hi"), out, t);
  ASSERT_TRUE(run_until([&] { return out.finished(); }));
  ASSERT_TRUE(out.failure);
  EXPECT_TRUE(out.failure->retryable);
  EXPECT_EQ(out.failure->kind, providers::ErrorKind::kTimeout);
  EXPECT_NE(
      out.failure->message.find("plugin silent: provider/chat timed out (no answer within 300 ms)"),
      std::string::npos)
      << out.failure->message;
  ASSERT_TRUE(poll_until([&] { return seen().find("provider/cancel req-") != std::string::npos; }));
}

TEST_F(PluginProviderTest, RequestsInFlightAreCapped) {
  silent_plugin();
  PluginHostOptions o = opts();
  o.max_provider_requests = 2;
  auto& h = host(Json{{"dirs", {dir_.path + "/fakes"}}}, o);
  ASSERT_TRUE(run_until([&] { return h.provider_models()->available("silent"); }));
  Outcome a, b, c;
  auto ca = chat("silent", ask("1"), a);
  auto cb = chat("silent", ask("2"), b);
  auto cc = chat("silent", ask("3"), c);
  ASSERT_TRUE(run_until([&] { return c.finished(); }));
  ASSERT_TRUE(c.failure);
  EXPECT_TRUE(c.failure->retryable);
  EXPECT_EQ(c.failure->kind, providers::ErrorKind::kRateLimit);
  EXPECT_NE(c.failure->message.find("too many requests in flight (2)"), std::string::npos);
  EXPECT_FALSE(a.finished());
  ca->cancel();
  Outcome d;
  auto cd = chat("silent", ask("4"), d);
  run_for(200ms);
  EXPECT_FALSE(d.finished());  // a slot was free again
  cb->cancel();
  cd->cancel();
}

// ---- ModelCall on a plugin candidate ----

class PluginModelCallTest : public PluginProviderTest {
 protected:
  config::ModelsConfig models(int attempts, int base_ms) {
    config::ModelsConfig m;
    config::ProviderConfig p;
    p.name = "echo";
    p.plugin = "echo-provider";
    p.api.clear();
    m.providers.push_back(p);
    m.retry.attempts = attempts;
    m.retry.base_ms = base_ms;
    m.retry.max_ms = base_ms * 4;
    return m;
  }

  struct CallOut {
    std::string text;
    std::optional<providers::CallResult> result;
  };

  std::shared_ptr<providers::ModelCall> call(providers::Catalog& cat, const std::string& text,
                                             CallOut& out) {
    auto m = cat.resolve("echo/echo-1");
    EXPECT_TRUE(m.ok());
    providers::CallCallbacks cb;
    cb.build = [text](const providers::ResolvedModel& rm) {
      auto r = ask(text);
      r.model = rm.model.id;
      return r;
    };
    cb.on_text = [&out](std::string_view t) { out.text += t; };
    cb.on_done = [&out](const providers::CallResult& r) { out.result = r; };
    return providers::ModelCall::start(io_, {*m}, cat.config(), std::move(cb));
  }
};

TEST_F(PluginModelCallTest, CatalogResolvesAndListsPluginModels) {
  auto& h = echo_host();
  providers::Catalog cat(io_);
  cat.set_config(models(1, 10));
  cat.set_plugins(h.provider_models());
  auto m = cat.resolve("echo/echo-1");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->plugin, "echo-provider");
  EXPECT_EQ(m->model.context_window, 32000);  // from provider/models
  EXPECT_EQ(m->model.max_tokens, 1024);
  Json list = cat.list_json()["models"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], "echo/echo-1");
  EXPECT_EQ(list[0]["available"], true);
  // Without the plugins wired in: listed as configured (none), never available.
  providers::Catalog bare(io_);
  bare.set_config(models(1, 10));
  EXPECT_EQ(bare.list_json()["models"].size(), 0u);
}

TEST_F(PluginModelCallTest, StreamsThroughModelCall) {
  auto& h = echo_host();
  providers::Catalog cat(io_);
  cat.set_config(models(1, 10));
  cat.set_plugins(h.provider_models());
  CallOut out;
  auto c = call(cat, "hi there", out);
  ASSERT_TRUE(run_until([&] { return out.result.has_value(); }));
  ASSERT_TRUE(out.result->ok) << out.result->error;
  EXPECT_EQ(out.text, "echo: hi there");
  EXPECT_EQ(out.result->stop_reason, "end");
  EXPECT_EQ(out.result->usage.output_tokens, 3);
  EXPECT_EQ(out.result->model_ref, "echo/echo-1");
}

TEST_F(PluginModelCallTest, NotRunningYetIsRetriedUntilThePluginRuns) {
  // The call starts while the process is still starting: the first tries fail (retryable)
  // and a later one succeeds.
  host_ = std::make_unique<PluginHost>(io_, dir_.path + "/state", opts());
  host_->configure(Json{{"dirs", {kExamples}}}, Json::object());
  providers::Catalog cat(io_);
  cat.set_config(models(20, 100));
  cat.set_plugins(host_->provider_models());
  host_->start();
  ASSERT_FALSE(host_->provider_models()->available("echo-provider"));
  CallOut out;
  auto c = call(cat, "patience", out);
  ASSERT_TRUE(run_until([&] { return out.result.has_value(); }, 20s));
  ASSERT_TRUE(out.result->ok) << out.result->error;
  EXPECT_GE(out.result->attempts, 2);
  EXPECT_EQ(out.text, "echo: patience");
}

TEST_F(PluginModelCallTest, JsonRpcErrorIsFinalAndCrashAfterTextIsFinal) {
  auto& h = echo_host();
  providers::Catalog cat(io_);
  cat.set_config(models(3, 10));
  cat.set_plugins(h.provider_models());
  CallOut out;
  auto c = call(cat, "fail no quota", out);
  ASSERT_TRUE(run_until([&] { return out.result.has_value(); }));
  EXPECT_FALSE(out.result->ok);
  EXPECT_EQ(out.result->attempts, 1);
  EXPECT_NE(out.result->error.find("echo: plugin echo-provider: provider/chat failed: no quota"),
            std::string::npos)
      << out.result->error;

  CallOut crash;
  auto c2 = call(cat, "crash", crash);
  ASSERT_TRUE(run_until([&] { return crash.result.has_value(); }));
  EXPECT_FALSE(crash.result->ok);
  EXPECT_EQ(crash.result->attempts, 1);  // text reached the user: no retry
  EXPECT_EQ(crash.text, "about to crash");
  EXPECT_NE(crash.result->error.find("exited (code 3)"), std::string::npos) << crash.result->error;
}

TEST_F(PluginModelCallTest, CancelFinishesTheCallAsCancelled) {
  auto& h = echo_host();
  providers::Catalog cat(io_);
  cat.set_config(models(1, 10));
  cat.set_plugins(h.provider_models());
  CallOut out;
  auto c = call(cat, "slow one two three four five six", out);
  ASSERT_TRUE(run_until([&] { return !out.text.empty(); }));
  c->cancel();
  EXPECT_FALSE(out.result.has_value());  // not inline
  ASSERT_TRUE(run_until([&] { return out.result.has_value(); }));
  EXPECT_TRUE(out.result->cancelled);
  std::string at_cancel = out.text;
  run_for(500ms);
  EXPECT_EQ(out.text, at_cancel);  // no text after the cancel
  EXPECT_EQ(entry("echo-provider")["activeRequests"], 0);
}

}  // namespace
}  // namespace simpleclaw::plugins
