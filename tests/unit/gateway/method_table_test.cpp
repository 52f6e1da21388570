// The method table is the single source of truth for a method: these checks fail the
// build's tests when a row and the rest of the code disagree (a schema file missing, a
// declared session-key or agent field the params schema does not have, a session key
// param nobody declared, docs/methods.md out of date).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "base/check.h"
#include "gateway/methods/table.h"
#include "gateway/protocol/schemas.h"

namespace simpleclaw::gateway {
namespace {

const Json& schemas() {
  static const Json all = protocol::all_schemas();
  return all;
}

const Json& params_of(const MethodSpec& m) {
  static const Json kNone;
  const std::string key = "methods/" + std::string(m.name) + ".params";
  return schemas().contains(key) ? schemas()[key] : kNone;
}

// The params schema declares `field` as a string property.
bool declares_string(const Json& schema, std::string_view field) {
  if (!schema.is_object() || !schema.contains("properties")) return false;
  const Json& props = schema["properties"];
  auto it = props.find(std::string(field));
  if (it == props.end()) return false;
  const Json& type = it->is_object() && it->contains("type") ? (*it)["type"] : Json();
  return type == "string" ||
         (type.is_array() && std::find(type.begin(), type.end(), "string") != type.end());
}

TEST(MethodTable, EveryRowIsCompleteAndNamesAreUnique) {
  ASSERT_TRUE(protocol::load_schemas().ok());
  std::set<std::string_view> names;
  for (const MethodSpec& m : method_table()) {
    EXPECT_TRUE(names.insert(m.name).second) << "listed twice: " << m.name;
    EXPECT_NE(m.handler, nullptr) << m.name;
    EXPECT_FALSE(m.summary.empty()) << m.name;
    EXPECT_TRUE(protocol::has_schema("methods/" + std::string(m.name) + ".params"))
        << m.name << ": no params schema file";
    EXPECT_TRUE(protocol::has_schema("methods/" + std::string(m.name) + ".result"))
        << m.name << ": no result schema file";
    EXPECT_EQ(find_method(m.name), &m);
    EXPECT_EQ(&method_table()[method_slot(m)], &m);
  }
  EXPECT_EQ(find_method("nope"), nullptr);
  EXPECT_EQ(find_method("connect"), nullptr) << "connect is the handshake, not a method";
}

TEST(MethodTable, DeclaredKeyAndAgentFieldsAreStringParams) {
  for (const MethodSpec& m : method_table()) {
    if (!m.key_field.empty())
      EXPECT_TRUE(declares_string(params_of(m), m.key_field))
          << m.name << ": key_field " << m.key_field << " is not a string param of its schema";
    if (!m.agent_field.empty())
      EXPECT_TRUE(declares_string(params_of(m), m.agent_field))
          << m.name << ": agent_field " << m.agent_field << " is not a string param";
  }
}

TEST(MethodTable, EverySessionKeyParamIsDeclaredSoSharedModeMovesIt) {
  // A method taking a session key that does not declare it would let a shared-mode user
  // name another user's session: the table must say which param it is.
  for (const MethodSpec& m : method_table()) {
    const Json& schema = params_of(m);
    for (const char* field : {"sessionKey", "key"}) {
      if (!declares_string(schema, field)) continue;
      if (m.name.rfind("config.", 0) == 0) continue;  // config.* have no key param
      EXPECT_EQ(m.key_field, field) << m.name << " takes a session key in " << field;
    }
  }
}

TEST(MethodTable, SharedModeRules) {
  for (const char* name :
       {"config.get", "logs.tail", "status", "system-presence", "channels.status", "node.list",
        "node.describe", "node.invoke", "plugins.list"}) {
    const MethodSpec* m = find_method(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_EQ(m->shared, SharedRule::kAdminOnly) << name;
  }
  for (const char* name : {"chat.send", "chat.history", "sessions.list", "health", "agents.list",
                           "agents.files.get"}) {
    const MethodSpec* m = find_method(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_EQ(m->shared, SharedRule::kUser) << name;
  }
  EXPECT_EQ(find_method("chat.send")->key_field, "sessionKey");
  EXPECT_EQ(find_method("chat.send")->agent_field, "agentId");
  EXPECT_EQ(find_method("sessions.reset")->key_field, "key");
  EXPECT_EQ(find_method("agents.files.list")->agent_field, "agentId");
}

TEST(MethodTable, TheCommittedReferenceIsTheGeneratedOne) {
  std::ifstream in(SIMPLECLAW_SOURCE_DIR "/docs/methods.md");
  ASSERT_TRUE(in) << "docs/methods.md is missing: run `simpleclaw call --methods-markdown > "
                     "docs/methods.md`";
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_EQ(file.str(), methods_markdown())
      << "docs/methods.md is out of date: run `./build/src/simpleclaw call --methods-markdown > "
         "docs/methods.md`";
  for (const MethodSpec& m : method_table())
    EXPECT_NE(file.str().find("## " + std::string(m.name) + "\n"), std::string::npos) << m.name;
}

// One way to answer: a Responder (and every copy of it: a deferred handler keeps one)
// sends exactly one answer; a second is a broken invariant, counted and not sent.
TEST(Responder, AnswersOnceAcrossCopiesAndASecondAnswerIsRefused) {
  std::vector<Result<protocol::MethodResult>> sent;
  Responder respond([&](Result<protocol::MethodResult> r, bool) { sent.push_back(std::move(r)); });
  Responder later = respond;  // what a deferred handler captures
  EXPECT_FALSE(respond.answered());
  later(Json{{"ok", true}});
  EXPECT_TRUE(respond.answered());
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_TRUE(sent[0].ok());
  EXPECT_EQ(sent[0]->body(), (Json{{"ok", true}}));

  CheckMode was = check_mode();
  set_check_mode(CheckMode::kCount);
  auto violations = invariant_violations();
  respond(Error::invalid("too late"));
  set_check_mode(was);
  EXPECT_EQ(sent.size(), 1u) << "a second answer must never reach the socket";
  EXPECT_EQ(invariant_violations(), violations + 1);
}

// A two-phase method (`agent`) sends interim answers before the final one; they do not
// count as the answer, and none is sent after it.
TEST(Responder, InterimAnswersPrecedeTheOneFinalAnswer) {
  std::vector<std::pair<Json, bool>> sent;
  Responder respond([&](Result<protocol::MethodResult> r, bool interim) {
    sent.emplace_back(r->body(), interim);
  });
  respond.interim(Json{{"status", "accepted"}});
  EXPECT_FALSE(respond.answered());
  respond(Json{{"status", "ok"}});
  respond.interim(Json{{"status", "accepted"}});  // too late: dropped
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], std::make_pair(Json{{"status", "accepted"}}, true));
  EXPECT_EQ(sent[1], std::make_pair(Json{{"status", "ok"}}, false));
}

}  // namespace
}  // namespace simpleclaw::gateway
