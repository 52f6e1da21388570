// YAML -> JSON scalar typing and lines, RFC 7396 merge patch, to_yaml round trips.
#include "config/yaml_json.h"

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace simpleclaw::config {
namespace {

struct ScalarCase {
  std::string yaml;  // the value after "v: "
  Json expected;
};

void PrintTo(const ScalarCase& c, std::ostream* os) {
  *os << c.yaml << " -> " << c.expected.dump();
}

class YamlScalar : public ::testing::TestWithParam<ScalarCase> {};

TEST_P(YamlScalar, Converts) {
  Result<Json> j = yaml_to_json("v: " + GetParam().yaml + "\n");
  ASSERT_TRUE(j.ok()) << j.error().message;
  const Json& v = (*j)["v"];
  EXPECT_EQ(v, GetParam().expected) << GetParam().yaml << " -> " << v.dump();
  EXPECT_EQ(v.type(), GetParam().expected.type()) << GetParam().yaml << " -> " << v.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, YamlScalar,
    ::testing::Values(
        ScalarCase{"true", true}, ScalarCase{"False", false}, ScalarCase{"\"true\"", "true"},
        ScalarCase{"'false'", "false"}, ScalarCase{"yes", "yes"},  // YAML 1.2: not a boolean
        ScalarCase{"42", 42}, ScalarCase{"-7", -7}, ScalarCase{"+3", 3}, ScalarCase{"\"42\"", "42"},
        ScalarCase{"0x1F", 31}, ScalarCase{"0o17", 15}, ScalarCase{"1.5", 1.5},
        ScalarCase{"-2.5e3", -2500.0}, ScalarCase{".5", 0.5}, ScalarCase{"'1.5'", "1.5"},
        ScalarCase{"~", nullptr}, ScalarCase{"null", nullptr}, ScalarCase{"", nullptr},
        ScalarCase{"\"\"", ""}, ScalarCase{"'null'", "null"}, ScalarCase{"!!str 12", "12"},
        ScalarCase{"hello world", "hello world"}, ScalarCase{"1.2.3", "1.2.3"},
        ScalarCase{"|\n  a\n  b", "a\nb\n"}, ScalarCase{">-\n  a\n  b", "a b"},
        ScalarCase{"[1, \"2\", x]", Json{1, "2", "x"}}, ScalarCase{"{a: 1}", Json{{"a", 1}}},
        ScalarCase{".inf", ".inf"}, ScalarCase{"12345678901234567890", 12345678901234567890ULL}));

TEST(YamlJson, NonStringKeysAreStringified) {
  Result<Json> j = yaml_to_json("1: a\ntrue: b\n[x, y]: c\n");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["1"], "a");
  EXPECT_EQ((*j)["true"], "b");
  EXPECT_EQ(j->size(), 3u);
}

TEST(YamlJson, EmptyIsObject) {
  Result<Json> j = yaml_to_json("");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(*j, Json::object());
}

TEST(YamlJson, ErrorsCarryTheLine) {
  Result<Json> j = yaml_to_json("a: 1\nb: [1\n");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.error().message.find("line 3"), std::string::npos) << j.error().message;
  Result<Json> d = yaml_to_json("a: 1\na: 2\n");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("duplicate key 'a'"), std::string::npos) << d.error().message;
}

// yaml-cpp 0.7 loops forever on these (a token no grammar rule consumes); found by
// fuzz_config_loader. Each must be a prompt syntax error naming the line.
TEST(YamlJson, StrayCommaIsASyntaxErrorNotAHang) {
  for (const char* text :
       {",", "  , a: b\n", "a: 1\n, b: 2\n", "gateway:\n  # tls:\n  ,   x: 1\n"}) {
    Result<Json> j = yaml_to_json(text);
    ASSERT_FALSE(j.ok()) << text;
    EXPECT_NE(j.error().message.find("YAML syntax error"), std::string::npos) << j.error().message;
  }
  EXPECT_NE(yaml_to_json("  , a: b\n").error().message.find("unexpected ','"), std::string::npos);
  Result<Json> j = yaml_to_json("\n\n, b: 2\n");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.error().message.find("line 3"), std::string::npos) << j.error().message;
}

TEST(YamlJson, InvalidUtf8IsRejectedWithTheLine) {
  Result<Json> j = yaml_to_json("a: ok\nb: caf\xE9\n");  // Latin-1, not UTF-8
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.error().message.find("line 2"), std::string::npos) << j.error().message;
  EXPECT_NE(j.error().message.find("UTF-8"), std::string::npos) << j.error().message;
  EXPECT_TRUE(yaml_to_json("b: caf\xC3\xA9\n").ok());
  Result<Json> s = yaml_to_json("a: \"\\uD800\"\n");
  EXPECT_FALSE(s.ok()) << "a lone surrogate escape is not text either";
}

TEST(YamlJson, SecondDocumentIsRejectedWithItsLine) {
  Result<Json> j = yaml_to_json("a: 1\n---\nb: 2\n");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.error().message.find("only one YAML document"), std::string::npos)
      << j.error().message;
  EXPECT_NE(j.error().message.find("line 2"), std::string::npos) << j.error().message;
  EXPECT_TRUE(yaml_to_json("---\na: 1\n...\n").ok()) << "explicit markers on one document";
}

TEST(YamlJson, RecordsLinesForEveryNode) {
  detail::YamlDoc y = detail::parse_yaml(
      "# c\n"
      "gateway:\n"                  // 2
      "  port: 1\n"                 // 3
      "  allowed_origins:\n"        // 4
      "    - a\n"                   // 5
      "    - b\n"                   // 6
      "  tls: {enabled: true}\n");  // 7
  ASSERT_FALSE(y.syntax_error);
  EXPECT_EQ(detail::line_of(y, "gateway"), 2);
  EXPECT_EQ(detail::line_of(y, "gateway.port"), 3);
  EXPECT_EQ(detail::line_of(y, "gateway.allowed_origins"), 4);
  EXPECT_EQ(detail::line_of(y, "gateway.allowed_origins[0]"), 5);
  EXPECT_EQ(detail::line_of(y, "gateway.allowed_origins[1]"), 6);
  EXPECT_EQ(detail::line_of(y, "gateway.tls.enabled"), 7);
  EXPECT_EQ(detail::line_of(y, "gateway.tls.missing"), 7) << "falls back to the parent";
}

TEST(YamlJson, AliasBombIsRejected) {
  std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c, ++prev)
    yaml += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
  Result<Json> j = yaml_to_json(yaml);
  EXPECT_FALSE(j.ok());
}

// RFC 7396 Appendix A.
struct PatchCase {
  Json target;
  Json patch;
  Json result;
};

void PrintTo(const PatchCase& c, std::ostream* os) {
  *os << c.target.dump() << " + " << c.patch.dump() << " = " << c.result.dump();
}

class MergePatch : public ::testing::TestWithParam<PatchCase> {};

TEST_P(MergePatch, Rfc7396) {
  EXPECT_EQ(merge_patch(GetParam().target, GetParam().patch), GetParam().result);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7396AppendixA, MergePatch,
    ::testing::Values(
        PatchCase{Json::parse(R"({"a":"b"})"), Json::parse(R"({"a":"c"})"),
                  Json::parse(R"({"a":"c"})")},
        PatchCase{Json::parse(R"({"a":"b"})"), Json::parse(R"({"b":"c"})"),
                  Json::parse(R"({"a":"b","b":"c"})")},
        PatchCase{Json::parse(R"({"a":"b"})"), Json::parse(R"({"a":null})"), Json::parse(R"({})")},
        PatchCase{Json::parse(R"({"a":"b","b":"c"})"), Json::parse(R"({"a":null})"),
                  Json::parse(R"({"b":"c"})")},
        PatchCase{Json::parse(R"({"a":["b"]})"), Json::parse(R"({"a":"c"})"),
                  Json::parse(R"({"a":"c"})")},
        PatchCase{Json::parse(R"({"a":"c"})"), Json::parse(R"({"a":["b"]})"),
                  Json::parse(R"({"a":["b"]})")},
        PatchCase{Json::parse(R"({"a":{"b":"c"}})"), Json::parse(R"({"a":{"b":"d","c":null}})"),
                  Json::parse(R"({"a":{"b":"d"}})")},
        PatchCase{Json::parse(R"({"a":[{"b":"c"}]})"), Json::parse(R"({"a":[1]})"),
                  Json::parse(R"({"a":[1]})")},
        PatchCase{Json::parse(R"(["a","b"])"), Json::parse(R"(["c","d"])"),
                  Json::parse(R"(["c","d"])")},
        PatchCase{Json::parse(R"({"a":"b"})"), Json::parse(R"(["c"])"), Json::parse(R"(["c"])")},
        PatchCase{Json::parse(R"({"a":"foo"})"), Json::parse("null"), Json::parse("null")},
        PatchCase{Json::parse(R"({"a":"foo"})"), Json::parse(R"("bar")"), Json::parse(R"("bar")")},
        PatchCase{Json::parse(R"({"e":null})"), Json::parse(R"({"a":1})"),
                  Json::parse(R"({"e":null,"a":1})")},
        PatchCase{Json::parse(R"([1,2])"), Json::parse(R"({"a":"b","c":null})"),
                  Json::parse(R"({"a":"b"})")},
        PatchCase{Json::parse(R"({})"), Json::parse(R"({"a":{"bb":{"ccc":null}}})"),
                  Json::parse(R"({"a":{"bb":{}}})")}));

class ToYamlRoundTrip : public ::testing::TestWithParam<Json> {};

TEST_P(ToYamlRoundTrip, ReadsBackTheSameDocument) {
  std::string yaml = to_yaml(GetParam());
  Result<Json> back = yaml_to_json(yaml);
  ASSERT_TRUE(back.ok()) << yaml << back.error().message;
  EXPECT_EQ(*back, GetParam()) << yaml;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ToYamlRoundTrip,
    ::testing::Values(
        Json::object(),
        Json::parse(R"({"gateway":{"port":18789,"bind":"loopback","auth":{"token":"${TOKEN}"}}})"),
        Json::parse(R"({"s":["true","false","null","~","","123","-1.5","0x10","yes","No","on",)"
                    R"(" lead","trail ","a: b","- x","#c","x #y"]})"),
        Json::parse(
            R"({"n":[1,-2,3.25,1e300,true,false,null],"e":{},"a":[],"nested":[[1],{"k":"v"}]})"),
        Json::parse(R"({"multi":"line1\nline2\n","unicode":"héllo ☃","quote":"it's \"q\""})"),
        Json::parse(R"({"123":"numeric key","true":"bool key","":"empty key"})")));

TEST(ToYaml, BlockStyleAndKeyOrderOfOrderedDocuments) {
  EXPECT_EQ(to_yaml(Json::parse(R"({"gateway":{"port":1,"bind":"all"}})")),
            "gateway:\n  bind: all\n  port: 1\n");
  detail::OJson ordered = detail::OJson::parse(R"({"z":1,"a":{"c":"true","b":[1,2]}})");
  EXPECT_EQ(detail::emit_yaml(ordered), "z: 1\na:\n  c: \"true\"\n  b:\n    - 1\n    - 2\n");
}

}  // namespace
}  // namespace simpleclaw::config
