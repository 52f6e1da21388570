// The registry of compiled-in extensions: what a default build registers, names unique
// per kind, tool factories that build working providers, and a provider whose wire
// format is left out of the build refused by the model catalog with the fix.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>

#include "plugins/builtin.h"
#include "providers/catalog.h"
#include "tools/approvals.h"
#include "tools/tool_runner.h"

namespace simpleclaw::plugins {
namespace {

TEST(Registry, BuiltinListHasEveryKindAndNoDuplicates) {
  const sdk::Registry& r = builtin_registry();
  // A default build (every SIMPLECLAW_<KIND>_<NAME> option ON).
  for (const char* ch : {"webchat", "telegram", "irc", "discord", "slack"})
    EXPECT_NE(r.channel(ch), nullptr) << ch;
  EXPECT_EQ(r.channel("nope"), nullptr);
  ASSERT_NE(r.provider("anthropic"), nullptr);
  EXPECT_EQ(r.provider("anthropic")->wire.get(), &providers::anthropic_wire());
  EXPECT_EQ(r.provider("openai")->wire.get(), &providers::openai_wire());
  EXPECT_EQ(r.provider("ollama")->wire.get(), &providers::ollama_wire());
  for (const char* t : {"exec", "web_fetch", "message"}) EXPECT_NE(r.tool(t), nullptr) << t;

  // Adding every built-in again to a fresh registry works (unique names); a second of
  // the same name and kind is refused as a conflict. One name in two kinds is fine.
  sdk::Registry copy;
  for (const auto& c : r.channels()) EXPECT_TRUE(copy.add_channel(c).ok());
  for (const auto& p : r.providers()) EXPECT_TRUE(copy.add_provider(p).ok());
  for (const auto& t : r.tools()) EXPECT_TRUE(copy.add_tool(t).ok());
  Status again = copy.add_channel(r.channels().front());
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().is_conflict());
  EXPECT_NE(again.error().message.find("channel registered twice: webchat"), std::string::npos);
  EXPECT_TRUE(copy.add_provider(r.providers().front()).error().is_conflict());
  EXPECT_TRUE(copy.add_tool(r.tools().front()).error().is_conflict());
  EXPECT_TRUE(copy.add_channel({"exec", "a channel named like a tool", nullptr}).ok());
  EXPECT_FALSE(copy.add_provider({"no wire format", nullptr}).ok());
}

struct NullStore final : tools::ApprovalStore {
  void save(const tools::ApprovalRecord&) override {}
  void load_pending(std::function<void(std::vector<tools::ApprovalRecord>)> done) override {
    done({});
  }
};
struct NullSink final : tools::ApprovalSink {
  void approval_event(const char*, Json) override {}
};

TEST(Registry, EachToolExtensionBuildsAProviderOfferingItsTool) {
  boost::asio::io_context io;
  NullStore store;
  NullSink sink;
  tools::ApprovalManager approvals(io, store, sink);
  sdk::ToolServices services{io, approvals, "/tmp", nullptr, nullptr};
  for (const auto& ext : builtin_registry().tools()) {
    std::unique_ptr<tools::ToolProvider> p = ext.factory(services);
    ASSERT_NE(p, nullptr) << ext.name;
    std::vector<sdk::ToolSpec> specs = p->specs();
    EXPECT_TRUE(std::any_of(specs.begin(), specs.end(),
                            [&](const sdk::ToolSpec& s) { return s.name == ext.name; }))
        << ext.name << " does not offer a tool of its name";
    EXPECT_TRUE(p->handles(ext.name));
    EXPECT_FALSE(p->handles("nope"));
  }
}

TEST(Registry, ACatalogWithoutAProvidersWireFormatRefusesItAndSaysHowToBuildIt) {
  boost::asio::io_context io;
  providers::Catalog catalog(io);
  config::ModelsConfig models;
  config::ProviderConfig local;
  local.name = "local";
  local.api = "ollama";
  local.base_url = "http://127.0.0.1:1";
  models.providers.push_back(local);
  catalog.set_config(models);
  ASSERT_TRUE(catalog.resolve("local/llama3").ok());  // every wire format by default

  catalog.set_wire_formats({&providers::openai_wire(), &providers::anthropic_wire()});
  auto r = catalog.resolve("local/llama3");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("api ollama is not built into this simpleclaw"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("-DSIMPLECLAW_PROVIDER_OLLAMA=ON"), std::string::npos);
  // Nor is it probed: nothing to wait for, no probe state.
  bool done = false;
  catalog.probe([&] { done = true; });
  io.run();
  EXPECT_TRUE(done);
  EXPECT_TRUE(catalog.probe_states().empty());
}

}  // namespace
}  // namespace simpleclaw::plugins
