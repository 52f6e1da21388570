// Webhooks in (gateway/http/hooks.h) against a real gateway: signed requests over real
// TCP start real runs through the fake LLM; every refusal (signature, timestamp, replay,
// size, JSON, disabled, unknown hook) is checked to run nothing; replays are refused
// after a restart too; the signing recipes in docs/webhooks.md are run as written.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "base/ids.h"
#include "base/webhook_signature.h"
#include "fakes/fake_llm.h"
#include "integration/channel_helpers.h"
#include "integration/chat_helpers.h"
#include "integration/helpers.h"
#include "integration/http_conn.h"

namespace sctest {
namespace {

using fakes::FakeLlm;

constexpr const char* kHookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kOwnSecret = "github-has-its-own-secret-1234";

std::int64_t hook_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hooks_yaml(const std::string& more = {}) {
  return std::string("hooks:\n  enabled: true\n  secret: ") + kHookSecret + "\n" + more;
}

// One POST with a body on a fresh connection; reads the whole answer (Connection: close).
// A refusal before the whole body is sent (413) is still read.
HttpResponse post(int port, const std::string& path, const std::string& body,
                  std::vector<std::string> headers, int timeout_ms = kTimeoutMs) {
  headers.push_back("Connection: close");
  HttpConn c(port);
  c.send("POST", path, body, headers);
  return c.read_to_close(false, timeout_ms);
}

struct Signed {
  std::string id;
  std::int64_t ts = 0;
  std::vector<std::string> headers;
};

// Standard Webhooks headers for `body` signed with `secret`.
Signed sign(const std::string& body, const std::string& secret = kHookSecret,
            std::int64_t ts = hook_now_s(), std::string id = {}) {
  Signed s;
  s.id = id.empty() ? "msg_" + simpleclaw::base64url(simpleclaw::random_bytes(12)) : id;
  s.ts = ts;
  auto key = simpleclaw::webhook_key(secret);
  EXPECT_TRUE(key.has_value());
  s.headers = {"webhook-id: " + s.id, "webhook-timestamp: " + std::to_string(ts),
               "webhook-signature: " + simpleclaw::webhook_sign(*key, s.id, ts, body)};
  return s;
}

HttpResponse post_signed(const GatewayProcess& gw, const std::string& path, const std::string& body,
                         std::vector<std::string> extra = {},
                         const std::string& secret = kHookSecret, int timeout_ms = kTimeoutMs) {
  Signed s = sign(body, secret);
  extra.insert(extra.end(), s.headers.begin(), s.headers.end());
  return post(gw.port(), path, body, extra, timeout_ms);
}

Json body_of(const HttpResponse& r) {
  Json j = Json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.body;
  return j;
}

// The session's transcript once it holds `n` messages (the run has committed its reply).
Json history(WsClient& c, const std::string& key, std::size_t n) {
  Json out;
  eventually(
      [&] {
        auto h = c.call("chat.history", Json{{"sessionKey", key}});
        if (!h.ok()) return false;
        out = (*h)["messages"];
        return out.size() >= n;
      },
      10000);
  return out;
}

std::string text_of(const Json& message) {
  const Json& c = message["content"];
  if (c.is_array() && !c.empty()) return c[0].value("text", "");
  return c.is_string() ? c.get<std::string>() : "";
}

TEST(Hooks, SignedWakeRunsAMainSessionTurn) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, hooks_yaml())));
  HttpResponse r = post_signed(*gw, "/hooks/wake", R"({"text":"New email from Bob","mode":"now"})");
  ASSERT_EQ(r.status, 200) << r.body;
  Json b = body_of(r);
  EXPECT_EQ(b["ok"], true);
  EXPECT_EQ(b["mode"], "now");
  EXPECT_EQ(b["sessionKey"], "agent:main:main");
  EXPECT_FALSE(b.value("runId", "").empty());
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json msgs = history(*c, "main", 2);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(text_of(msgs[0]), "New email from Bob");
  EXPECT_EQ(text_of(msgs[1]), "echo: New email from Bob");
}

TEST(Hooks, WakeForTheNextHeartbeatWaitsForIt) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(
                        llm, hooks_yaml("agents:\n  list:\n    - id: main\n      heartbeat: "
                                        "{every: 1m, target: none}\n"))));
  HttpResponse r =
      post_signed(*gw, "/hooks/wake", R"({"text":"Deploy finished","mode":"next-heartbeat"})");
  ASSERT_EQ(r.status, 200) << r.body;
  Json b = body_of(r);
  EXPECT_EQ(b["queued"], true) << r.body;
  EXPECT_FALSE(b.contains("runId"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(llm.requests().empty()) << "the text waits for the heartbeat";
  // An agent without a heartbeat runs it now.
  FakeLlm llm2;
  START_GATEWAY(gw2, with_config(config_for(llm2, hooks_yaml())));
  r = post_signed(*gw2, "/hooks/wake", R"({"text":"Deploy finished","mode":"next-heartbeat"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(body_of(r).value("runId", "").empty()) << r.body;
}

TEST(Hooks, AgentAnswersAtOnceOrWaitsForTheReply) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, hooks_yaml())));
  // At once: 202 with the run and its (fresh hook:) session.
  HttpResponse r = post_signed(*gw, "/hooks/agent", R"({"message":"summarise the inbox"})");
  ASSERT_EQ(r.status, 202) << r.body;
  Json b = body_of(r);
  EXPECT_EQ(b["ok"], true);
  const std::string key = b.value("sessionKey", "");
  EXPECT_EQ(key.rfind("agent:main:hook:", 0), 0u) << key;
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json msgs = history(*c, key, 2);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(text_of(msgs[1]), "echo: summarise the inbox");

  // Waiting: the reply itself, in the session the caller named.
  llm.push(fakes::Script{.chunks = {"Three ", "new ", "mails."}});
  r = post_signed(*gw, "/hooks/agent",
                  R"({"message":"and now?","sessionKey":"hook:inbox","wait":true,)"
                  R"("timeoutSeconds":30})");
  ASSERT_EQ(r.status, 200) << r.body;
  b = body_of(r);
  EXPECT_EQ(b["ok"], true);
  EXPECT_EQ(b["status"], "ok");
  EXPECT_EQ(b["reply"], "Three new mails.");
  EXPECT_EQ(b["sessionKey"], "agent:main:hook:inbox");

  // A hook cannot write into an operator's or a channel's session; nothing runs.
  const std::size_t before = llm.request_count();
  r = post_signed(*gw, "/hooks/agent", R"({"message":"x","sessionKey":"main"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(body_of(r)["error"].get<std::string>().find("hook session"), std::string::npos);
  r = post_signed(*gw, "/hooks/agent", R"({"message":"x","agentId":"nobody"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = post_signed(*gw, "/hooks/agent", R"({"message":"x","wait":"yes"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = post_signed(*gw, "/hooks/agent", R"({"text":"no message field"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(llm.request_count(), before);
}

TEST(Hooks, AMappingRendersItsTemplateFromTheBodyAndHeaders) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(
                        llm, hooks_yaml("  mappings:\n"
                                        "    github:\n"
                                        "      message: \"{{name}}: {{headers.x-github-event}} on "
                                        "{{body.repository.full_name}} by {{body.sender.login}}"
                                        "{{body.missing}} [{{headers.authorization}}]\"\n"
                                        "      wait: true\n"))));
  const std::string body =
      R"({"repository":{"full_name":"acme/app"},"sender":{"login":"octocat"},"action":"opened"})";
  HttpResponse r = post_signed(*gw, "/hooks/github", body,
                               {"X-GitHub-Event: pull_request", "Authorization: Bearer hunter2"});
  ASSERT_EQ(r.status, 200) << r.body;
  Json b = body_of(r);
  const std::string want = "github: pull_request on acme/app by octocat []";
  EXPECT_EQ(b["reply"], "echo: " + want);
  EXPECT_EQ(b["sessionKey"], "agent:main:hook:github");
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json msgs = history(*c, "hook:github", 2);
  ASSERT_GE(msgs.size(), 1u);
  EXPECT_EQ(text_of(msgs[0]), want) << "credentials headers are never rendered";
}

TEST(Hooks, AMappingDeliversItsReplyToAChannelWaitingOrNot) {
  FakeLlm llm;
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(
                        llm, telegram_section(*tg) +
                                 hooks_yaml("  mappings:\n"
                                            "    deploys:\n"
                                            "      message: \"deployed {{body.repo}}\"\n"
                                            "      wait: true\n"
                                            "      deliver: {channel: telegram, to: \"111\"}\n"
                                            "    alerts:\n"
                                            "      message: \"alert {{body.what}}\"\n"
                                            "      deliver: {channel: telegram, to: \"111\"}\n"))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));

  // wait: the answer carries the reply and how its delivery went.
  HttpResponse r = post_signed(*gw, "/hooks/deploys", R"({"repo":"acme/app"})");
  ASSERT_EQ(r.status, 200) << r.body;
  Json b = body_of(r);
  EXPECT_EQ(b["reply"], "echo: deployed acme/app");
  EXPECT_EQ(b["delivery"]["status"], "delivered") << b.dump();
  Json sent = telegram_sent(*tg, 1);
  ASSERT_EQ(sent.size(), 1u) << sent.dump();
  EXPECT_EQ(sent[0]["chat_id"], "111");
  EXPECT_EQ(sent[0]["text"], "echo: deployed acme/app");

  // Without wait: 202 at once, the reply still reaches the chat when the run ends.
  r = post_signed(*gw, "/hooks/alerts", R"({"what":"disk 91%"})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_FALSE(body_of(r).contains("reply"));
  sent = telegram_sent(*tg, 2);
  ASSERT_EQ(sent.size(), 2u) << sent.dump();
  EXPECT_EQ(sent[1]["text"], "echo: alert disk 91%");
}

TEST(Hooks, EveryRefusalHasItsStatusAndRunsNothing) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, hooks_yaml("  max_body_bytes: 1024\n"
                                                           "  mappings:\n"
                                                           "    note:\n"
                                                           "      message: \"{{body.text}}\"\n"))));
  const std::string body = R"({"text":"hello"})";
  struct Case {
    const char* what;
    std::string path, body;
    std::vector<std::string> headers;
    int status;
    const char* says;
  };
  Signed good = sign(body);
  Signed stale = sign(body, kHookSecret, hook_now_s() - 600);
  Signed future = sign(body, kHookSecret, hook_now_s() + 600);
  Signed other_key = sign(body, "whsec_" + simpleclaw::base64(std::string(32, 'k')));
  const std::string bad_json = R"({"text": "unterminated)";
  const std::string big = R"({"text":")" + std::string(2000, 'x') + R"("})";
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  std::vector<Case> cases = {
      {"no signature", "/hooks/wake", body, {}, 401, "webhook-id header missing"},
      {"wrong secret", "/hooks/wake", body, other_key.headers, 401, "does not match"},
      {"body changed", "/hooks/wake", R"({"text":"hellO"})", good.headers, 401, "does not match"},
      {"stale timestamp", "/hooks/wake", body, stale.headers, 401, "seconds from the gateway"},
      {"future timestamp", "/hooks/wake", body, future.headers, 401, "seconds from the gateway"},
      {"bearer not allowed",
       "/hooks/wake",
       body,
       {std::string("Authorization: Bearer ") + kHookSecret},
       401,
       "allow_bearer"},
      {"bad JSON", "/hooks/wake", bad_json, sign(bad_json).headers, 400, "not valid JSON"},
      {"too deep", "/hooks/note", deep, sign(deep).headers, 400, "nested deeper"},
      {"wake without text", "/hooks/wake", R"({"mode":"now"})", sign(R"({"mode":"now"})").headers,
       400, "non-empty \"text\""},
      {"bad mode", "/hooks/wake", R"({"text":"x","mode":"later"})",
       sign(R"({"text":"x","mode":"later"})").headers, 400, "mode"},
      {"oversize", "/hooks/note", big, sign(big).headers, 413, "hooks.max_body_bytes allows 1024"},
      {"unknown hook", "/hooks/nothing", body, sign(body).headers, 404, "no hook named 'nothing'"},
      {"template finds nothing", "/hooks/note", R"({"zen":1})", sign(R"({"zen":1})").headers, 400,
       "rendered empty"},
  };
  for (const Case& c : cases) {
    HttpResponse r = post(gw->port(), c.path, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
    Json b = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(b.is_object()) << c.what << ": " << r.body;
    EXPECT_EQ(b["ok"], false) << c.what;
    EXPECT_NE(b.value("error", "").find(c.says), std::string::npos)
        << c.what << ": " << b.value("error", "");
  }
  HttpResponse get = http_request(gw->port(), "GET", "/hooks/wake");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers["allow"], "POST");
  // The good message was never sent, so its id is unused: it still works afterwards.
  HttpResponse ok = post(gw->port(), "/hooks/wake", body, good.headers);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(llm.wait_requests(1));
  EXPECT_EQ(llm.request_count(), 1u) << "only the good request ran";
  // Refusals are logged without the secret.
  EXPECT_TRUE(eventually(
      [&] { return read_text(gw->log_file()).find("hooks: refused") != std::string::npos; }));
  const std::string log = read_text(gw->log_file()) + gw->stderr_text();
  EXPECT_EQ(log.find("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), std::string::npos);
}

TEST(Hooks, DisabledHooksAreNotFound) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  const std::string body = R"({"text":"hello"})";
  for (const char* path : {"/hooks/wake", "/hooks/agent", "/hooks/github"}) {
    HttpResponse r = post_signed(*gw, path, body);
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
  }
  EXPECT_EQ(llm.request_count(), 0u);
}

TEST(Hooks, AReplayedIdIsRefusedAlsoAfterARestart) {
  FakeLlm llm;
  TempDir state;
  StartOptions o = with_config(config_for(llm, hooks_yaml()));
  o.state_dir = state.path() + "/state";
  const std::string body = R"({"text":"deploy finished"})";
  Signed s = sign(body);
  {
    START_GATEWAY(gw, o);
    HttpResponse r = post(gw->port(), "/hooks/wake", body, s.headers);
    ASSERT_EQ(r.status, 200) << r.body;
    r = post(gw->port(), "/hooks/wake", body, s.headers);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(body_of(r)["error"].get<std::string>().find(s.id), std::string::npos);
    ASSERT_TRUE(llm.wait_requests(1));
    // kill -9: the id was committed before the run started, not at a clean shutdown.
    gw->signal(SIGKILL);
    gw->wait_exit(std::chrono::seconds(5));
  }
  START_GATEWAY(gw, o);
  HttpResponse r = post(gw->port(), "/hooks/wake", body, s.headers);
  EXPECT_EQ(r.status, 409) << r.body;
  // A new id with the same body is a new message.
  r = post_signed(*gw, "/hooks/wake", body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(llm.wait_requests(2));
  EXPECT_EQ(llm.request_count(), 2u);
}

TEST(Hooks, AHooksOwnSecretReplacesTheDefault) {
  FakeLlm llm;
  START_GATEWAY(
      gw, with_config(config_for(llm, hooks_yaml(std::string("  mappings:\n"
                                                             "    github:\n"
                                                             "      message: \"{{body.text}}\"\n"
                                                             "      secret: ") +
                                                 kOwnSecret + "\n"))));
  const std::string body = R"({"text":"push"})";
  HttpResponse r = post_signed(*gw, "/hooks/github", body);  // the default secret
  EXPECT_EQ(r.status, 401) << r.body;
  r = post_signed(*gw, "/hooks/wake", body, {}, kOwnSecret);  // github's secret elsewhere
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(llm.request_count(), 0u);
  r = post_signed(*gw, "/hooks/github", body, {}, kOwnSecret);
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_TRUE(llm.wait_requests(1));
}

TEST(Hooks, ABearerTokenOnlyWhenTheConfigAllowsIt) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, hooks_yaml("  allow_bearer: true\n"))));
  const std::string body = R"({"text":"from an OpenClaw-style sender"})";
  HttpResponse r =
      post(gw->port(), "/hooks/wake", body, {std::string("Authorization: Bearer ") + kHookSecret});
  EXPECT_EQ(r.status, 200) << r.body;
  r = post(gw->port(), "/hooks/wake", body, {"Authorization: Bearer not-the-secret"});
  EXPECT_EQ(r.status, 401) << r.body;
  // A signature still works, and still wins over a bearer header.
  r = post_signed(*gw, "/hooks/wake", body, {"Authorization: Bearer not-the-secret"});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(llm.wait_requests(2));
}

// The first fenced block of `lang` after `heading` in docs/webhooks.md.
std::string doc_snippet(const std::string& heading, const std::string& lang) {
  const std::string doc = read_text(std::string(SIMPLECLAW_SOURCE_DIR) + "/docs/webhooks.md");
  std::size_t at = doc.find(heading);
  if (at == std::string::npos) return "";
  std::size_t open = doc.find("```" + lang + "\n", at);
  if (open == std::string::npos) return "";
  open += 4 + lang.size();
  return doc.substr(open, doc.find("```", open) - open);
}

int run_snippet(const std::string& interpreter, const std::string& code, const GatewayProcess& gw,
                std::string* out) {
  TempDir d;
  write_text(d.path() + "/snippet", code);
  std::string cmd = "cd " + d.path() + " && HOOKS_SECRET='" + kHookSecret +
                    "' GATEWAY=http://127.0.0.1:" + std::to_string(gw.port()) + " " + interpreter +
                    " snippet > out 2>&1";
  int rc = std::system(cmd.c_str());
  *out = read_text(d.path() + "/out");
  return rc;
}

TEST(Hooks, TheDocumentedSigningRecipesAreAccepted) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, hooks_yaml())));
  std::string out;
  const std::string sh = doc_snippet("## Signing a request from a shell", "sh");
  ASSERT_FALSE(sh.empty()) << "docs/webhooks.md lost its shell example";
  ASSERT_EQ(run_snippet("bash", sh, *gw, &out), 0) << out;
  EXPECT_NE(out.find("\"ok\":true"), std::string::npos) << out;
  const std::string py = doc_snippet("## Signing a request from Python", "python");
  ASSERT_FALSE(py.empty()) << "docs/webhooks.md lost its Python example";
  ASSERT_EQ(run_snippet("python3", py, *gw, &out), 0) << out;
  EXPECT_NE(out.find("202"), std::string::npos) << out;
  EXPECT_TRUE(llm.wait_requests(2));
}

}  // namespace
}  // namespace sctest
