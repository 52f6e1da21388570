// Agents end to end: agents.create/update/delete persisted in config.yaml through the
// config CAS path, and agents.files.* on the workspace, against the real gateway
// process and the fake LLM.
#include <sys/stat.h>
#include <unistd.h>

#include "chat_helpers.h"

namespace sctest {
namespace {

using fakes::FakeLlm;

Json agent_in_list(WsClient& c, const std::string& id) {
  auto r = c.call("agents.list");
  EXPECT_TRUE(r.ok());
  if (!r.ok()) return Json();
  for (const Json& a : (*r)["agents"])
    if (a["id"] == id) return a;
  return Json();
}

TEST(Agents, CreateUpdateDeleteArePersistedInConfigYamlAndSurviveARestart) {
  FakeLlm llm;
  TempDir keep;
  StartOptions o = with_config(config_for(llm));
  o.state_dir = keep.path() + "/state";
  std::string saved_config;
  {
    START_GATEWAY(gw, o);
    auto c = gw->connect();
    ASSERT_NE(c, nullptr);
    auto made =
        c->call("agents.create", Json{{"name", "Research Bot"}, {"model", "claude/claude-test"}});
    ASSERT_TRUE(made.ok()) << made.error().message;
    EXPECT_EQ((*made)["agentId"], "research-bot");
    EXPECT_EQ((*made)["name"], "Research Bot");
    std::string ws = (*made)["workspace"];
    EXPECT_EQ(ws, o.state_dir + "/agents/research-bot/workspace");
    struct stat st;
    ASSERT_EQ(::stat(ws.c_str(), &st), 0) << "workspace made, ready for agents.files.set";
    EXPECT_TRUE(S_ISDIR(st.st_mode));

    std::string yaml = read_text(gw->config_path());
    EXPECT_NE(yaml.find("research-bot"), std::string::npos) << yaml;
    Json listed = agent_in_list(*c, "research-bot");
    EXPECT_EQ(listed["model"]["primary"], "claude/claude-test");

    // The new agent answers, from its own model (the Anthropic wire format).
    send(*c, "agent:research-bot:main", "hi", "ag-1");
    auto evs = chat_events(*c, "ag-1");
    ASSERT_FALSE(evs.empty());
    EXPECT_EQ(evs.back()["state"], "final");
    EXPECT_EQ(llm.requests().back().path, "/v1/messages");

    // Rename, clear the model (back to models.default), and give main a display name:
    // main had no entry in the file, so one is added.
    auto up =
        c->call("agents.update",
                Json{{"agentId", "research-bot"}, {"name", "Researcher"}, {"model", nullptr}});
    ASSERT_TRUE(up.ok()) << up.error().message;
    listed = agent_in_list(*c, "research-bot");
    EXPECT_EQ(listed["name"], "Researcher");
    EXPECT_EQ(listed["model"]["primary"], "fake/gpt-test");
    ASSERT_TRUE(c->call("agents.update", Json{{"agentId", "main"}, {"name", "Boss"}}).ok());
    EXPECT_EQ(agent_in_list(*c, "main")["name"], "Boss");

    auto second = c->call("agents.create", Json{{"name", "Scratch"}});
    ASSERT_TRUE(second.ok()) << second.error().message;
    auto del = c->call("agents.delete", Json{{"agentId", "scratch"}});
    ASSERT_TRUE(del.ok()) << del.error().message;
    EXPECT_TRUE(agent_in_list(*c, "scratch").is_null());
    saved_config = read_text(gw->config_path());
    EXPECT_EQ(saved_config.find("scratch"), std::string::npos) << saved_config;
  }
  // A new process on the same file sees exactly that.
  o.config_yaml = saved_config;
  START_GATEWAY(gw2, o);
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(agent_in_list(*c2, "research-bot")["name"], "Researcher");
  EXPECT_EQ(agent_in_list(*c2, "main")["name"], "Boss");
  EXPECT_TRUE(agent_in_list(*c2, "scratch").is_null());
}

TEST(Agents, BadRequestsAreRefusedAndTheFileIsUntouched) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->call("agents.create", Json{{"name", "Helper"}}).ok());
  std::string before = read_text(gw->config_path());

  auto expect_error = [&](const char* method, const Json& params, const std::string& code,
                          const std::string& text) {
    auto r = c->call(method, params);
    ASSERT_FALSE(r.ok()) << method << " " << params.dump();
    EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
    if (!code.empty()) {
      EXPECT_EQ(r.error().details.value("code", ""), code) << r.error().message;
    }
    EXPECT_EQ(read_text(gw->config_path()), before) << method << " changed the file";
  };
  expect_error("agents.create", Json{{"name", "helper"}}, "AGENT_EXISTS", "already exists");
  expect_error("agents.create", Json{{"name", "!!!"}}, "", "letter or digit");
  expect_error("agents.create", Json{{"name", "Other"}, {"model", "nope/x"}}, "MODEL_NOT_FOUND",
               "unknown provider 'nope'");
  expect_error("agents.create", Json{{"name", "X"}, {"extra", 1}}, "", "extra");
  expect_error("agents.update", Json{{"agentId", "ghost"}, {"name", "G"}}, "AGENT_NOT_FOUND",
               "unknown agent: ghost");
  expect_error("agents.update", Json{{"agentId", "helper"}, {"model", "fake"}}, "MODEL_NOT_FOUND",
               "expected provider/model");
  // What the config check refuses is refused too, with the config's own words.
  expect_error("agents.update", Json{{"agentId", "helper"}, {"name", std::string(201, 'n')}}, "",
               "name");
  expect_error("agents.delete", Json{{"agentId", "main"}}, "AGENT_PROTECTED", "main");
  expect_error("agents.delete", Json{{"agentId", "ghost"}}, "AGENT_NOT_FOUND", "ghost");

  // Same CAS path as config.patch: a client holding the hash from before an agent edit
  // gets a conflict instead of overwriting it.
  auto got = c->call("config.get");
  ASSERT_TRUE(got.ok());
  std::string old_hash = (*got)["hash"];
  ASSERT_TRUE(c->call("agents.update", Json{{"agentId", "helper"}, {"name", "Helper 2"}}).ok());
  auto stale = c->call("config.patch", Json{{"raw", Json{{"logging", {{"level", "debug"}}}}},
                                            {"baseHash", old_hash}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().details.value("code", ""), "CONFIG_CONFLICT");
  EXPECT_EQ(agent_in_list(*c, "helper")["name"], "Helper 2");
}

TEST(Agents, TheDefaultAgentIsProtectedAndDeleteFilesKeepsForeignFiles) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, "agents:\n  default: ops\n  list: [{id: ops}]\n")));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto ops = c->call("agents.delete", Json{{"agentId", "ops"}});
  ASSERT_FALSE(ops.ok());
  EXPECT_NE(ops.error().message.find("default agent"), std::string::npos) << ops.error().message;

  auto made = c->call("agents.create", Json{{"name", "Temp"}});
  ASSERT_TRUE(made.ok());
  std::string ws = (*made)["workspace"];
  ASSERT_TRUE(
      c->call("agents.files.set", Json{{"agentId", "temp"}, {"name", "SOUL.md"}, {"content", "x"}})
          .ok());
  write_text(ws + "/notes.txt", "mine");  // not a workspace file: never deleted
  auto del = c->call("agents.delete", Json{{"agentId", "temp"}, {"deleteFiles", true}});
  ASSERT_TRUE(del.ok()) << del.error().message;
  EXPECT_EQ((*del)["removedFiles"], Json::array({"SOUL.md"}));
  EXPECT_FALSE(file_exists(ws + "/SOUL.md"));
  EXPECT_EQ(read_text(ws + "/notes.txt"), "mine");

  // Without foreign files the directory goes too; without deleteFiles nothing is removed.
  ASSERT_TRUE(c->call("agents.create", Json{{"name", "Gone"}}).ok());
  ASSERT_TRUE(
      c->call("agents.files.set", Json{{"agentId", "gone"}, {"name", "USER.md"}, {"content", "u"}})
          .ok());
  ASSERT_TRUE(c->call("agents.create", Json{{"name", "Kept"}}).ok());
  ASSERT_TRUE(
      c->call("agents.files.set", Json{{"agentId", "kept"}, {"name", "USER.md"}, {"content", "k"}})
          .ok());
  ASSERT_TRUE(c->call("agents.delete", Json{{"agentId", "gone"}, {"deleteFiles", true}}).ok());
  ASSERT_TRUE(c->call("agents.delete", Json{{"agentId", "kept"}}).ok());
  EXPECT_FALSE(file_exists(gw->state_dir() + "/agents/gone/workspace"));
  EXPECT_EQ(read_text(gw->state_dir() + "/agents/kept/workspace/USER.md"), "k");
}
TEST(AgentFiles, SetGetListAndTheSystemPromptUsesThem) {
  fakes::FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto set = c->call("agents.files.set",
                     Json{{"agentId", "main"}, {"name", "SOUL.md"}, {"content", "Be brief."}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ((*set)["file"]["size"], 9);
  auto get = c->call("agents.files.get", Json{{"agentId", "main"}, {"name", "SOUL.md"}});
  ASSERT_TRUE(get.ok()) << get.error().message;
  EXPECT_EQ((*get)["file"]["content"], "Be brief.");
  auto missing = c->call("agents.files.get", Json{{"agentId", "main"}, {"name", "USER.md"}});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ((*missing)["file"]["missing"], true);
  auto list = c->call("agents.files.list", Json{{"agentId", "main"}});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["files"].size(), 8u);
  EXPECT_EQ((*list)["files"][0]["name"], "AGENTS.md");
  send(*c, "main", "hi", "af-1");
  chat_events(*c, "af-1");
  std::string system = llm.requests().back().body["messages"][0]["content"];
  EXPECT_NE(system.find("Be brief."), std::string::npos) << system;
}

TEST(AgentFiles, PathEscapesAreRejectedAndNothingIsWritten) {
  fakes::FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  std::string outside = gw->dir() + "/outside.md";
  for (const std::string name : {"../outside.md", "/etc/passwd", "notes.txt", "SOUL.md/../../x"}) {
    auto r = c->call("agents.files.set",
                     Json{{"agentId", "main"}, {"name", name}, {"content", "pwned"}});
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_NE(r.error().message.find("workspace file"), std::string::npos) << r.error().message;
  }
  // A symlink inside the workspace pointing outside is refused for reading and writing.
  write_text(outside, "secret");
  std::string ws = gw->state_dir() + "/agents/main/workspace";
  ASSERT_TRUE(c->call("agents.files.set",
                      Json{{"agentId", "main"}, {"name", "AGENTS.md"}, {"content", "x"}})
                  .ok());
  ASSERT_EQ(::symlink(outside.c_str(), (ws + "/MEMORY.md").c_str()), 0);
  auto rd = c->call("agents.files.get", Json{{"agentId", "main"}, {"name", "MEMORY.md"}});
  ASSERT_FALSE(rd.ok());
  EXPECT_NE(rd.error().message.find("escapes the workspace"), std::string::npos);
  auto wr = c->call("agents.files.set",
                    Json{{"agentId", "main"}, {"name", "MEMORY.md"}, {"content", "pwned"}});
  ASSERT_FALSE(wr.ok());
  EXPECT_EQ(read_text(outside), "secret");
  auto big = c->call("agents.files.set", Json{{"agentId", "main"},
                                              {"name", "USER.md"},
                                              {"content", std::string(2 * 1024 * 1024 + 1, 'a')}});
  ASSERT_FALSE(big.ok());
  auto ghost = c->call("agents.files.list", Json{{"agentId", "ghost"}});
  ASSERT_FALSE(ghost.ok());
  EXPECT_NE(ghost.error().message.find("unknown agent: ghost"), std::string::npos);
}

}  // namespace
}  // namespace sctest
