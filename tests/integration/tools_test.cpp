// Tools end to end: the real gateway, the fake LLM scripting tool calls in each API's
// real stream format, real files, real processes (bubblewrap when installed), a second
// operator resolving approvals, restarts with a pending approval, and an MCP server.
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "chat_helpers.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using fakes::FakeToolCall;
using fakes::Script;

Script calls(std::vector<FakeToolCall> tc, std::string when_result = {}) {
  Script s;
  s.tool_calls = std::move(tc);
  s.when_tool_result = std::move(when_result);
  return s;
}

Script answer(std::string text, std::string when_result = {}) {
  Script s;
  s.chunks = {std::move(text)};
  s.when_tool_result = std::move(when_result);
  return s;
}

// Agent `tool` events of a run, in order, until the run's terminal chat event.
struct RunTrace {
  std::vector<Json> tool_events;
  Json terminal;
};
RunTrace trace(WsClient& c, const std::string& run_id, int timeout_ms = 20000) {
  RunTrace t;
  for (;;) {
    auto ev = wait_event_if(
        c, "",
        [&](const Json& f) {
          const std::string e = f.value("event", "");
          return (e == "chat" || e == "agent") && f["payload"].value("runId", "") == run_id;
        },
        timeout_ms);
    if (!ev) {
      ADD_FAILURE() << "run " << run_id << " did not finish";
      return t;
    }
    const Json& p = (*ev)["payload"];
    if ((*ev)["event"] == "agent" && p["stream"] == "tool") t.tool_events.push_back(p["data"]);
    if ((*ev)["event"] == "chat" && p["state"] != "delta") {
      t.terminal = p;
      return t;
    }
  }
}

std::string workspace(const GatewayProcess& gw) {
  return gw.state_dir() + "/agents/main/workspace";
}

ClientOptions approver(const GatewayProcess& gw) {
  ClientOptions o = gw.options();
  o.scopes = {"operator.approvals"};
  return o;
}

TEST(Tools, FileToolRoundIsStreamedStoredAsPairsAndReplayed) {
  FakeLlm llm;
  llm.push(calls({{"", "write", R"({"path":"notes/a.txt","content":"hello"})"},
                  {"", "read", R"({"path":"notes/a.txt"})"}}));
  llm.push(answer("Saved and read it back.", "hello"));
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send(*c, "main", "save a note", "r1");
  RunTrace t = trace(*c, "r1");
  EXPECT_EQ(t.terminal["state"], "final") << t.terminal.dump();
  EXPECT_EQ(t.terminal["message"]["content"][0]["text"], "Saved and read it back.");
  ASSERT_EQ(t.tool_events.size(), 4u);
  EXPECT_EQ(t.tool_events[0]["phase"], "start");
  EXPECT_EQ(t.tool_events[0]["name"], "write");
  EXPECT_EQ(t.tool_events[0]["args"]["path"], "notes/a.txt");
  EXPECT_EQ(t.tool_events[1]["phase"], "result");
  EXPECT_EQ(t.tool_events[1]["isError"], false);
  EXPECT_EQ(t.tool_events[3]["result"], "hello");
  EXPECT_EQ(t.tool_events[1]["toolCallId"], t.tool_events[0]["toolCallId"]);
  EXPECT_EQ(read_text(workspace(*gw) + "/notes/a.txt"), "hello");

  // The model was offered the tools, and the second request replayed the round.
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u);
  std::vector<std::string> offered;
  for (const Json& t : reqs[0].body["tools"]) offered.push_back(t["function"]["name"]);
  for (const char* name : {"edit", "exec", "ls", "read", "write"})
    EXPECT_NE(std::find(offered.begin(), offered.end(), name), offered.end()) << name;
  const Json& msgs = reqs[1].body["messages"];
  ASSERT_GE(msgs.size(), 5u);
  const Json& a = msgs[msgs.size() - 3];
  EXPECT_EQ(a["role"], "assistant");
  ASSERT_EQ(a["tool_calls"].size(), 2u);
  EXPECT_EQ(msgs[msgs.size() - 2]["role"], "tool");
  EXPECT_EQ(msgs[msgs.size() - 2]["tool_call_id"], a["tool_calls"][0]["id"]);
  EXPECT_EQ(msgs.back()["tool_call_id"], a["tool_calls"][1]["id"]);
  EXPECT_EQ(msgs.back()["content"], "hello");

  // History: user, assistant with two toolCall blocks, two toolResults, the answer.
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  const Json& m = (*h)["messages"];
  ASSERT_EQ(m.size(), 5u) << m.dump(1);
  EXPECT_EQ(m[1]["content"][0]["type"], "toolCall");
  EXPECT_EQ(m[1]["content"][0]["name"], "write");
  EXPECT_EQ(m[2]["role"], "toolResult");
  EXPECT_EQ(m[3]["toolName"], "read");
  EXPECT_EQ(m[4]["content"][0]["text"], "Saved and read it back.");

  // The next turn carries the whole round as context, in order.
  send(*c, "main", "thanks", "r2");
  trace(*c, "r2");
  reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 3u);
  const Json& m3 = reqs[2].body["messages"];
  EXPECT_EQ(m3.back()["content"], "thanks");
  EXPECT_EQ(m3[m3.size() - 2]["content"], "Saved and read it back.");
}

TEST(Tools, BrokenArgumentsAndUnknownToolsAreToolErrorsAndTheTranscriptStaysValid) {
  FakeLlm llm;
  for (const char* api : {"fake/gpt-test", "claude/claude-test", "local/llama-test"}) {
    llm.clear();
    llm.push(calls({{"", "read", R"({"path": "a.txt)"}, {"", "rm_rf", "{}"}}));
    llm.push(answer("sorry"));
    START_GATEWAY(gw, with_config(config_for(llm)));
    auto c = gw->connect();
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->call("sessions.patch", Json{{"key", "main"}, {"model", api}}).ok());
    send(*c, "main", "go", "b1");
    RunTrace t = trace(*c, "b1");
    EXPECT_EQ(t.terminal["state"], "final") << api << " " << t.terminal.dump();
    ASSERT_EQ(t.tool_events.size(), 4u) << api;
    EXPECT_EQ(t.tool_events[1]["isError"], true);
    EXPECT_NE(t.tool_events[1]["result"].get<std::string>().find("not a JSON object"),
              std::string::npos);
    EXPECT_EQ(t.tool_events[3]["isError"], true);
    EXPECT_NE(t.tool_events[3]["result"].get<std::string>().find("unknown tool 'rm_rf'"),
              std::string::npos);
    // A later turn replays the round: valid JSON arguments everywhere.
    send(*c, "main", "next", "b2");
    EXPECT_EQ(trace(*c, "b2").terminal["state"], "final");
    auto reqs = llm.requests();
    std::string body = reqs.back().body.dump();
    EXPECT_EQ(body.find("a.txt)"), std::string::npos) << "broken arguments replayed: " << api;
  }
}

TEST(Tools, ExecAsksASecondOperatorAndRunsWhatWasShown) {
  FakeLlm llm;
  llm.push(calls({{"", "exec", R"({"command":"echo hello > out.txt && cat out.txt"})"}}));
  llm.push(answer("ran it", "hello"));
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  auto op = gw->connect(approver(*gw));
  ASSERT_NE(c, nullptr);
  ASSERT_NE(op, nullptr);
  send(*c, "main", "run it", "e1");
  auto req = wait_event(*op, "exec.approval.requested", 10000);
  ASSERT_TRUE(req.has_value());
  const Json& p = (*req)["payload"];
  EXPECT_EQ(p["request"]["command"], "echo hello > out.txt && cat out.txt");
  EXPECT_EQ(p["request"]["agentId"], "main");
  EXPECT_EQ(p["request"]["sessionKey"], "agent:main:main");
  EXPECT_EQ(p["request"]["cwd"].get<std::string>().find(gw->state_dir()), 0u);
  EXPECT_GT(p["expiresAtMs"].get<std::int64_t>(), p["createdAtMs"].get<std::int64_t>() + 200000);
  EXPECT_FALSE(file_exists(workspace(*gw) + "/out.txt")) << "ran before approval";
  // A read-only operator cannot resolve it.
  ClientOptions ro = gw->options();
  ro.scopes = {"operator.read"};
  auto reader = gw->connect(ro);
  ASSERT_NE(reader, nullptr);
  auto denied =
      reader->call("exec.approval.resolve", Json{{"id", p["id"]}, {"decision", "allow-once"}});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, simpleclaw::ErrorCode::kForbidden);
  auto listed = op->call("exec.approval.list");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ((*listed).size(), 1u);
  auto r = op->call("exec.approval.resolve", Json{{"id", p["id"]}, {"decision", "allow-once"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  RunTrace t = trace(*c, "e1");
  EXPECT_EQ(t.terminal["state"], "final") << t.terminal.dump();
  ASSERT_EQ(t.tool_events.size(), 2u);
  EXPECT_EQ(t.tool_events[1]["result"], "hello\n[exit code 0]");
  EXPECT_EQ(t.tool_events[1]["isError"], false);
  EXPECT_EQ(read_text(workspace(*gw) + "/out.txt"), "hello\n");
  auto resolved = wait_event(*op, "exec.approval.resolved", 5000);
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ((*resolved)["payload"]["decision"], "allow-once");
  // Idempotent, and a conflicting decision is refused.
  auto again = op->call("exec.approval.resolve", Json{{"id", p["id"]}, {"decision", "allow-once"}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["alreadyResolved"], true);
  auto conflict = op->call("exec.approval.resolve", Json{{"id", p["id"]}, {"decision", "deny"}});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().details["code"], "APPROVAL_ALREADY_RESOLVED");
}

TEST(Tools, DeniedAndExpiredApprovalsNeverRunAndTheModelIsTold) {
  FakeLlm llm;
  llm.push(calls({{"", "exec", R"({"command":"touch denied.txt"})"}}));
  llm.push(answer("ok, not running it", "denied"));
  llm.push(calls({{"", "exec", R"({"command":"touch late.txt"})"}}));
  llm.push(answer("nobody answered", "timed out"));
  START_GATEWAY(gw, with_config(config_for(llm, "tools:\n  exec: {approval_timeout_ms: 1000}\n")));
  auto c = gw->connect();
  auto op = gw->connect(approver(*gw));
  ASSERT_NE(op, nullptr);
  send(*c, "main", "one", "d1");
  auto req = wait_event(*op, "exec.approval.requested", 10000);
  ASSERT_TRUE(req.has_value());
  ASSERT_TRUE(
      op->call("exec.approval.resolve", Json{{"id", (*req)["payload"]["id"]}, {"decision", "deny"}})
          .ok());
  RunTrace t = trace(*c, "d1");
  EXPECT_EQ(t.terminal["message"]["content"][0]["text"], "ok, not running it");
  ASSERT_EQ(t.tool_events.size(), 2u);
  EXPECT_EQ(t.tool_events[1]["isError"], true);
  EXPECT_NE(t.tool_events[1]["result"].get<std::string>().find("denied"), std::string::npos);

  send(*c, "main", "two", "d2");
  t = trace(*c, "d2");
  EXPECT_EQ(t.terminal["message"]["content"][0]["text"], "nobody answered") << t.terminal.dump();
  ASSERT_EQ(t.tool_events.size(), 2u);
  EXPECT_NE(t.tool_events[1]["result"].get<std::string>().find("timed out"), std::string::npos);
  auto exp = wait_event_if(
      *op, "exec.approval.resolved",
      [](const Json& f) { return f["payload"].value("reason", "") == "timeout"; }, 5000);
  ASSERT_TRUE(exp.has_value());
  EXPECT_EQ((*exp)["payload"]["decision"], "deny");
  EXPECT_FALSE(file_exists(workspace(*gw) + "/denied.txt"));
  EXPECT_FALSE(file_exists(workspace(*gw) + "/late.txt"));
}

TEST(Tools, AllowAlwaysStoresTheExactPatternAndTheNextRunNeedsNoApproval) {
  FakeLlm llm;
  // First in line (the FIFO picks the first match): the answer to a tool result.
  Script fin = answer("done", "again-and-again");
  fin.times = 2;
  llm.push(fin);
  Script again = calls({{"", "exec", R"({"command":"echo again-and-again"})"}});
  again.times = 2;
  llm.push(again);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  auto op = gw->connect(approver(*gw));
  send(*c, "main", "one", "a1");
  auto req = wait_event(*op, "exec.approval.requested", 10000);
  ASSERT_TRUE(req.has_value());
  const Json& rq = (*req)["payload"]["request"];
  ASSERT_EQ(rq["allowAlways"], true);
  ASSERT_EQ(rq["allowAlwaysPatterns"].size(), 1u);
  std::string pattern = rq["allowAlwaysPatterns"][0];
  EXPECT_NE(pattern.find("/echo again-and-again"), std::string::npos) << pattern;
  ASSERT_TRUE(op->call("exec.approval.resolve",
                       Json{{"id", (*req)["payload"]["id"]}, {"decision", "allow-always"}})
                  .ok());
  EXPECT_EQ(trace(*c, "a1").terminal["state"], "final");
  EXPECT_NE(read_text(gw->config_path()).find(pattern), std::string::npos)
      << read_text(gw->config_path());
  send(*c, "main", "two", "a2");
  RunTrace t = trace(*c, "a2");
  EXPECT_EQ(t.terminal["state"], "final");
  ASSERT_EQ(t.tool_events.size(), 2u);
  EXPECT_EQ(t.tool_events[1]["result"], "again-and-again\n[exit code 0]");
  EXPECT_FALSE(wait_event(*op, "exec.approval.requested", 300).has_value()) << "asked again";
}

TEST(Tools, AbortKillsTheWholeProcessGroup) {
  FakeLlm llm;
  llm.push(calls({{"", "exec", R"({"command":"sleep 60 & echo $! > bg.pid; sleep 60"})"}}));
  START_GATEWAY(gw, with_config(config_for(
                        llm, "tools:\n  exec: {security: full, ask: off, sandbox: false}\n")));
  auto c = gw->connect();
  send(*c, "main", "sleep", "k1");
  std::string pid_file = workspace(*gw) + "/bg.pid";
  ASSERT_TRUE(eventually([&] { return !read_text(pid_file).empty(); }, 10000));
  pid_t bg = std::stoi(read_text(pid_file));
  ASSERT_EQ(::kill(bg, 0), 0) << "background sleep should be running";
  auto ab = c->call("chat.abort", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(ab.ok());
  RunTrace t = trace(*c, "k1", 5000);
  EXPECT_EQ(t.terminal["state"], "aborted") << t.terminal.dump();
  // The grandchild died with its group (a zombie of init counts as gone).
  EXPECT_TRUE(eventually(
      [&] {
        if (::kill(bg, 0) != 0) return true;
        std::string st = read_text("/proc/" + std::to_string(bg) + "/stat");
        return st.find(") Z") != std::string::npos;
      },
      5000));
  // History holds the call and its (aborted) result as a pair.
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  const Json& m = (*h)["messages"];
  ASSERT_GE(m.size(), 3u) << m.dump(1);
  EXPECT_EQ(m[1]["content"][0]["type"], "toolCall");
  EXPECT_EQ(m[2]["role"], "toolResult");
  EXPECT_EQ(m[2]["isError"], true);
}

TEST(Tools, APendingApprovalSurvivesARestartAndAllowAlwaysStillStoresThePattern) {
  FakeLlm llm;
  llm.push(calls({{"", "exec", R"({"command":"echo persisted"})"}}));
  TempDir state;
  StartOptions o = with_config(config_for(llm));
  o.state_dir = state.path();
  std::string id, config_path;
  {
    START_GATEWAY(gw, o);
    auto c = gw->connect();
    auto op = gw->connect(approver(*gw));
    send(*c, "main", "please", "p1");
    auto req = wait_event(*op, "exec.approval.requested", 10000);
    ASSERT_TRUE(req.has_value());
    id = (*req)["payload"]["id"];
    gw->signal(SIGTERM);
    ASSERT_EQ(gw->wait_exit(std::chrono::seconds(10)), 0);
  }
  START_GATEWAY(gw2, o);
  auto op = gw2->connect(approver(*gw2));
  ASSERT_NE(op, nullptr);
  auto listed = op->call("exec.approval.list");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ((*listed).size(), 1u) << listed->dump();
  EXPECT_EQ((*listed)[0]["id"], id);
  EXPECT_EQ((*listed)[0]["request"]["command"], "echo persisted");
  ASSERT_TRUE(
      op->call("exec.approval.resolve", Json{{"id", id.substr(0, 8)}, {"decision", "allow-always"}})
          .ok());
  EXPECT_TRUE(eventually(
      [&] { return read_text(gw2->config_path()).find("echo persisted") != std::string::npos; },
      5000));
  auto got = op->call("exec.approval.get", Json{{"id", id}});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["status"], "allow-always");
  // Its run ended with the restart, so the gateway ran the command itself and put the
  // result in the session, where the agent reads it on the next turn.
  auto c = gw2->connect();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(eventually([&] {
    auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
    return h.ok() && h->dump().find("persisted\\n[exit code 0]") != std::string::npos;
  }));
}

TEST(Tools, MaxStepsEndsARunThatNeverStopsCallingTools) {
  FakeLlm llm;
  Script loop = calls({{"", "ls", "{}"}});
  loop.times = -1;
  llm.push(loop);
  START_GATEWAY(gw, with_config(config_for(llm, "tools:\n  max_steps: 3\n")));
  auto c = gw->connect();
  send(*c, "main", "loop", "m1");
  RunTrace t = trace(*c, "m1");
  EXPECT_EQ(t.terminal["state"], "error");
  EXPECT_NE(t.terminal["errorMessage"].get<std::string>().find("3 model calls"), std::string::npos);
  EXPECT_EQ(llm.request_count(), 3u);
  EXPECT_EQ(t.tool_events.size(), 4u) << "two rounds ran";
}

TEST(Tools, ToolPolicyHidesAndRefusesDeniedTools) {
  FakeLlm llm;
  llm.push(calls({{"", "write", R"({"path":"x.txt","content":"x"})"}}));
  START_GATEWAY(gw, with_config(config_for(llm, "tools:\n  deny: [write, exec]\n")));
  auto c = gw->connect();
  send(*c, "main", "write", "t1");
  RunTrace t = trace(*c, "t1");
  ASSERT_EQ(t.tool_events.size(), 2u);
  EXPECT_NE(t.tool_events[1]["result"].get<std::string>().find("not allowed"), std::string::npos);
  EXPECT_FALSE(file_exists(workspace(*gw) + "/x.txt"));
  const Json offered = llm.requests()[0].body["tools"];
  ASSERT_TRUE(offered.is_array());
  for (const Json& tool : offered) {
    EXPECT_NE(tool["function"]["name"], "write");
    EXPECT_NE(tool["function"]["name"], "exec");
  }
}

TEST(Tools, McpServerToolEndToEnd) {
  FakeLlm llm;
  std::string cfg =
      config_for(llm, std::string("mcp:\n  servers:\n    demo: {command: python3, args: [") +
                          SIMPLECLAW_SOURCE_DIR + "/tests/fakes/mcp_server.py]}\n");
  START_GATEWAY(gw, with_config(cfg));
  auto c = gw->connect();
  // The server's tools are offered once it has started and listed them: ask harmless
  // questions until the request carries demo__echo.
  bool offered = false;
  for (int i = 0; i < 50 && !offered; ++i) {
    llm.clear();
    llm.push(answer("nothing"));
    std::string id = "probe" + std::to_string(i);
    send(*c, "agent:main:probe", "probe", id);
    trace(*c, id);
    const Json tools = llm.requests().back().body["tools"];  // a copy: requests() is a temporary
    for (const Json& t : tools)
      if (t["function"]["name"] == "demo__echo") offered = true;
    if (!offered) ::usleep(100000);
  }
  ASSERT_TRUE(offered) << "demo__echo never offered; log: " << read_text(gw->log_file());
  llm.clear();
  llm.push(calls({{"", "demo__echo", R"({"text":"from mcp"})"}}));
  llm.push(answer("mcp said so", "from mcp"));
  send(*c, "main", "use mcp", "mc1");
  RunTrace t = trace(*c, "mc1");
  EXPECT_EQ(t.terminal["message"]["content"][0]["text"], "mcp said so") << t.terminal.dump();
  ASSERT_EQ(t.tool_events.size(), 2u);
  EXPECT_EQ(t.tool_events[1]["isError"], false);
  EXPECT_NE(t.tool_events[1]["result"].get<std::string>().find("from mcp"), std::string::npos);
}

}  // namespace
}  // namespace sctest

namespace sctest {
namespace {

TEST(Tools, MessageToolDeliversToAWebchatSession) {
  FakeLlm llm;
  llm.push(calls(
      {{"", "message", R"({"channel":"webchat","to":"agent:main:alice","text":"Build finished."})"},
       {"", "message", R"({"channel":"carrier-pigeon","to":"x","text":"hi"})"}}));
  llm.push(answer("told alice", "sent to webchat"));
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  send(*c, "main", "tell alice", "msg1");
  RunTrace t = trace(*c, "msg1");
  EXPECT_EQ(t.terminal["state"], "final") << t.terminal.dump();
  ASSERT_EQ(t.tool_events.size(), 4u);
  EXPECT_EQ(t.tool_events[1]["isError"], false);
  EXPECT_NE(t.tool_events[3]["result"].get<std::string>().find("unknown channel 'carrier-pigeon'"),
            std::string::npos);
  auto h = c->call("chat.history", Json{{"sessionKey", "agent:main:alice"}});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ((*h)["messages"].size(), 1u);
  EXPECT_EQ((*h)["messages"][0]["content"][0]["text"], "Build finished.");
  EXPECT_EQ((*h)["messages"][0]["label"], "message from agent main");
}

}  // namespace
}  // namespace sctest

namespace sctest {
namespace {

// The command runs with the gateway's secrets scrubbed from its environment and, in the
// sandbox, cannot read the state dir (tokens) or write outside the workspace.
TEST(Tools, ExecRunsSandboxedWithoutTheGatewaysSecrets) {
  FakeLlm llm;
  const bool sandboxed = file_exists("/usr/bin/bwrap");  // on by default when installed
  std::string probe = "env; echo; echo inside > in.txt && echo WS-OK";
  if (sandboxed)  // (without a sandbox these would really touch the machine)
    probe +=
        "; cat ../../../gateway.token && echo TOKEN-READ; touch /etc/sc-test-x && echo ETC-WRITTEN";
  Json args{{"command", probe}};
  llm.push(calls({{"", "exec", args.dump()}}));
  llm.push(answer("checked", "WS-OK"));
  StartOptions o = with_config(config_for(llm, "tools:\n  exec: {security: full, ask: off}\n"));
  o.env["OPENAI_API_KEY"] = "sk-very-secret-value";
  o.env["MY_SERVICE_TOKEN"] = "tok-very-secret-value";
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  send(*c, "main", "probe", "s1");
  RunTrace t = trace(*c, "s1");
  ASSERT_EQ(t.tool_events.size(), 2u);
  std::string out = t.tool_events[1]["result"];
  EXPECT_EQ(out.find("very-secret-value"), std::string::npos) << out;
  EXPECT_EQ(out.find("SIMPLECLAW_"), std::string::npos) << out;
  EXPECT_NE(out.find("PATH=/usr/local/bin:/usr/bin:/bin"), std::string::npos) << out;
  EXPECT_NE(out.find("WS-OK"), std::string::npos) << out;
  EXPECT_EQ(read_text(workspace(*gw) + "/in.txt"), "inside\n");
  if (sandboxed) {
    EXPECT_EQ(out.find("TOKEN-READ"), std::string::npos) << out;
    EXPECT_EQ(out.find("ETC-WRITTEN"), std::string::npos) << out;
    EXPECT_FALSE(file_exists("/etc/sc-test-x"));
  }
}

}  // namespace
}  // namespace sctest
