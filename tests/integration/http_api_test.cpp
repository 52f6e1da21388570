// The HTTP API end to end: the real gateway, raw HTTP/1.1 on 127.0.0.1 (http_conn.h), the
// fake LLM speaking OpenAI's SSE, a WebSocket operator resolving exec approvals. Request
// bodies and their cap, keep-alive, bearer auth and scopes, endpoints off by default,
// /v1/chat/completions (JSON and SSE), sessions by `user`, a client that hangs up
// aborting its run, approvals holding an answer, /v1/responses and /tools/invoke.
#include "chat_helpers.h"
#include "http_conn.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using fakes::FakeToolCall;
using fakes::Script;

const char* kHttpOn =
    "gateway:\n"
    "  http:\n"
    "    max_body_bytes: 65536\n"
    "    endpoints: {chat_completions: {enabled: true}, responses: {enabled: true}}\n";

std::string bearer(const GatewayProcess& gw) { return "Authorization: Bearer " + gw.token(); }

Json chat_body(const std::string& text, bool stream = false) {
  return Json{{"model", "openclaw"},
              {"stream", stream},
              {"messages", Json::array({Json{{"role", "user"}, {"content", text}}})}};
}

// The `data:` payloads of an SSE body, in order ("[DONE]" kept as a string).
std::vector<Json> sse_payloads(const std::string& body) {
  std::vector<Json> out;
  std::size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    auto end = body.find("\n\n", pos);
    std::string data = body.substr(pos + 6, end - pos - 6);
    out.push_back(data == "[DONE]" ? Json("[DONE]") : Json::parse(data, nullptr, false));
    pos = end;
  }
  return out;
}

// The `event:` names of an SSE body, in order.
std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = body.find("event: ", pos)) != std::string::npos) {
    auto end = body.find('\n', pos);
    out.push_back(body.substr(pos + 7, end - pos - 7));
    pos = end;
  }
  return out;
}

ClientOptions http_approver(const GatewayProcess& gw) {
  ClientOptions o = gw.options();
  o.scopes = {"operator.approvals"};
  return o;
}

Script exec_call(const std::string& command) {
  Script s;
  s.tool_calls = {FakeToolCall{"", "exec", Json{{"command", command}}.dump()}};
  return s;
}

Script answer_after(const std::string& result, const std::string& text) {
  Script s;
  s.when_tool_result = result;
  s.chunks = {text};
  return s;
}

TEST(HttpApi, BodiesOverTheCapAre413AndKeepAliveServesSeveralRequests) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, kHttpOn)));
  HttpConn c(gw->port());
  ASSERT_TRUE(c.ok());
  // Two requests on one connection.
  auto a = c.request("GET", "/v1/models", "", {bearer(*gw)});
  EXPECT_EQ(a.status, 200) << a.body;
  // Each agent under both names a client may be set up with.
  std::set<std::string> ids;
  const Json models = a.json();  // kept: a range-for over a temporary's member dangles
  for (const Json& m : models["data"]) ids.insert(m.value("id", ""));
  EXPECT_TRUE(ids.count("openclaw/main") && ids.count("simpleclaw/main")) << a.body;
  EXPECT_EQ(c.request("GET", "/v1/models/simpleclaw%2Fmain", "", {bearer(*gw)}).status, 200);
  auto b = c.request("POST", "/v1/chat/completions", "{not json", {bearer(*gw)});
  EXPECT_EQ(b.status, 400);
  EXPECT_EQ(b.json()["error"]["message"], "the body is not valid JSON") << b.body;
  EXPECT_EQ(b.json()["error"]["type"], "invalid_request_error");
  auto ok =
      c.request("POST", "/v1/chat/completions", chat_body("still here").dump(), {bearer(*gw)});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["choices"][0]["message"]["content"], "echo: still here");

  // Over gateway.http.max_body_bytes (64 KiB here): 413 with the limit named, then closed;
  // nothing reached the model.
  const std::size_t before = llm.request_count();
  HttpConn big(gw->port());
  std::string huge = chat_body(std::string(100000, 'x')).dump();
  auto r = big.request("POST", "/v1/chat/completions", huge, {bearer(*gw)});
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.json()["error"]["message"].get<std::string>().find("gateway.http.max_body_bytes"),
            std::string::npos)
      << r.body;
  EXPECT_TRUE(big.wait_eof());
  // A chunked body growing past the cap: the same.
  HttpConn chunked(gw->port());
  std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + bearer(*gw) +
                     "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string piece(40000, 'y');
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
  chunked.send_raw(head + size + piece + "\r\n" + size + piece + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.read_response().status, 413);
  EXPECT_EQ(llm.request_count(), before);
  // The gateway still answers.
  EXPECT_EQ(http_request(gw->port(), "GET", "/healthz").status, 200);

  // /metrics counts the answers by route and status class (a prefix route as "<prefix>*").
  const std::string metrics = http_request(gw->port(), "GET", "/metrics").body;
  for (const char* line :
       {"simpleclaw_http_requests_total{route=\"/v1/models\",code=\"2xx\"} 1\n",
        "simpleclaw_http_requests_total{route=\"/v1/models/*\",code=\"2xx\"} 1\n",
        "simpleclaw_http_requests_total{route=\"/v1/chat/completions\",code=\"2xx\"} 1\n",
        "simpleclaw_http_requests_total{route=\"/v1/chat/completions\",code=\"4xx\"} 1\n"})
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
}

TEST(HttpApi, BearerAuthScopesAndOrigins) {
  FakeLlm llm;
  START_GATEWAY(gw,
                with_config(config_for(llm, std::string(kHttpOn) +
                                                "  mode: shared\n"
                                                "  auth: {token: admin-token-0123456789abcdef}\n"
                                                "users:\n"
                                                "  reader:\n"
                                                "    token: reader-token-0123456789abcdef\n"
                                                "    scopes: [operator.read]\n")));
  HttpConn c(gw->port());
  auto none = c.request("POST", "/v1/chat/completions", chat_body("hi").dump());
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(none.json()["error"]["type"], "authentication_error") << none.body;
  auto wrong = c.request("POST", "/v1/chat/completions", chat_body("hi").dump(),
                         {"Authorization: Bearer not-the-token"});
  EXPECT_EQ(wrong.status, 401);
  // A token in the URL is never accepted.
  EXPECT_EQ(c.request("GET", "/v1/models?token=admin-token-0123456789abcdef").status, 401);
  // The reader may list models but not start runs.
  const std::string reader = "Authorization: Bearer reader-token-0123456789abcdef";
  EXPECT_EQ(c.request("GET", "/v1/models", "", {reader}).status, 200);
  auto forbidden = c.request("POST", "/v1/chat/completions", chat_body("hi").dump(), {reader});
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.json()["error"]["message"], "missing scope: operator.write")
      << forbidden.body;
  EXPECT_EQ(c.request("POST", "/tools/invoke", R"({"tool":"ls"})", {reader}).status, 403);
  // The admin token works; a browser from a foreign origin does not.
  const std::string admin = "Authorization: Bearer admin-token-0123456789abcdef";
  EXPECT_EQ(c.request("POST", "/v1/chat/completions", chat_body("hi").dump(), {admin}).status, 200);
  auto evil = c.request("POST", "/v1/chat/completions", chat_body("hi").dump(),
                        {admin, "Origin: https://evil.example"});
  EXPECT_EQ(evil.status, 403) << evil.body;
  // Wrong method on a known path.
  auto get = c.request("GET", "/v1/chat/completions", "", {admin});
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers["allow"], "POST");
  EXPECT_EQ(llm.request_count(), 1u);
}

TEST(HttpApi, EndpointsAreOffByDefault) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  HttpConn c(gw->port());
  for (const char* path : {"/v1/chat/completions", "/v1/responses"}) {
    auto r = c.request("POST", path, chat_body("hi").dump(), {bearer(*gw)});
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body.find("enabled"), std::string::npos) << r.body;
  }
  EXPECT_EQ(c.request("GET", "/v1/models", "", {bearer(*gw)}).status, 404);
  // /tools/invoke is on by default (behind auth).
  EXPECT_EQ(c.request("POST", "/tools/invoke", R"({"tool":"ls"})").status, 401);
  EXPECT_EQ(llm.request_count(), 0u);
}

TEST(HttpApi, ToolsInvokeCanBeSwitchedOffAndOnWithoutARestart) {
  FakeLlm llm;
  START_GATEWAY(
      gw, with_config(config_for(llm) +
                      "gateway:\n  http:\n    endpoints: {tools_invoke: {enabled: false}}\n"));
  HttpConn c(gw->port());
  auto off = c.request("POST", "/tools/invoke", R"({"tool":"ls"})", {bearer(*gw)});
  EXPECT_EQ(off.status, 404);
  EXPECT_NE(off.body.find("gateway.http.endpoints.tools_invoke.enabled"), std::string::npos)
      << off.body;

  auto ws = gw->connect();
  ASSERT_NE(ws, nullptr);
  Json cfg = call_ok(*ws, "config.get", Json::object());
  Json raw{{"gateway", {{"http", {{"endpoints", {{"tools_invoke", {{"enabled", true}}}}}}}}}};
  Json patched = call_ok(*ws, "config.patch", Json{{"raw", raw.dump()}, {"baseHash", cfg["hash"]}});
  ASSERT_FALSE(patched.is_null());
  EXPECT_EQ(patched["restart"], false);
  auto on = c.request("POST", "/tools/invoke", R"({"tool":"ls"})", {bearer(*gw)});
  EXPECT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(Json::parse(on.body, nullptr, false)["ok"], true) << on.body;
}

TEST(HttpApi, ChatCompletionRunsTheAgentWithSystemTextAndEarlierTurns) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, kHttpOn)));
  HttpConn c(gw->port());
  Json body{{"model", "openclaw/main"},
            {"messages",
             Json::array(
                 {Json{{"role", "system"}, {"content", "Answer in haiku."}},
                  Json{{"role", "user"}, {"content", "first question"}},
                  Json{{"role", "assistant"}, {"content", "first answer"}},
                  Json{{"role", "user"},
                       {"content", Json::array({Json{{"type", "text"}, {"text", "second"}}})}}})}};
  auto r = c.request("POST", "/v1/chat/completions", body.dump(), {bearer(*gw)});
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = r.json();
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "openclaw/main");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "echo: second");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["usage"]["prompt_tokens"], 11);
  EXPECT_EQ(j["usage"]["completion_tokens"], 7);
  EXPECT_EQ(j["usage"]["total_tokens"], 18);
  const std::string key = r.headers["x-simpleclaw-session-key"];
  EXPECT_EQ(key.rfind("agent:main:openai:", 0), 0u) << key;
  // The model saw the system text and the earlier turns in its system prompt, and the
  // last user message as the message.
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 1u);
  std::string sent = reqs[0].body["messages"].dump();
  EXPECT_NE(sent.find("Answer in haiku."), std::string::npos) << sent;
  EXPECT_NE(sent.find("User: first question"), std::string::npos) << sent;
  EXPECT_NE(sent.find("Assistant: first answer"), std::string::npos) << sent;
  // The run is a normal one: its transcript is readable over the WebSocket.
  auto ws = gw->connect();
  ASSERT_NE(ws, nullptr);
  auto hist = ws->call("chat.history", Json{{"sessionKey", key}});
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  ASSERT_EQ((*hist)["messages"].size(), 2u) << hist->dump();
  EXPECT_EQ((*hist)["messages"][1]["content"][0]["text"], "echo: second");

  // Bad input: a clear 400 each, and nothing runs.
  auto none = c.request("POST", "/v1/chat/completions", R"({"messages":[]})", {bearer(*gw)});
  EXPECT_EQ(none.status, 400);
  auto nouser = c.request("POST", "/v1/chat/completions",
                          R"({"messages":[{"role":"system","content":"x"}]})", {bearer(*gw)});
  EXPECT_EQ(nouser.status, 400);
  EXPECT_NE(nouser.body.find("user message"), std::string::npos) << nouser.body;
  auto model =
      c.request("POST", "/v1/chat/completions",
                Json{{"model", "openclaw/nobody"}, {"messages", chat_body("x")["messages"]}}.dump(),
                {bearer(*gw)});
  EXPECT_EQ(model.status, 404);
  EXPECT_EQ(model.json()["error"]["code"], "model_not_found") << model.body;
  EXPECT_EQ(llm.request_count(), 1u);
}

TEST(HttpApi, StreamingCompletionSendsChunksUsageAndDone) {
  FakeLlm llm;
  Script s;
  s.chunks = {"Hello", " there", ", friend"};
  llm.push(s);
  START_GATEWAY(gw, with_config(config_for(llm, kHttpOn)));
  HttpConn c(gw->port());
  Json body = chat_body("hi", true);
  body["stream_options"] = Json{{"include_usage", true}};
  auto r = c.request("POST", "/v1/chat/completions", body.dump(), {bearer(*gw)}, 10000);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
  EXPECT_EQ(r.headers["content-type"].rfind("text/event-stream", 0), 0u);
  auto frames = sse_payloads(r.body);
  ASSERT_GE(frames.size(), 5u) << r.body;
  EXPECT_EQ(frames.front()["choices"][0]["delta"]["role"], "assistant");
  std::string text;
  std::string finish;
  for (const Json& f : frames) {
    if (!f.is_object()) continue;
    EXPECT_EQ(f["object"], "chat.completion.chunk");
    if (f["choices"].empty()) {
      EXPECT_EQ(f["usage"]["completion_tokens"], 7);
      continue;
    }
    const Json& ch = f["choices"][0];
    if (ch["delta"].contains("content")) text += ch["delta"]["content"].get<std::string>();
    if (ch["finish_reason"].is_string()) finish = ch["finish_reason"];
  }
  EXPECT_EQ(text, "Hello there, friend");
  EXPECT_EQ(finish, "stop");
  EXPECT_EQ(frames.back(), "[DONE]");
  EXPECT_TRUE(frames[frames.size() - 2]["choices"].empty()) << "usage chunk before [DONE]";
  // The connection is kept alive after a stream.
  EXPECT_EQ(c.request("GET", "/v1/models", "", {bearer(*gw)}).status, 200);
}

TEST(HttpApi, UserFieldKeepsASessionAcrossRequests) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, kHttpOn)));
  HttpConn c(gw->port());
  Json a = chat_body("my name is Ada");
  a["user"] = "ada";
  auto r1 = c.request("POST", "/v1/chat/completions", a.dump(), {bearer(*gw)});
  ASSERT_EQ(r1.status, 200) << r1.body;
  Json b = chat_body("what is my name?");
  b["user"] = "ada";
  auto r2 = c.request("POST", "/v1/chat/completions", b.dump(), {bearer(*gw)});
  ASSERT_EQ(r2.status, 200) << r2.body;
  EXPECT_EQ(r1.headers["x-simpleclaw-session-key"], "agent:main:openai-user:ada");
  EXPECT_EQ(r2.headers["x-simpleclaw-session-key"], "agent:main:openai-user:ada");
  // Without `user`, a fresh session: the model sees only its own message.
  auto r3 = c.request("POST", "/v1/chat/completions", chat_body("alone").dump(), {bearer(*gw)});
  ASSERT_EQ(r3.status, 200);
  // The header names a session too.
  auto r4 = c.request("POST", "/v1/chat/completions", chat_body("by header").dump(),
                      {bearer(*gw), "x-openclaw-session-key: agent:main:main"});
  ASSERT_EQ(r4.status, 200);
  EXPECT_EQ(r4.headers["x-simpleclaw-session-key"], "agent:main:main");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 4u);
  auto users = [](const fakes::Received& q) {
    int n = 0;
    for (const Json& m : q.body["messages"]) n += m["role"] == "user";
    return n;
  };
  EXPECT_EQ(users(reqs[1]), 2) << "the second request continues the first: "
                               << reqs[1].body["messages"].dump();
  EXPECT_NE(reqs[1].body["messages"].dump().find("echo: my name is Ada"), std::string::npos);
  EXPECT_EQ(users(reqs[2]), 1);
}

TEST(HttpApi, ClientHangingUpAbortsTheRun) {
  FakeLlm llm;
  Script slow;
  slow.chunks = std::vector<std::string>(40, "tick ");
  slow.chunk_delay_ms = 200;  // 8 s in all, unless aborted
  llm.push(slow);
  START_GATEWAY(gw, with_config(config_for(llm, kHttpOn)));
  auto ws = gw->connect();
  ASSERT_NE(ws, nullptr);
  {
    HttpConn c(gw->port());
    ASSERT_TRUE(c.send("POST", "/v1/chat/completions", chat_body("go", true).dump(),
                       {bearer(*gw), "x-simpleclaw-session-key: agent:main:hangup"}));
    ASSERT_TRUE(c.read_until(
        [](const std::string& b) { return b.find("\"content\":\"tick ") != std::string::npos; },
        10000))
        << c.buffered();
  }  // closed mid-stream
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return llm.open_streams() == 0; }, 4000))
      << "the model stream was not stopped";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
  // The run ended as aborted, its partial reply kept.
  bool aborted = eventually(
      [&] {
        auto h = ws->call("chat.history", Json{{"sessionKey", "agent:main:hangup"}});
        if (!h.ok() || (*h)["messages"].size() < 2) return false;
        return (*h)["messages"][1].value("state", "") == "aborted";
      },
      4000);
  auto h = ws->call("chat.history", Json{{"sessionKey", "agent:main:hangup"}});
  EXPECT_TRUE(aborted) << (h.ok() ? h->dump() : h.error().message);
}

TEST(HttpApi, ApprovalHoldsTheAnswerUntilAllowedAndADenialEndsTheStream) {
  FakeLlm llm;
  llm.push(exec_call("echo held-ok"));
  llm.push(answer_after("held-ok", "ran it"));
  START_GATEWAY(gw, with_config(config_for(llm, kHttpOn)));
  auto op = gw->connect(http_approver(*gw));
  ASSERT_NE(op, nullptr);

  // Non-streaming: held until an operator allows.
  HttpConn c(gw->port());
  ASSERT_TRUE(
      c.send("POST", "/v1/chat/completions", chat_body("run the thing").dump(), {bearer(*gw)}));
  auto req = wait_event(*op, "exec.approval.requested", 10000);
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(c.read_response(700).status, 0) << "answered before the approval";
  ASSERT_TRUE(op->call("exec.approval.resolve",
                       Json{{"id", (*req)["payload"]["id"]}, {"decision", "allow-once"}})
                  .ok());
  auto r = c.read_response(10000);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["choices"][0]["message"]["content"], "ran it");

  // Streaming: held (the stream stays open), then denied: an error frame and [DONE].
  llm.push(exec_call("echo never-runs"));
  HttpConn s(gw->port());
  ASSERT_TRUE(
      s.send("POST", "/v1/chat/completions", chat_body("try again", true).dump(), {bearer(*gw)}));
  auto req2 = wait_event(*op, "exec.approval.requested", 10000);
  ASSERT_TRUE(req2.has_value());
  EXPECT_FALSE(s.read_until(
      [](const std::string& b) { return b.find("[DONE]") != std::string::npos; }, 500));
  ASSERT_TRUE(op->call("exec.approval.resolve",
                       Json{{"id", (*req2)["payload"]["id"]}, {"decision", "deny"}})
                  .ok());
  auto d = s.read_response(10000);
  ASSERT_EQ(d.status, 200);
  auto frames = sse_payloads(d.body);
  ASSERT_GE(frames.size(), 2u) << d.body;
  EXPECT_EQ(frames.back(), "[DONE]");
  const Json& err = frames[frames.size() - 2];
  ASSERT_TRUE(err.contains("error")) << d.body;
  EXPECT_EQ(err["error"]["type"], "permission_error");
  EXPECT_NE(err["error"]["message"].get<std::string>().find("exec denied"), std::string::npos)
      << d.body;
  // The model was not asked to carry on after the denial.
  EXPECT_EQ(llm.request_count(), 3u);
}

TEST(HttpApi, ResponsesNonStreamingStreamingAndPreviousResponse) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, kHttpOn)));
  HttpConn c(gw->port());
  auto r = c.request(
      "POST", "/v1/responses",
      Json{{"model", "openclaw"}, {"input", "remember 42"}, {"instructions", "Be brief."}}.dump(),
      {bearer(*gw)});
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = r.json();
  EXPECT_EQ(j["object"], "response");
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["output"][0]["type"], "message");
  EXPECT_EQ(j["output"][0]["content"][0]["type"], "output_text");
  EXPECT_EQ(j["output"][0]["content"][0]["text"], "echo: remember 42");
  EXPECT_EQ(j["usage"]["input_tokens"], 11);
  EXPECT_NE(llm.requests()[0].body["messages"].dump().find("Be brief."), std::string::npos);

  // Streaming, continuing the first response's session.
  Json body{{"input", Json::array({Json{{"role", "user"}, {"content", "what number?"}}})},
            {"stream", true},
            {"previous_response_id", j["id"]}};
  auto s = c.request("POST", "/v1/responses", body.dump(), {bearer(*gw)}, 10000);
  ASSERT_EQ(s.status, 200) << s.body;
  auto events = sse_events(s.body);
  ASSERT_GE(events.size(), 7u) << s.body;
  EXPECT_EQ(events.front(), "response.created");
  EXPECT_EQ(events.back(), "response.completed");
  std::string text;
  for (const Json& p : sse_payloads(s.body))
    if (p["type"] == "response.output_text.delta") text += p["delta"].get<std::string>();
  EXPECT_EQ(text, "echo: what number?");
  auto payloads = sse_payloads(s.body);
  EXPECT_EQ(payloads.back()["response"]["status"], "completed");
  EXPECT_EQ(payloads.back()["response"]["output"][0]["content"][0]["text"], "echo: what number?");
  EXPECT_EQ(s.headers["x-simpleclaw-session-key"], r.headers["x-simpleclaw-session-key"]);
  EXPECT_NE(llm.requests()[1].body["messages"].dump().find("remember 42"), std::string::npos)
      << "previous_response_id continues the session";

  auto unknown =
      c.request("POST", "/v1/responses",
                Json{{"input", "x"}, {"previous_response_id", "resp_nope"}}.dump(), {bearer(*gw)});
  EXPECT_EQ(unknown.status, 404);
  auto bad = c.request("POST", "/v1/responses", R"({"input": 5})", {bearer(*gw)});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(llm.request_count(), 2u);
}

TEST(HttpApi, ToolsInvokeRunsAToolUnderTheAgentsPolicy) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, "tools:\n  deny: [edit]\n")));
  HttpConn c(gw->port());
  auto w =
      c.request("POST", "/tools/invoke",
                R"({"tool":"write","args":{"path":"inv.txt","content":"by http"}})", {bearer(*gw)});
  ASSERT_EQ(w.status, 200) << w.body;
  EXPECT_EQ(w.json()["ok"], true);
  EXPECT_EQ(read_text(gw->state_dir() + "/agents/main/workspace/inv.txt"), "by http");
  auto rd = c.request("POST", "/tools/invoke", R"({"tool":"read","args":{"path":"inv.txt"}})",
                      {bearer(*gw)});
  EXPECT_EQ(rd.json()["result"]["text"], "by http") << rd.body;
  // A tool that fails says so.
  auto miss = c.request("POST", "/tools/invoke", R"({"tool":"read","args":{"path":"none.txt"}})",
                        {bearer(*gw)});
  EXPECT_EQ(miss.status, 200);
  EXPECT_EQ(miss.json()["ok"], false) << miss.body;
  // Unknown tool 404, a tool the agent may not use 403, bad arguments 400.
  auto unknown = c.request("POST", "/tools/invoke", R"({"tool":"teleport"})", {bearer(*gw)});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.json()["error"]["code"], "TOOL_NOT_FOUND") << unknown.body;
  auto denied = c.request("POST", "/tools/invoke", R"({"tool":"edit","args":{}})", {bearer(*gw)});
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.json()["error"]["code"], "TOOL_NOT_ALLOWED") << denied.body;
  EXPECT_EQ(c.request("POST", "/tools/invoke", R"({"tool":"ls","args":[1]})", {bearer(*gw)}).status,
            400);

  // exec under the default policy needs an approval: held, then denied -> 403, not run.
  auto op = gw->connect(http_approver(*gw));
  ASSERT_NE(op, nullptr);
  HttpConn e(gw->port());
  ASSERT_TRUE(e.send("POST", "/tools/invoke",
                     R"({"tool":"exec","args":{"command":"touch should-not-exist"}})",
                     {bearer(*gw)}));
  auto req = wait_event(*op, "exec.approval.requested", 10000);
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ((*req)["payload"]["request"]["command"], "touch should-not-exist");
  ASSERT_TRUE(
      op->call("exec.approval.resolve", Json{{"id", (*req)["payload"]["id"]}, {"decision", "deny"}})
          .ok());
  auto d = e.read_response(10000);
  EXPECT_EQ(d.status, 403) << d.body;
  EXPECT_EQ(d.json()["error"]["code"], "TOOL_DENIED");
  EXPECT_FALSE(file_exists(gw->state_dir() + "/agents/main/workspace/should-not-exist"));
  EXPECT_EQ(llm.request_count(), 0u);
}

}  // namespace
}  // namespace sctest
