// Zero-loss operations (issue 18): what a user sent or was promised survives crashes,
// restarts and platform outages. The real gateway, the fake Telegram Bot API (its
// /control/outage makes every Bot API call answer 502) and the fake LLM.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "channel_helpers.h"
#include "cli_run.h"
#include "fakes/py_fake.h"
#include "http_conn.h"
#include "small_disk.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using ::fakes::PyFake;

std::string zl_telegram(const PyFake& tg) {
  return telegram_section(tg,
                          "    health_monitor: {backoff_base_ms: 50, backoff_max_ms: 200, "
                          "check_interval_ms: 100}\n");
}

Json zl_message(long long from, const std::string& text) {
  return Json{{"from_id", from}, {"text", text}};
}

// The telegram account's channels.status entry.
Json zl_account(WsClient& c) {
  auto st = c.call("channels.status", Json::object());
  if (!st.ok() || !(*st)["channelAccounts"].contains("telegram")) return Json();
  return (*st)["channelAccounts"]["telegram"][0];
}

// Restarts on the same state directory (the old process must be gone).
std::unique_ptr<GatewayProcess> zl_restart(const std::string& state_dir, const std::string& yaml) {
  StartOptions again = with_config(yaml);
  again.state_dir = state_dir;
  return GatewayProcess::start(again);
}

std::string zl_read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(ZeroLoss, AReplyWaitingForADownPlatformSurvivesAKillAndIsDeliveredOnce) {
  FakeLlm llm;
  Script slow = answer("The answer survived the crash.");
  slow.head_delay_ms = 1500;  // time to take Telegram down while the model thinks
  llm.push(slow);
  auto tg = start_fake_telegram();
  const std::string yaml = config_for(llm, zl_telegram(*tg));
  START_GATEWAY(gw, with_config(yaml));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));

  const Json asked = tg->post("/control/message", zl_message(111, "are you there?"));
  ASSERT_TRUE(llm.wait_requests(1));
  tg->post("/control/outage", Json{{"on", true}});

  // The reply waits in the account's stored queue; operators see why.
  Json acc;
  eventually([&] {
    acc = zl_account(*c);
    return acc.is_object() && acc["outbound"]["queued"] == 1 &&
           acc["outbound"]["lastError"].is_string();
  });
  ASSERT_EQ(acc["outbound"]["queued"], 1) << acc.dump();
  EXPECT_TRUE(acc["outbound"]["stored"].get<bool>());
  EXPECT_NE(acc["outbound"]["lastError"].get<std::string>().find("Bad Gateway"), std::string::npos)
      << acc.dump();
  EXPECT_GT(acc["outbound"]["oldestQueuedAt"].get<long long>(), 0);

  // kill -9: nothing is flushed at exit, so only what was already durable counts.
  gw->signal(SIGKILL);
  ASSERT_EQ(gw->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);
  std::string state_dir = gw->state_dir();
  auto gw2 = zl_restart(state_dir, yaml);
  ASSERT_NE(gw2, nullptr);
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  eventually([&] {
    acc = zl_account(*c2);
    return acc.is_object() && acc["outbound"]["queued"] == 1;
  });
  EXPECT_EQ(acc["outbound"]["queued"], 1) << "the stored reply was not loaded: " << acc.dump();
  EXPECT_TRUE(tg->get("/control/sent").empty());

  // Telegram is back: the reply goes out once, to the right chat, threaded under the
  // message it answers.
  tg->post("/control/outage", Json{{"on", false}});
  Json sent = wait_sent(
      *tg, [](const Json& s) { return !s.empty(); }, 15000);
  ASSERT_EQ(sent.size(), 1u) << sent.dump();
  EXPECT_EQ(sent[0]["chat_id"], "111");
  EXPECT_EQ(sent[0]["text"], "The answer survived the crash.");
  EXPECT_EQ(sent[0]["reply_parameters"]["message_id"], asked["message_id"]) << sent[0].dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(tg->get("/control/sent").size(), 1u) << "delivered twice";
  EXPECT_EQ(llm.request_count(), 1u) << "the model was asked again";
  eventually([&] { return zl_account(*c2)["outbound"]["queued"] == 0; });

  // And it stays delivered: another restart sends nothing again.
  c2.reset();
  gw2->stop();
  auto gw3 = zl_restart(state_dir, yaml);
  ASSERT_NE(gw3, nullptr);
  auto c3 = gw3->connect();
  ASSERT_NE(c3, nullptr);
  ASSERT_TRUE(wait_connected(*c3, "telegram"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(tg->get("/control/sent").size(), 1u);
}

TEST(ZeroLoss, ARunCutOffByACrashIsReportedToItsSenderAfterTheRestart) {
  FakeLlm llm;
  Script hang = answer("never finished");
  hang.hang_after_head = true;
  llm.push(hang);
  auto tg = start_fake_telegram();
  const std::string yaml = config_for(llm, zl_telegram(*tg));
  START_GATEWAY(gw, with_config(yaml));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  tg->post("/control/message", zl_message(111, "a long question"));
  ASSERT_TRUE(llm.wait_requests(1));
  gw->signal(SIGKILL);
  ASSERT_EQ(gw->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);

  auto gw2 = zl_restart(gw->state_dir(), yaml);
  ASSERT_NE(gw2, nullptr);
  // The sender is told, once, instead of waiting forever for an answer.
  Json sent = wait_sent(
      *tg, [](const Json& s) { return !s.empty(); }, 15000);
  ASSERT_EQ(sent.size(), 1u) << sent.dump();
  EXPECT_EQ(sent[0]["chat_id"], "111");
  EXPECT_NE(sent[0]["text"].get<std::string>().find("interrupted by a restart"), std::string::npos)
      << sent[0].dump();
  // The run is recorded as interrupted; the conversation goes on.
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  llm.push(answer("Here I am again."));
  tg->post("/control/message", zl_message(111, "hello again"));
  sent = wait_sent(
      *tg, [](const Json& s) { return s.size() >= 2; }, 15000);
  ASSERT_EQ(sent.size(), 2u) << sent.dump();
  EXPECT_EQ(sent[1]["text"], "Here I am again.");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(tg->get("/control/sent").size(), 2u);
}

TEST(ZeroLoss, AnApprovalAllowedAfterTheRestartRunsItsCommandAndTellsTheRequester) {
  FakeLlm llm;
  llm.push(exec_call("echo ran-after-restart; echo run >> runs.txt"));
  auto tg = start_fake_telegram();
  const std::string yaml = config_for(llm, zl_telegram(*tg));
  TempDir state;
  StartOptions o = with_config(yaml);
  o.state_dir = state.path();
  {
    START_GATEWAY(gw, o);
    auto c = gw->connect();
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(wait_connected(*c, "telegram"));
    tg->post("/control/message", zl_message(111, "run it, please"));
    Json sent = wait_sent(
        *tg, [](const Json& s) { return !s.empty(); }, 15000);
    ASSERT_EQ(sent.size(), 1u) << sent.dump();
    ASSERT_TRUE(sent[0].contains("reply_markup")) << "the approval prompt";
    gw->signal(SIGTERM);
    ASSERT_EQ(gw->wait_exit(std::chrono::seconds(15)), 0);
  }
  START_GATEWAY(gw2, o);
  // The sender hears that the run was interrupted, then gets the approval again.
  Json sent = wait_sent(
      *tg, [](const Json& s) { return s.size() >= 3; }, 15000);
  ASSERT_EQ(sent.size(), 3u) << sent.dump();
  ASSERT_TRUE(sent[2].contains("reply_markup")) << sent[2].dump();
  std::string allow = sent[2]["reply_markup"]["inline_keyboard"][0][0]["callback_data"];
  ASSERT_EQ(allow.back(), 'o') << allow;
  tg->post("/control/callback", Json{{"from_id", 111}, {"chat_id", 111}, {"data", allow}});
  // "Approved (…)" for the button, then the command's result, in the same chat.
  sent = wait_sent(
      *tg,
      [](const Json& s) {
        for (const Json& m : s)
          if (m.value("text", "").find("after the gateway restarted") != std::string::npos)
            return true;
        return false;
      },
      15000);
  const Json& result = sent.back();
  EXPECT_EQ(result["chat_id"], "111");
  std::string text = result["text"];
  EXPECT_NE(text.find("after the gateway restarted"), std::string::npos) << text;
  EXPECT_NE(text.find("[exit code 0]"), std::string::npos) << text;
  // It ran exactly once, in the agent's workspace, without a second prompt.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(zl_read(state.path() + "/agents/main/workspace/runs.txt"), "run\n");
  Json all = tg->get("/control/sent");
  int prompts = 0;
  for (const Json& m : all) prompts += m.contains("reply_markup");
  EXPECT_EQ(prompts, 2) << all.dump();
  // The transcript keeps the result, so the agent knows on its next turn.
  auto c = gw2->connect();
  ASSERT_NE(c, nullptr);
  auto h = c->call("chat.history", Json{{"sessionKey", "agent:main:telegram:direct:111"}});
  ASSERT_TRUE(h.ok());
  EXPECT_NE(h->dump().find("ran-after-restart\\n[exit code 0]"), std::string::npos) << h->dump();
  auto pending = c->call("exec.approval.list", Json::object());
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty()) << pending->dump();
}

TEST(ZeroLoss, RateLimitedRepliesWaitAsTelegramAsksAndAreNeverDropped) {
  FakeLlm llm;
  llm.push(answer("Patience pays."));
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, zl_telegram(*tg))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  // More 429s in a row than the attempts a refused message gets: each asks for 1 s.
  tg->post("/control/fail_send", Json{{"count", 6}, {"code", 429}});
  auto t0 = std::chrono::steady_clock::now();
  tg->post("/control/message", zl_message(111, "slowly"));
  Json sent = wait_sent(
      *tg, [](const Json& s) { return !s.empty(); }, 20000);
  ASSERT_EQ(sent.size(), 1u) << "the reply was dropped after repeated 429s";
  EXPECT_EQ(sent[0]["text"], "Patience pays.");
  // Each retry waited retry_after (1 s), not less.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(ZeroLoss, AFullDiskRefusesWritesAcknowledgesNothingAndRecoversWithoutARestart) {
  SmallDisk disk("16m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  FakeLlm llm;
  auto tg = start_fake_telegram();
  StartOptions o = with_config(config_for(llm, zl_telegram(*tg)));
  o.state_dir = disk.path() + "/state";
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  const int polls_before = tg->get("/control/state")["getUpdates"];

  disk.fill();
  // A client's message: a clear error, nothing half-written.
  auto r = c->call(
      "chat.send",
      Json{{"sessionKey", "main"}, {"message", "stored?"}, {"idempotencyKey", "disk-full-1"}});
  ASSERT_FALSE(r.ok()) << "a message was acknowledged on a full disk";
  EXPECT_NE(r.error().message.find("disk holding the state directory is full"), std::string::npos)
      << r.error().message;
  // A Telegram message: not stored, so not acknowledged; the account says why.
  tg->post("/control/message", zl_message(111, "written down?"));
  Json acc;
  eventually([&] {
    acc = zl_account(*c);
    return acc.is_object() && acc["lastError"].is_string() &&
           acc["lastError"].get<std::string>().find("could not be stored") != std::string::npos;
  });
  EXPECT_NE(acc["lastError"].get<std::string>().find("is full"), std::string::npos) << acc.dump();
  EXPECT_TRUE(tg->get("/control/sent").empty());
  EXPECT_EQ(llm.request_count(), 0u);

  // Space returns: the same process takes the redelivered message and answers it once.
  disk.free_space();
  Json sent = wait_sent(
      *tg, [](const Json& s) { return !s.empty(); }, 20000);
  ASSERT_EQ(sent.size(), 1u) << sent.dump();
  EXPECT_EQ(sent[0]["text"], "echo: written down?");
  EXPECT_GT(tg->get("/control/state")["getUpdates"].get<int>(), polls_before);
  auto again = c->call(
      "chat.send",
      Json{{"sessionKey", "main"}, {"message", "stored now"}, {"idempotencyKey", "disk-full-2"}});
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto hist = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(hist.ok());
  EXPECT_EQ(hist->dump().find("stored?"), std::string::npos) << "the refused message was kept";
  EXPECT_NE(hist->dump().find("stored now"), std::string::npos);
  ASSERT_TRUE(llm.wait_requests(2));  // "written down?", then "stored now"
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(tg->get("/control/sent").size(), 1u);
  EXPECT_EQ(llm.request_count(), 2u);
  for (const auto& req : llm.requests())
    EXPECT_EQ(req.body.dump().find("stored?"), std::string::npos) << "a refused message ran";
}

TEST(ZeroLoss, AReadOnlyCorruptOrLockedDatabaseIsRefusedAtStartWithTheFixAndNeverOverwritten) {
  // Corrupt: the gateway says what to do and leaves the file as it was.
  {
    TempDir dir;
    std::filesystem::create_directories(dir.path() + "/state");
    std::string junk(20000, '\0');
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 7919) % 251);
    { std::ofstream(dir.path() + "/state/sessions.db", std::ios::binary) << junk; }
    StartOptions o;
    o.state_dir = dir.path() + "/state";
    std::unique_ptr<GatewayProcess> gw;
    EXPECT_EQ(start_and_wait_exit(gw, o), 1);
    EXPECT_NE(gw->stderr_text().find("move it aside"), std::string::npos) << gw->stderr_text();
    EXPECT_EQ(zl_read(dir.path() + "/state/sessions.db"), junk) << "the corrupt file was changed";
  }
  // Locked by another process: refused (after the busy timeout) with who to look for.
  {
    TempDir dir;
    StartOptions o;
    o.state_dir = dir.path() + "/state";
    {
      START_GATEWAY(first, o);  // creates the database
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((o.state_dir + "/sessions.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    std::unique_ptr<GatewayProcess> gw;
    o.wait_ready = false;
    gw = GatewayProcess::start(o);
    ASSERT_NE(gw, nullptr);
    EXPECT_EQ(gw->wait_exit(std::chrono::seconds(30)), 1);
    EXPECT_NE(gw->stderr_text().find("another process holds the database"), std::string::npos)
        << gw->stderr_text();
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  // Read-only file system: refused with the fix, the database intact.
  {
    SmallDisk disk("8m");
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    StartOptions o;
    o.state_dir = disk.path() + "/state";
    {
      START_GATEWAY(first, o);
      auto c = first->connect();
      ASSERT_NE(c, nullptr);
      ASSERT_TRUE(c->call("chat.inject", Json{{"sessionKey", "main"}, {"message", "kept"}}).ok());
    }
    std::string before = zl_read(o.state_dir + "/sessions.db");
    ASSERT_TRUE(disk.remount(true));
    std::unique_ptr<GatewayProcess> gw;
    EXPECT_EQ(start_and_wait_exit(gw, o), 1);
    EXPECT_NE(gw->stderr_text().find("not writable"), std::string::npos) << gw->stderr_text();
    ASSERT_TRUE(disk.remount(false));
    EXPECT_EQ(zl_read(o.state_dir + "/sessions.db"), before);
    START_GATEWAY(after, o);  // writable again: it starts, with the transcript
    auto c = after->connect();
    ASSERT_NE(c, nullptr);
    auto hist = c->call("chat.history", Json{{"sessionKey", "main"}});
    ASSERT_TRUE(hist.ok());
    EXPECT_NE(hist->dump().find("kept"), std::string::npos);
  }
}

// The `chat` event that ends run `run_id` (final | aborted | error).
std::optional<Json> zl_run_end(WsClient& c, const std::string& run_id, int timeout_ms = 15000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto ev = wait_event(c, "chat", 500);
    if (!ev) continue;
    const Json& p = (*ev)["payload"];
    if (p.value("runId", "") == run_id && p.value("state", "") != "delta") return p;
  }
  return std::nullopt;
}

TEST(ZeroLoss, SigtermLetsTheRunInFlightFinishTellsClientsAndRunsTheQueuedOneAfterTheRestart) {
  FakeLlm llm;
  Script slow;
  slow.chunks = {"finished ", "in ", "time"};
  slow.chunk_delay_ms = 400;
  llm.push(slow);
  const std::string yaml = config_for(llm, "gateway:\n  shutdown_grace_ms: 10000\n");
  START_GATEWAY(gw, with_config(yaml));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->call("chat.send",
                      Json{{"sessionKey", "main"}, {"message", "first"}, {"idempotencyKey", "g-1"}})
                  .ok());
  ASSERT_TRUE(
      c->call("chat.send",
              Json{{"sessionKey", "main"}, {"message", "second"}, {"idempotencyKey", "g-2"}})
          .ok());  // queued behind g-1
  ASSERT_TRUE(llm.wait_requests(1));
  gw->signal(SIGTERM);
  auto ev = wait_event(*c, "shutdown");
  ASSERT_TRUE(ev);
  EXPECT_EQ((*ev)["payload"]["reason"], "terminated");
  // No new runs while draining: refused with a retry hint, nothing stored.
  auto late =
      c->call("chat.send",
              Json{{"sessionKey", "other"}, {"message", "too late"}, {"idempotencyKey", "g-3"}});
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("shutting down"), std::string::npos) << late.error().message;
  // The run in flight finishes and its client sees the whole reply.
  auto end = zl_run_end(*c, "g-1");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ((*end)["state"], "final") << end->dump();
  EXPECT_NE(end->dump().find("finished in time"), std::string::npos);
  EXPECT_EQ(wait_close(*c).close_code, 1012);
  EXPECT_EQ(gw->wait_exit(std::chrono::seconds(15)), 0);
  EXPECT_EQ(llm.request_count(), 1u) << "the queued run must not start while draining";

  // After the restart the queued message is answered; nothing was lost or doubled.
  auto gw2 = zl_restart(gw->state_dir(), yaml);
  ASSERT_NE(gw2, nullptr);
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  auto waited = c2->call("agent.wait", Json{{"runId", "g-2"}, {"timeoutMs", 4000}});
  ASSERT_TRUE(waited.ok()) << waited.error().message;
  EXPECT_EQ((*waited)["status"], "ok") << waited->dump();
  auto hist = c2->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(hist.ok());
  std::string h = hist->dump();
  EXPECT_NE(h.find("finished in time"), std::string::npos);
  EXPECT_NE(h.find("echo: second"), std::string::npos);
  EXPECT_EQ(h.find("too late"), std::string::npos);
  EXPECT_EQ(llm.request_count(), 2u);
}

TEST(ZeroLoss, ARunStillGoingAtTheGraceDeadlineIsRecordedInterruptedAndARestartSaysWhen) {
  FakeLlm llm;
  Script endless;
  endless.chunks = std::vector<std::string>(200, "more ");
  endless.chunk_delay_ms = 100;
  llm.push(endless);
  const std::string yaml = config_for(llm, "gateway:\n  shutdown_grace_ms: 500\n");
  START_GATEWAY(gw, with_config(yaml));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      c->call("chat.send",
              Json{{"sessionKey", "main"}, {"message", "a long one"}, {"idempotencyKey", "cut-1"}})
          .ok());
  ASSERT_TRUE(llm.wait_requests(1));
  // A restart tells clients how long to stay away: the grace period, and a little.
  CmdResult r =
      run_simpleclaw({"gateway", "restart", "--state-dir", gw->state_dir(), "--json"}, gw->dir());
  ASSERT_EQ(r.code, 0) << r.err;
  auto ev = wait_event(*c, "shutdown");
  ASSERT_TRUE(ev);
  EXPECT_EQ((*ev)["payload"]["reason"], "restart");
  EXPECT_GE((*ev)["payload"]["restartExpectedMs"].get<long long>(), 500);
  auto end = zl_run_end(*c, "cut-1");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ((*end)["state"], "error");
  EXPECT_NE(end->dump().find("interrupted"), std::string::npos) << end->dump();
  // The same process, restarted: the session takes the next message.
  auto c2 = gw->connect();
  ASSERT_NE(c2, nullptr);
  llm.push(answer("back again"));
  ASSERT_TRUE(c2->call("chat.send", Json{{"sessionKey", "main"},
                                         {"message", "still there?"},
                                         {"idempotencyKey", "cut-2"}})
                  .ok());
  auto next = zl_run_end(*c2, "cut-2");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ((*next)["state"], "final") << next->dump();
}

// Socket activation as systemd does it: the listening socket is fd 3, LISTEN_FDS=1 and
// LISTEN_PID=<the gateway's pid>. A connection made before the gateway even started waits
// in the socket's backlog and is answered.
TEST(ZeroLoss, ASocketPassedBySystemdIsServedIncludingConnectionsMadeBeforeTheStart) {
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(lfd, 64), 0);
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  HttpConn early(port);  // connected through the backlog; nobody accepts yet
  ASSERT_TRUE(early.ok());
  early.send_raw("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

  TempDir dir;
  const std::string state = dir.path() + "/state";
  // Everything the child needs is made before fork(): after it, only async-signal-safe
  // calls (this process has threads). LISTEN_PID is the child's own pid: a pipe tells it.
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  int pidpipe[2];
  ASSERT_EQ(::pipe(pidpipe), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    char pidbuf[32] = {};
    ssize_t n = ::read(pidpipe[0], pidbuf, sizeof pidbuf - 1);
    if (n <= 0) ::_exit(126);
    char listen_pid[64] = "LISTEN_PID=";
    for (ssize_t k = 0; k < n && k < 40; ++k) listen_pid[11 + k] = pidbuf[k];
    char listen_fds[] = "LISTEN_FDS=1";
    char path[] = "PATH=/usr/bin:/bin";
    char* envp[] = {listen_pid, listen_fds, path, nullptr};
    ::dup2(lfd, 3);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execle(SIMPLECLAW_BIN, SIMPLECLAW_BIN, "gateway", "--state-dir", state.c_str(), "--port", "1",
             static_cast<char*>(nullptr), envp);
    ::_exit(127);
  }
  {
    std::string p = std::to_string(pid);
    ASSERT_EQ(::write(pidpipe[1], p.data(), p.size()), static_cast<ssize_t>(p.size()));
    ::close(pidpipe[0]);
    ::close(pidpipe[1]);
    ::close(devnull);
  }
  ::close(lfd);
  HttpResponse first = early.read_response(10000);
  EXPECT_EQ(first.status, 200) << "the connection made before the start was not served";
  // gateway.json names the inherited port (not --port 1, which it ignored).
  Json rt;
  eventually([&] {
    rt = Json::parse(read_text(state + "/gateway.json"), nullptr, false);
    return rt.is_object();
  });
  EXPECT_EQ(rt.value("port", 0), port) << rt.dump();
  EXPECT_EQ(http_request(port, "GET", "/health").status, 200);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(ZeroLoss, ABackupTakenUnderLoadRestoresEveryAcknowledgedMessage) {
  FakeLlm llm;
  const std::string yaml = config_for(llm);
  START_GATEWAY(gw, with_config(yaml));
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<int> acked;
  std::thread writer([&] {
    auto c = WsClient::connect(gw->options(), nullptr);
    if (!c.ok()) return;
    for (int i = 0; !stop; ++i) {
      auto r = (*c)->call("chat.send", Json{{"sessionKey", "load-" + std::to_string(i % 5)},
                                            {"message", "msg-" + std::to_string(i) + "."},
                                            {"idempotencyKey", "bk-" + std::to_string(i)}});
      if (r.ok()) {
        std::lock_guard<std::mutex> l(mu);
        acked.push_back(i);
      }
    }
  });
  auto count = [&] {
    std::lock_guard<std::mutex> l(mu);
    return acked.size();
  };
  ASSERT_TRUE(eventually([&] { return count() >= 40; }, 20000));
  std::vector<int> before;
  {
    std::lock_guard<std::mutex> l(mu);
    before = acked;  // acknowledged before the backup started: all must be in it
  }
  TempDir out;
  const std::string file = out.path() + "/state.scbak";
  CmdResult b = run_simpleclaw({"backup", file, "--state-dir", gw->state_dir()}, gw->dir());
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_NE(b.out.find("backed up"), std::string::npos) << b.out;
  std::size_t at_backup = count();
  ASSERT_TRUE(eventually([&] { return count() >= at_backup + 20; }, 20000))
      << "the gateway stopped serving during the backup";
  stop = true;
  writer.join();

  // Not over a running gateway's state.
  CmdResult busy = run_simpleclaw({"restore", file, "--state-dir", gw->state_dir()}, gw->dir());
  EXPECT_EQ(busy.code, 1);
  EXPECT_NE(busy.err.find("a gateway is running"), std::string::npos) << busy.err;
  // Not from a file that is not a backup.
  write_text(out.path() + "/junk.scbak", "not a backup");
  CmdResult junk = run_simpleclaw(
      {"restore", out.path() + "/junk.scbak", "--state-dir", out.path() + "/x"}, gw->dir());
  EXPECT_EQ(junk.code, 1);
  EXPECT_NE(junk.err.find("not a"), std::string::npos) << junk.err;
  gw->stop();

  const std::string restored = out.path() + "/restored";
  CmdResult r = run_simpleclaw({"restore", file, "--state-dir", restored}, gw->dir());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("verified"), std::string::npos) << r.out;
  StartOptions o = with_config(yaml);
  o.state_dir = restored;
  START_GATEWAY(gw2, o);  // with the restored token
  auto c = gw2->connect();
  ASSERT_NE(c, nullptr);
  std::string all;
  for (int k = 0; k < 5; ++k) {
    auto h =
        c->call("chat.history", Json{{"sessionKey", "load-" + std::to_string(k)}, {"limit", 1000}});
    ASSERT_TRUE(h.ok()) << h.error().message;
    all += h->dump();
  }
  int missing = 0;
  for (int i : before)
    if (all.find("msg-" + std::to_string(i) + ".") == std::string::npos) ++missing;
  EXPECT_EQ(missing, 0) << "of " << before.size() << " messages acknowledged before the backup";
}

TEST(ZeroLoss, AnInvalidConfigAtStartRunsOnTheLastKnownGoodCopyDegradedUntilFixed) {
  FakeLlm llm;
  const std::string good = config_for(llm);
  TempDir dir;
  const std::string state = dir.path() + "/state";
  {
    StartOptions first = with_config(good);
    first.state_dir = state;
    START_GATEWAY(gw, first);
  }
  ASSERT_TRUE(std::filesystem::exists(state + "/config.last-good.yaml"))
      << "a successful start keeps a copy of its config";
  // An upgrade renamed a key, or a typo: the file no longer validates.
  const std::string bad = good + "gateway:\n  shutdown_grace: 30s\n";
  StartOptions o = with_config(bad);
  o.state_dir = state;
  START_GATEWAY(gw, o);  // it starts anyway
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto st = c->call("status", Json::object());
  ASSERT_TRUE(st.ok());
  const Json& cfg = (*st)["subsystems"]["config"];
  EXPECT_EQ(cfg["state"], "degraded") << cfg.dump();
  EXPECT_NE(cfg["degraded"]["error"].get<std::string>().find("shutdown_grace"), std::string::npos)
      << cfg.dump();
  // The HTTP probe says so too (still live: it serves).
  HttpResponse probe = http_request(gw->port(), "GET", "/health");
  EXPECT_EQ(probe.status, 200);
  EXPECT_NE(probe.body.find("\"degraded\":\"config\""), std::string::npos) << probe.body;
  // It works, on the old config (its model).
  ASSERT_TRUE(c->call("chat.send", Json{{"sessionKey", "main"},
                                        {"message", "still serving"},
                                        {"idempotencyKey", "lkg-1"}})
                  .ok());
  auto end = zl_run_end(*c, "lkg-1");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ((*end)["state"], "final");
  // doctor says what is going on.
  CmdResult doc =
      run_simpleclaw({"doctor", "--state-dir", state, "--config", gw->config_path()}, gw->dir());
  EXPECT_NE((doc.out + doc.err).find("DEGRADED"), std::string::npos) << doc.out << doc.err;
  // Fixed and reloaded: healthy again.
  write_text(gw->config_path(), good);
  gw->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] {
    auto s2 = c->call("status", Json::object());
    return s2.ok() && (*s2)["subsystems"]["config"]["state"] == "ok";
  }));
  EXPECT_EQ(http_request(gw->port(), "GET", "/health").body.find("degraded"), std::string::npos);
  c.reset();
  gw->stop();
  // --strict-config refuses instead.
  StartOptions strict = with_config(bad);
  strict.state_dir = state;
  strict.args = {"--strict-config"};
  std::unique_ptr<GatewayProcess> refused;
  EXPECT_EQ(start_and_wait_exit(refused, strict), 1);
  EXPECT_NE(refused->stderr_text().find("--strict-config"), std::string::npos)
      << refused->stderr_text();
}

TEST(ZeroLoss, AnOlderConfigVersionStartsMigratedWithAWarningAndDoctorFixShowsThenWritesIt) {
  FakeLlm llm;
  // A version-1 file (no `version`): its cron timeout was in seconds.
  const std::string v1 =
      "# my settings\n" + config_for(llm) + "cron:\n  default_timeout_seconds: 45   # keep short\n";
  TempDir dir;
  const std::string state = dir.path() + "/state";
  StartOptions o = with_config(v1);
  o.state_dir = state;
  START_GATEWAY(gw, o);  // not an unknown-key error: read under the new name
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto got = c->call("config.get", Json::object());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["config"]["cron"]["default_timeout_ms"], 45000) << got->dump();
  auto st = c->call("status", Json::object());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["subsystems"]["config"]["state"], "ok") << "migrated is not degraded";
  const std::string log = gw->stderr_text() + read_text(gw->log_file());
  EXPECT_NE(log.find("cron.default_timeout_seconds: 45 is now cron.default_timeout_ms: 45000"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("simpleclaw doctor --fix"), std::string::npos) << log;
  EXPECT_EQ(read_text(gw->config_path()), v1) << "the gateway never rewrites the file itself";

  const std::vector<std::string> doctor{"doctor", "--state-dir", state, "--config",
                                        gw->config_path()};
  CmdResult warn = run_simpleclaw(doctor, gw->dir());
  EXPECT_NE(warn.out.find("[WARN] config: "), std::string::npos) << warn.out;
  EXPECT_NE(warn.out.find("fix: `simpleclaw doctor --fix`"), std::string::npos) << warn.out;
  // --fix shows the diff; without a terminal and without --yes it writes nothing.
  std::vector<std::string> fix = doctor;
  fix.push_back("--fix");
  CmdResult shown = run_simpleclaw(fix, gw->dir());
  EXPECT_NE(shown.out.find("-  default_timeout_seconds: 45   # keep short\n"
                           "+  default_timeout_ms: 45000   # keep short"),
            std::string::npos)
      << shown.out;
  EXPECT_NE(shown.out.find("+version: 2"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("not written"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.code, 1);
  EXPECT_EQ(read_text(gw->config_path()), v1);
  fix.push_back("--yes");
  CmdResult wrote = run_simpleclaw(fix, gw->dir());
  EXPECT_NE(wrote.out.find("written " + gw->config_path()), std::string::npos) << wrote.out;
  EXPECT_EQ(read_text(gw->config_path() + ".v1.bak"), v1) << "the old file is kept";
  const std::string v2 = read_text(gw->config_path());
  EXPECT_EQ(v2.rfind("# my settings\nversion: 2\n", 0), 0u) << v2;
  EXPECT_NE(v2.find("default_timeout_ms: 45000   # keep short"), std::string::npos) << v2;
  CmdResult clean = run_simpleclaw(doctor, gw->dir());
  EXPECT_NE(clean.out.find("[OK  ] config: "), std::string::npos) << clean.out;
  // The fixed file reloads to the same values.
  gw->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] {
    auto g = c->call("config.get", Json::object());
    return g.ok() && (*g)["hash"] != (*got)["hash"] &&
           (*g)["config"]["cron"]["default_timeout_ms"] == 45000;
  }));
  c.reset();
  gw->stop();

  // A file from a newer simpleclaw: this one runs on its last-known-good copy instead.
  StartOptions newer = with_config("version: 9\n" + config_for(llm));
  newer.state_dir = state;
  START_GATEWAY(gw2, newer);
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  auto st2 = c2->call("status", Json::object());
  ASSERT_TRUE(st2.ok());
  const Json& cfg = (*st2)["subsystems"]["config"];
  EXPECT_EQ(cfg["state"], "degraded") << cfg.dump();
  EXPECT_NE(cfg["degraded"]["error"].get<std::string>().find("newer simpleclaw"), std::string::npos)
      << cfg.dump();
}

TEST(ZeroLoss, TwentyRestartsUnderHealthLoadRefuseNoConnectionAndKeepThePid) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  const ClientOptions opts = gw->options();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, refused{0}, dropped{0};
  std::mutex mu;
  std::string last_problem, last_refusal;
  // A client that connects, calls health and disconnects, as fast as it can.
  std::thread hammer([&] {
    while (!stop) {
      auto c = WsClient::connect(opts, nullptr);
      if (!c.ok()) {
        bool is_refused = c.error().message.find("refused") != std::string::npos;
        (is_refused ? refused : dropped)++;
        std::lock_guard<std::mutex> l(mu);
        (is_refused ? last_refusal : last_problem) = c.error().message;
        continue;
      }
      auto h = (*c)->call("health", Json::object());
      if (h.ok()) {
        ++ok;
      } else {
        // Connected before the drain closed it (1012 + a `shutdown` event): the client
        // reconnects, which is what the next iteration does.
        ++dropped;
        std::lock_guard<std::mutex> l(mu);
        last_problem = h.error().message;
      }
    }
  });
  const pid_t pid = gw->pid();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    int before = ok.load();
    CmdResult r =
        run_simpleclaw({"gateway", "restart", "--state-dir", gw->state_dir(), "--json"}, gw->dir());
    ASSERT_EQ(r.code, 0) << "restart " << i << ": " << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_EQ(j["pid"], pid) << "restarted as another process";
    // Served again before the next restart.
    ASSERT_TRUE(eventually([&] { return ok.load() > before; })) << "restart " << i;
  }
  auto took = std::chrono::steady_clock::now() - t0;
  stop = true;
  hammer.join();
  EXPECT_EQ(refused.load(), 0) << "a connection attempt was refused: " << last_refusal;
  // Served after every restart (checked in the loop) and between them.
  EXPECT_GT(ok.load(), 20);
  // The drain closes the connection open at that moment (1012) and the client reconnects;
  // the old process accepts nothing once it drains, so a restart costs this one-at-a-time
  // client at most one connection, however slow the machine is (a ratio to the calls
  // answered failed on a loaded CI runner).
  EXPECT_LE(dropped.load(), 20) << last_problem;
  std::printf(
      "20 restarts in %lld ms; %d health calls answered, %d dropped, %d refused\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
      ok.load(), dropped.load(), refused.load());
  EXPECT_TRUE(gw->running());
  EXPECT_EQ(gw->pid(), pid);
}

}  // namespace
}  // namespace sctest
