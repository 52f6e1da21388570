// The first run: implicit providers (no provider configured; OPENAI_API_KEY,
// ANTHROPIC_API_KEY, a local Ollama) and `simpleclaw onboard`, with the real gateway and
// CLI binaries and the fake LLM (tests/fakes) standing in for OpenAI, Anthropic and Ollama.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "chat_helpers.h"
#include "config/config.h"
#include "fakes/loopback_socket.h"
#include "integration/cli_run.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using ::fakes::free_port;
using ::fakes::LoopbackListener;

constexpr const char* kEnvKey = "sk-env-secret-4711";

// The final text of one chat turn on `key` (and fails the test when there is none).
std::string onboard_answer(WsClient& c, const std::string& key, const std::string& text,
                           const std::string& idem) {
  Json ack = send(c, key, text, idem);
  auto evs = chat_events(c, ack.value("runId", idem));
  if (evs.empty()) return "";
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  const Json& content = evs.back()["message"]["content"];
  return content.is_array() && !content.empty() ? content[0].value("text", "") : "";
}

std::vector<Json> rows_of(const Json& list, const std::string& provider) {
  std::vector<Json> out;
  for (const Json& m : list["models"])
    if (m["provider"] == provider) out.push_back(m);
  return out;
}

StartOptions with_env(std::map<std::string, std::string> env, std::string yaml = {}) {
  StartOptions o;
  o.config_yaml = std::move(yaml);
  o.env = std::move(env);
  return o;
}

CmdResult onboard_doctor(const GatewayProcess& gw, const TempDir& home,
                         const std::map<std::string, std::string>& env) {
  return run_simpleclaw({"doctor", "--state-dir", gw.state_dir(), "--config", gw.config_path(),
                         "--probe-timeout", "2000"},
                        home.path(), env);
}

// ---- implicit providers ------------------------------------------------------------------

TEST(ImplicitProviders, OpenAiKeyInTheEnvironmentAnswersAChatAndShowsAsImplicit) {
  FakeLlm llm;
  std::map<std::string, std::string> env{{"OPENAI_API_KEY", kEnvKey},
                                         {"OPENAI_BASE_URL", llm.url() + "/v1"}};
  START_GATEWAY(gw, with_env(env));  // no config file at all
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);

  Json list = call_ok(*c, "models.list");
  auto rows = rows_of(list, "openai");
  ASSERT_FALSE(rows.empty()) << list.dump();
  EXPECT_EQ(rows[0]["id"], "openai/gpt-4.1-mini");
  EXPECT_EQ(rows[0]["tags"], Json::array({"implicit", "env:OPENAI_API_KEY"}));
  EXPECT_TRUE(rows_of(list, "anthropic").empty());

  Json st = call_ok(*c, "status");
  const Json& models = st["subsystems"]["models"];
  EXPECT_EQ(models["source"], "implicit") << models.dump();
  EXPECT_EQ(models["default"], "openai/gpt-4.1-mini");
  EXPECT_EQ(models["providers"][0]["from"], "OPENAI_API_KEY");

  EXPECT_EQ(onboard_answer(*c, "main", "hello there", "r1"), "echo: hello there");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers["authorization"], std::string("Bearer ") + kEnvKey);
  EXPECT_EQ(reqs[0].body["model"], "gpt-4.1-mini");

  // Shown as implicit by doctor, with where it came from; the key itself nowhere.
  TempDir home;
  CmdResult d = onboard_doctor(*gw, home, env);
  EXPECT_NE(d.out.find("provider openai: implicit, from OPENAI_API_KEY"), std::string::npos)
      << d.out;
  for (const std::string& text : {d.out, d.err, read_text(gw->log_file()), gw->stderr_text(),
                                  st.dump(), list.dump(), call_ok(*c, "config.get").dump()})
    EXPECT_EQ(text.find(kEnvKey), std::string::npos) << text;
}

TEST(ImplicitProviders, AnthropicKeyInTheEnvironmentAnswersAChat) {
  FakeLlm llm;
  START_GATEWAY(gw, with_env({{"ANTHROPIC_API_KEY", kEnvKey}, {"ANTHROPIC_BASE_URL", llm.url()}}));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto rows = rows_of(call_ok(*c, "models.list"), "anthropic");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0]["tags"], Json::array({"implicit", "env:ANTHROPIC_API_KEY"}));
  EXPECT_EQ(onboard_answer(*c, "main", "bonjour", "r1"), "echo: bonjour");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].api, "anthropic");
  EXPECT_EQ(reqs[0].headers["x-api-key"], kEnvKey);
  EXPECT_EQ(reqs[0].body["model"], "claude-sonnet-4-5");
}

TEST(ImplicitProviders, AConfiguredProviderTurnsThemOff) {
  FakeLlm llm;
  std::map<std::string, std::string> env{
      {"OPENAI_API_KEY", kEnvKey},
      {"OPENAI_BASE_URL", llm.url() + "/v1"},
      {"OLLAMA_HOST", "127.0.0.1:" + std::to_string(llm.port())}};
  START_GATEWAY(gw, with_env(env, config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json list = call_ok(*c, "models.list");
  EXPECT_TRUE(rows_of(list, "openai").empty()) << list.dump();
  EXPECT_TRUE(rows_of(list, "ollama").empty()) << list.dump();  // not even a reachable Ollama
  for (const Json& m : list["models"]) EXPECT_FALSE(m.contains("tags")) << m.dump();
  Json st = call_ok(*c, "status");
  EXPECT_EQ(st["subsystems"]["models"]["source"], "config");
  EXPECT_FALSE(st["subsystems"]["models"].contains("ollama"));
  EXPECT_EQ(onboard_answer(*c, "main", "hi", "r1"), "echo: hi");
  EXPECT_EQ(llm.requests().at(0).headers["authorization"], "Bearer sk-test");  // the config's key
  TempDir home;
  CmdResult d = onboard_doctor(*gw, home, env);
  EXPECT_EQ(d.out.find("implicit"), std::string::npos) << d.out;
}

TEST(ImplicitProviders, LocalOllamaOnLoopbackIsFoundAndAnswers) {
  FakeLlm llm;  // also speaks Ollama: /api/tags and /api/chat
  std::string host = "127.0.0.1:" + std::to_string(llm.port());
  START_GATEWAY(gw, with_env({{"OLLAMA_HOST", host}}));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json list = call_ok(*c, "models.list");  // answers once the detection has
  auto rows = rows_of(list, "ollama");
  ASSERT_FALSE(rows.empty()) << list.dump();
  EXPECT_EQ(rows[0]["id"], "ollama/fake-model");  // the first model /api/tags lists
  EXPECT_EQ(rows[0]["available"], true);
  EXPECT_EQ(rows[0]["tags"], Json::array({"implicit", "detected:http://" + host}));
  Json st = call_ok(*c, "status");
  EXPECT_EQ(st["subsystems"]["models"]["ollama"]["state"], "found");
  EXPECT_EQ(st["subsystems"]["models"]["default"], "ollama/fake-model");
  EXPECT_EQ(onboard_answer(*c, "main", "hi local", "r1"), "echo: hi local");
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_EQ(llm.requests()[0].api, "ollama");
  // sessions show the model the run used
  Json sessions = call_ok(*c, "sessions.list");
  ASSERT_FALSE(sessions["sessions"].empty());
  EXPECT_EQ(sessions["sessions"][0]["model"], "ollama/fake-model") << sessions.dump();
  TempDir home;
  CmdResult d = onboard_doctor(*gw, home, {{"OLLAMA_HOST", host}});
  EXPECT_NE(d.out.find("provider ollama: implicit, Ollama at http://" + host), std::string::npos)
      << d.out;
}

TEST(ImplicitProviders, AnOllamaThatNeverAnswersDoesNotDelayStart) {
  LoopbackListener blackhole;  // accepts connections (backlog), never answers
  ASSERT_TRUE(blackhole.ok());
  std::string host = "127.0.0.1:" + std::to_string(blackhole.port());
  START_GATEWAY(gw, with_env({{"OLLAMA_HOST", host}}));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  // Ready and answering while the detection still waits (it gives up after 1.5 s).
  Json st = call_ok(*c, "status");
  EXPECT_EQ(st["subsystems"]["models"]["ollama"]["state"], "probing") << st.dump();
  EXPECT_EQ(st["subsystems"]["models"]["source"], "none");
  Json list = call_ok(*c, "models.list");  // after the detection gave up
  EXPECT_TRUE(list["models"].empty()) << list.dump();
  st = call_ok(*c, "status");
  EXPECT_EQ(st["subsystems"]["models"]["ollama"]["state"], "not-found");
}

TEST(ImplicitProviders, NothingListeningMeansNoProviderAndAClearWayOut) {
  std::string host = "127.0.0.1:" + std::to_string(free_port());
  START_GATEWAY(gw, with_env({{"OLLAMA_HOST", host}}));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(call_ok(*c, "models.list")["models"].empty());
  Json ack = send(*c, "main", "anyone?", "r1");
  auto evs = chat_events(*c, ack.value("runId", "r1"));
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "error");
  EXPECT_NE(evs.back().dump().find("simpleclaw onboard"), std::string::npos) << evs.back().dump();
  TempDir home;
  CmdResult d = onboard_doctor(*gw, home, {{"OLLAMA_HOST", host}});
  EXPECT_NE(
      d.out.find("[WARN] provider ollama: implicit, Ollama at http://" + host + ": not found"),
      std::string::npos)
      << d.out;
  EXPECT_NE(d.out.find("fix: run `simpleclaw onboard`"), std::string::npos) << d.out;
}

// ---- simpleclaw onboard --------------------------------------------------------------------

struct OnboardPaths {
  TempDir dir;
  std::string state() const { return dir.path() + "/state"; }
  std::string config() const { return dir.path() + "/state/config.yaml"; }
};

CmdResult onboard(const OnboardPaths& p, std::vector<std::string> args, const std::string& input,
                  const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> argv{"onboard", "--state-dir", p.state(), "--config", p.config()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_simpleclaw(argv, p.dir.path(), env, 30, input);
}

TEST(Onboard, InteractiveAnswersWriteAConfigAStartedGatewayAnswersWith) {
  FakeLlm llm;
  OnboardPaths p;
  const std::string key = "sk-typed-secret-0042";
  // Bad answers first: each is explained and asked again.
  std::string input =
      "banana\n"               // provider: refused
      "4\n"                    // openai-compatible
      "ftp://nowhere\n"        // base URL: refused
      + llm.url() + "/v1\n" +  // base URL
      key +
      "\n"       // pasted key (stored in the config)
      "\n"       // model: the first one the server lists
      "maybe\n"  // telegram y/n: refused
      "n\n"      // no Telegram
      "y\n";     // write
  CmdResult r = onboard(p, {}, input);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("'banana' is not one of: openai, anthropic, ollama, openai-compatible"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("'ftp://nowhere' is not an http(s) URL"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("answer y or n"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("OK: custom answered with"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Next: simpleclaw gateway"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(key), std::string::npos) << r.out;  // never echoed
  EXPECT_EQ(r.err.find(key), std::string::npos) << r.err;

  std::string yaml = read_text(p.config());
  struct stat sb {};
  ASSERT_EQ(::stat(p.config().c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  auto parsed = simpleclaw::config::parse(yaml);
  ASSERT_TRUE(parsed.ok()) << yaml;
  EXPECT_EQ(parsed.config.models.default_model, "custom/fake-model");

  StartOptions o;
  o.state_dir = p.state();
  o.config_yaml = yaml;
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(onboard_answer(*c, "main", "first words", "r1"), "echo: first words");
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_EQ(llm.requests()[0].headers["authorization"], "Bearer " + key);
  EXPECT_EQ(llm.requests()[0].body["model"], "fake-model");
}

TEST(Onboard, EnvReferenceKeepsTheKeyOutOfTheFile) {
  FakeLlm llm;
  OnboardPaths p;
  std::map<std::string, std::string> env{{"OPENAI_API_KEY", kEnvKey},
                                         {"OPENAI_BASE_URL", llm.url() + "/v1"}};
  CmdResult r = onboard(p,
                        {"--yes", "--provider", "openai", "--api-key-env", "OPENAI_API_KEY",
                         "--model", "gpt-4o-mini"},
                        "", env);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::string yaml = read_text(p.config());
  EXPECT_NE(yaml.find("${OPENAI_API_KEY}"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find(kEnvKey), std::string::npos) << yaml;
  EXPECT_EQ(r.out.find(kEnvKey), std::string::npos);
  // The probe used the key from the environment.
  ASSERT_FALSE(llm.probes().empty());
  EXPECT_EQ(llm.probes().back().headers["authorization"], std::string("Bearer ") + kEnvKey);

  StartOptions o = with_env(env, yaml);
  o.state_dir = p.state();
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(call_ok(*c, "status")["subsystems"]["models"]["source"], "config");
  EXPECT_EQ(onboard_answer(*c, "main", "via env", "r1"), "echo: via env");
  EXPECT_EQ(llm.requests().at(0).body["model"], "gpt-4o-mini");
}

TEST(Onboard, ThroughARunningGatewayItHotApplies) {
  FakeLlm llm;
  START_GATEWAY(gw);  // no provider: nothing can answer yet
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  TempDir home;
  auto run = [&](const std::string& model) {
    return run_simpleclaw({"onboard", "--state-dir", gw->state_dir(), "--config", gw->config_path(),
                           "--yes", "--provider", "openai-compatible", "--name", "lab",
                           "--base-url", llm.url() + "/v1", "--api-key-stdin", "--model", model},
                          home.path(), {}, 30, "sk-piped-key\n");
  };
  // A model the server does not list is refused, with what it does list.
  CmdResult unknown = run("no-such-model");
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("lab does not list it (it has: fake-model"), std::string::npos)
      << unknown.err;
  EXPECT_FALSE(file_exists(gw->config_path()));
  CmdResult r = run("fake-model");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("the running gateway applied it"), std::string::npos) << r.out;
  // No restart: the same gateway now answers with the new provider.
  EXPECT_TRUE(eventually([&] { return !rows_of(call_ok(*c, "models.list"), "lab").empty(); }));
  EXPECT_EQ(onboard_answer(*c, "main", "are you there", "r1"), "echo: are you there");
  EXPECT_EQ(llm.requests().at(0).headers["authorization"], "Bearer sk-piped-key");
  Json cfg = call_ok(*c, "config.get");
  EXPECT_EQ(cfg["config"]["models"]["default"], "lab/fake-model");
  EXPECT_EQ(cfg["config"]["models"]["providers"]["lab"]["api_key"], "__SIMPLECLAW_REDACTED__");
}

// A running `simpleclaw onboard` with its stdin on a pipe the test writes when it wants.
class OnboardChild {
 public:
  OnboardChild(const std::vector<std::string>& args, const std::string& home) {
    out_ = dir_.path() + "/out";
    err_ = dir_.path() + "/err";
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      int fo = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int fe = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fds[0], 0);
      ::dup2(fo, 1);
      ::dup2(fe, 2);
      ::close_range(3, ~0U, 0);
      for (const char* v :
           {"SIMPLECLAW_HOME", "SIMPLECLAW_CONFIG", "SIMPLECLAW_PORT", "SIMPLECLAW_GATEWAY_TOKEN",
            "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"})
        ::unsetenv(v);
      ::setenv("HOME", home.c_str(), 1);
      ::setenv("OLLAMA_HOST", kNoOllama, 1);
      std::vector<char*> argv;
      std::string bin = SIMPLECLAW_BIN;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[0]);
    in_ = fds[1];
  }
  ~OnboardChild() {
    if (in_ >= 0) ::close(in_);
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::string out() const { return read_text(out_); }
  std::string err() const { return read_text(err_); }
  void write(const std::string& s) {
    EXPECT_EQ(::write(in_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  int finish(int timeout_ms = 20000) {
    ::close(in_);
    in_ = -1;
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  TempDir dir_;
  std::string out_, err_;
  pid_t pid_ = -1;
  int in_ = -1;
  bool exited_ = false;
};

TEST(Onboard, AChangeMadeWhileItAsksMakesItFailCleanlyWithoutClobbering) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config("logging: {level: info}\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  TempDir home;
  OnboardChild child({"onboard", "--state-dir", gw->state_dir(), "--config", gw->config_path()},
                     home.path());
  // It has read the config's hash once it asks its first question.
  ASSERT_TRUE(eventually(
      [&] { return child.out().find("Provider [openai]:") != std::string::npos; }, 10000))
      << child.out() << child.err();
  // Someone else changes the config meanwhile (compare-and-swap, like any client).
  Json cur = call_ok(*c, "config.get");
  call_ok(*c, "config.patch",
          Json{{"raw", R"({"logging":{"level":"debug"}})"}, {"baseHash", cur["hash"]}});
  child.write("4\n" + llm.url() + "/v1\nsk-late\n\nn\ny\n");
  int code = child.finish();
  EXPECT_EQ(code, 1) << child.out() << child.err();
  EXPECT_NE(child.err().find("changed while onboard was running"), std::string::npos)
      << child.err();
  EXPECT_NE(child.err().find("Run `simpleclaw onboard` again"), std::string::npos);
  // The other change is kept; onboard's is not half-applied.
  std::string yaml = read_text(gw->config_path());
  EXPECT_NE(yaml.find("debug"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("custom"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("sk-late"), std::string::npos) << yaml;
  EXPECT_TRUE(rows_of(call_ok(*c, "models.list"), "custom").empty());
}

TEST(Onboard, TheSameRaceOnTheFileWithoutAGateway) {
  FakeLlm llm;
  OnboardPaths p;
  ::mkdir(p.state().c_str(), 0700);
  write_text(p.config(), "logging: {level: info}\n");
  OnboardChild child({"onboard", "--state-dir", p.state(), "--config", p.config(), "--no-probe"},
                     p.dir.path());
  ASSERT_TRUE(eventually(
      [&] { return child.out().find("Provider [openai]:") != std::string::npos; }, 10000))
      << child.out() << child.err();
  write_text(p.config(), "logging: {level: warn}\n");  // an editor saves meanwhile
  child.write("4\n" + llm.url() + "/v1\n\nsome-model\nn\ny\n");
  EXPECT_EQ(child.finish(), 1) << child.out() << child.err();
  EXPECT_NE(child.err().find("changed while onboard was running"), std::string::npos)
      << child.err();
  EXPECT_EQ(read_text(p.config()), "logging: {level: warn}\n");
}

TEST(Onboard, AnotherStateDirsGatewayOnThePortNamedInTheConfigIsLeftAlone) {
  // A gateway of another state directory listens on the port this config names; no
  // gateway runs on this state directory. Onboard must write this file, never that
  // gateway's config (nor hang or fail on its token).
  FakeLlm llm;
  int port = free_port();
  StartOptions o = with_config("gateway:\n  port: " + std::to_string(port) + "\n");
  o.port_zero = false;
  START_GATEWAY(gw, o);
  std::string theirs = read_text(gw->config_path());
  OnboardPaths p;
  ::mkdir(p.state().c_str(), 0700);
  write_text(p.config(), "gateway: {port: " + std::to_string(port) + "}\n");
  CmdResult r = onboard(p, {"--no-probe"}, "4\n" + llm.url() + "/v1\n\nsome-model\nn\ny\n");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("through the running gateway"), std::string::npos) << r.out;
  EXPECT_NE(read_text(p.config()).find("some-model"), std::string::npos) << read_text(p.config());
  EXPECT_EQ(read_text(gw->config_path()), theirs);
}

TEST(Onboard, TelegramBotWithBadIdsAskedAgain) {
  OnboardPaths p;
  const std::string token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
  std::string input =
      "3\n"                       // ollama
      "http://127.0.0.1:11434\n"  // its URL (not probed: --no-probe)
      "\n"                        // model: llama3.2
      "y\n"                       // Telegram: yes
      "not-a-token\n" +           // refused
      token +
      "\n"
      "@alice\n"  // refused: ids only
      "111, 222\n"
      "y\n";
  CmdResult r = onboard(p, {"--no-probe"}, input);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("@BotFather gives one like"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'@alice' is not a Telegram user id"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find(token), std::string::npos);
  auto parsed = simpleclaw::config::parse(read_text(p.config()));
  ASSERT_TRUE(parsed.ok()) << read_text(p.config());
  const Json& tg = parsed.config.doc["channels"]["telegram"];
  EXPECT_EQ(tg["token"], token);
  EXPECT_EQ(tg["allow_from"], Json::array({111, 222}));
  EXPECT_EQ(parsed.config.models.default_model, "ollama/llama3.2");
}

TEST(Onboard, BadFlagsAndAnUnreachableProviderWriteNothing) {
  OnboardPaths p;
  CmdResult bad = onboard(p, {"--yes", "--provider", "banana"}, "");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("use openai, anthropic, ollama or openai-compatible"), std::string::npos)
      << bad.err;
  CmdResult nokey = onboard(p, {"--yes", "--provider", "openai"}, "");
  EXPECT_EQ(nokey.code, 2);
  EXPECT_NE(nokey.err.find("--api-key-env NAME"), std::string::npos) << nokey.err;
  CmdResult unset = onboard(p, {"--yes", "--provider", "openai", "--api-key-env", "NOT_SET_X"}, "");
  EXPECT_EQ(unset.code, 2);
  EXPECT_NE(unset.err.find("NOT_SET_X is not set here"), std::string::npos) << unset.err;
  CmdResult tg = onboard(p, {"--yes", "--provider", "ollama", "--telegram-token", "nope"}, "");
  EXPECT_EQ(tg.code, 2);
  CmdResult nobody = onboard(p,
                             {"--yes", "--provider", "ollama", "--telegram-token",
                              "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"},
                             "");
  EXPECT_EQ(nobody.code, 2);
  EXPECT_NE(nobody.err.find("--allow-from is needed"), std::string::npos) << nobody.err;
  int port = free_port();
  CmdResult down = onboard(p,
                           {"--yes", "--provider", "openai-compatible", "--base-url",
                            "http://127.0.0.1:" + std::to_string(port) + "/v1", "--model", "m",
                            "--probe-timeout", "2000"},
                           "");
  EXPECT_EQ(down.code, 1);
  EXPECT_NE(down.err.find("cannot reach http://127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << down.err;
  EXPECT_NE(down.err.find("--no-probe skips this check"), std::string::npos);
  // Input that ends early: nothing written either.
  CmdResult eof = onboard(p, {}, "4\n");
  EXPECT_EQ(eof.code, 1);
  EXPECT_NE(eof.err.find("input ended before onboard finished"), std::string::npos) << eof.err;
  EXPECT_FALSE(file_exists(p.config()));
}

}  // namespace
}  // namespace sctest
