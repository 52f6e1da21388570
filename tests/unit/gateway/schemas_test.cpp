// Embedded protocol schemas: every one compiles, frames and params are enforced, and the
// error text is "<json-pointer>: <reason>" as clients expect after "invalid <m> params: ".
#include "gateway/protocol/schemas.h"

#include <gtest/gtest.h>

#include "gateway/methods/table.h"

using namespace simpleclaw;

TEST(Schemas, AllLoadAndEveryMethodHasParamsSchema) {
  ASSERT_TRUE(protocol::load_schemas().ok());
  for (const auto& m : gateway::method_table()) {
    EXPECT_TRUE(protocol::has_schema("methods/" + std::string(m.name) + ".params")) << m.name;
    EXPECT_TRUE(protocol::has_schema("methods/" + std::string(m.name) + ".result")) << m.name;
  }
  for (const char* f : {"frames/req", "frames/res", "frames/event", "methods/connect.params",
                        "methods/connect.result"})
    EXPECT_TRUE(protocol::has_schema(f)) << f;
  EXPECT_TRUE(protocol::all_schemas().contains("frames/req"));
}

struct Case {
  const char* schema;
  const char* json;
  const char* error;  // nullptr = valid; else expected prefix of the message
};

class SchemaCases : public testing::TestWithParam<Case> {};

TEST_P(SchemaCases, Validates) {
  const Case& c = GetParam();
  auto r = protocol::validate(c.schema, Json::parse(c.json));
  if (!c.error) {
    EXPECT_TRUE(r.ok()) << c.json << " -> " << (r.ok() ? "" : r.error().message);
  } else {
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().message.rfind(c.error, 0), 0u) << r.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Frames, SchemaCases,
    testing::Values(
        Case{"frames/req", R"({"type":"req","id":"1","method":"health"})", nullptr},
        Case{"frames/req",
             R"({"type":"req","id":"1","method":"health","params":{"a":1},"traceparent":"00-x"})",
             nullptr},
        Case{"frames/req", R"({"type":"req","id":"","method":"health"})", "/id: "},
        Case{"frames/req", R"({"type":"req","method":"health"})",
             "/: must have required property 'id'"},
        Case{"frames/req", R"({"type":"req","id":"1","method":"x","extra":1})",
             "/: unexpected property 'extra'"},
        Case{"frames/req", R"({"type":"res","id":"1","method":"x"})", "/type: "},
        Case{"frames/event", R"({"type":"event","event":"tick","payload":{"ts":1},"seq":1})",
             nullptr},
        Case{"frames/event", R"({"type":"event","event":"tick","seq":0})", "/seq: "},
        Case{"frames/res",
             R"({"type":"res","id":"1","ok":false,"error":{"code":"FORBIDDEN","message":"m"}})",
             nullptr},
        Case{"frames/res",
             R"({"type":"res","id":"1","ok":false,"error":{"code":"NOPE","message":"m"}})",
             "/error/code: "}));

INSTANTIATE_TEST_SUITE_P(
    Params, SchemaCases,
    testing::Values(
        Case{"methods/health.params", R"(null)", nullptr},
        Case{"methods/health.params", R"({"probe":true})", nullptr},
        Case{"methods/health.params", R"({"probe":"yes"})", "/probe: "},
        Case{"methods/logs.tail.params", R"({"limit":0})", "/limit: "},
        Case{"methods/logs.tail.params", R"({"limit":5000,"cursor":0,"maxBytes":1000000})",
             nullptr},
        Case{"methods/logs.tail.params", R"({"maxBytes":1000001})", "/maxBytes: "},
        Case{"methods/config.set.params", R"({"raw":"a: 1","baseHash":"x"})", nullptr},
        Case{"methods/config.set.params", R"({"baseHash":"x"})",
             "/: must have required property 'raw'"},
        Case{"methods/config.set.params", R"({"raw":""})", "/raw: "},
        Case{"methods/config.patch.params", R"({"raw":{"logging":{"level":"debug"}}})", nullptr},
        Case{"methods/config.patch.params", R"({"raw":42})", "/raw: "},
        Case{
            "methods/connect.params",
            R"({"minProtocol":4,"maxProtocol":4,"client":{"id":"any-new-client","version":"1","platform":"p","mode":"brand-new-mode","x":1},"scopes":["operator.read","operator.talk.secrets"],"futureKey":true})",
            nullptr},
        Case{"methods/connect.params", R"({"minProtocol":4,"maxProtocol":4})",
             "/: must have required property 'client'"},
        Case{
            "methods/connect.params",
            R"({"minProtocol":"4","maxProtocol":4,"client":{"id":"c","version":"1","platform":"p","mode":"m"}})",
            "/minProtocol: "}));
