// ModelCall's retry policy against the fake LLM server in this process: retries on 5xx and refused
// connections, failover, and never a retry once text reached the caller.
#include "providers/model_call.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "fakes/fake_llm.h"

namespace {

namespace asio = boost::asio;
using namespace simpleclaw;
using namespace simpleclaw::providers;
using sctest::fakes::FakeLlm;
using sctest::fakes::Script;

// Runs one ModelCall on its own io_context to completion.
struct CallRun {
  config::ModelsConfig cfg;
  std::vector<config::ProviderConfig> providers;
  std::string text;
  std::vector<std::string> retries;
  std::optional<CallResult> result;

  void add_provider(const std::string& name, const std::string& base_url,
                    const std::string& api = "openai") {
    config::ProviderConfig p;
    p.name = name;
    p.api = api;
    p.base_url = base_url;
    providers.push_back(p);
  }
  void go(const std::vector<std::string>& refs) {
    cfg.providers = providers;
    cfg.retry.base_ms = 10;
    cfg.retry.max_ms = 100;
    asio::io_context io;
    Catalog catalog(io);
    catalog.set_config(cfg);
    std::vector<ResolvedModel> candidates;
    for (const auto& ref : refs) {
      auto m = catalog.resolve(ref);
      ASSERT_TRUE(m.ok()) << m.error().message;
      candidates.push_back(*m);
    }
    CallCallbacks cb;
    cb.build = [](const ResolvedModel& m) {
      ChatRequest req;
      req.model = m.model.id;
      req.messages = {Message{sdk::Role::kUser, "hi"}};
      return req;
    };
    cb.on_text = [this](std::string_view t) { text += t; };
    cb.on_retry = [this](const std::string& what) { retries.push_back(what); };
    cb.on_done = [this](const CallResult& r) { result = r; };
    auto call = ModelCall::start(io, candidates, catalog.config(), cb);
    io.run_for(std::chrono::seconds(20));
    ASSERT_TRUE(result.has_value()) << "on_done never ran";
  }
};

TEST(ModelCallRetry, A500IsRetriedAndTheSecondTryAnswers) {
  FakeLlm llm;
  Script fail;
  fail.status = 500;
  llm.push(fail);
  CallRun r;
  r.add_provider("fake", llm.url() + "/v1");
  r.go({"fake/m"});
  ASSERT_TRUE(r.result->ok) << r.result->error;
  EXPECT_EQ(r.text, "echo: hi");
  EXPECT_EQ(r.result->attempts, 2);
  ASSERT_EQ(r.retries.size(), 1u);
  EXPECT_NE(r.retries[0].find("retrying fake/m"), std::string::npos) << r.retries[0];
}

TEST(ModelCallRetry, ARefusedConnectionIsRetriedThenFailsOverToTheNextModel) {
  // A port nothing listens on: bind one, note it, close it.
  asio::io_context tmp;
  asio::ip::tcp::acceptor a(tmp, {asio::ip::make_address("127.0.0.1"), 0});
  int dead_port = a.local_endpoint().port();
  a.close();
  FakeLlm llm;
  CallRun r;
  r.add_provider("down", "http://127.0.0.1:" + std::to_string(dead_port) + "/v1");
  r.add_provider("up", llm.url() + "/v1");
  r.go({"down/m", "up/m"});
  ASSERT_TRUE(r.result->ok) << r.result->error;
  EXPECT_EQ(r.result->model_ref, "up/m");
  EXPECT_EQ(r.result->attempts, 4) << "3 tries of down/m, then up/m";
  ASSERT_FALSE(r.retries.empty());
  EXPECT_NE(r.retries.back().find("failing over to up/m"), std::string::npos) << r.retries.back();
}

TEST(ModelCallRetry, NoRetryOrFailoverOnceTextWasStreamed) {
  FakeLlm llm;
  Script cut;
  cut.chunks = {"partial ", "answer"};
  cut.disconnect_after = 1;
  llm.push(cut);
  CallRun r;
  r.add_provider("fake", llm.url() + "/v1");
  r.add_provider("other", llm.url() + "/v1");
  r.go({"fake/m", "other/m"});
  EXPECT_FALSE(r.result->ok);
  EXPECT_EQ(r.text, "partial ");
  EXPECT_EQ(r.result->attempts, 1) << "the user already saw text: a retry would repeat it";
  EXPECT_TRUE(r.retries.empty());
}

}  // namespace

// The fake scripts tool calls in each API's real stream shape (arguments cut into
// pieces); the production decoder reassembles them and the call result carries them.
TEST(ModelCallTools, ToolCallsArriveWholeInEveryApi) {
  for (std::string api : {"openai", "anthropic", "ollama"}) {
    FakeLlm llm;
    Script s;
    s.chunks = {"Let me ", "check."};
    s.tool_calls = {{"", "read", R"({"path": "notes/a.txt"})", 4}, {"", "ls", "{}", 1}};
    llm.push(s);
    CallRun run;
    run.add_provider("p", api == "openai" ? llm.url() + "/v1" : llm.url(), api);
    run.go({"p/m"});
    ASSERT_TRUE(run.result->ok) << api << ": " << run.result->error;
    EXPECT_EQ(run.text, "Let me check.") << api;
    ASSERT_EQ(run.result->tool_calls.size(), 2u) << api;
    EXPECT_EQ(run.result->tool_calls[0].name, "read");
    EXPECT_EQ(nlohmann::json::parse(run.result->tool_calls[0].arguments),
              (nlohmann::json{{"path", "notes/a.txt"}}))
        << api;
    EXPECT_FALSE(run.result->tool_calls[0].id.empty());
    EXPECT_NE(run.result->tool_calls[0].id, run.result->tool_calls[1].id);
    EXPECT_EQ(run.result->tool_calls[1].name, "ls");
  }
}
