// Webhook message templates (base/text_template.h): what a named hook writes into a
// transcript from a sender's JSON body and headers.
#include "base/text_template.h"

#include <gtest/gtest.h>

namespace simpleclaw {
namespace {

Json github_push() {
  return Json{{"body",
               {{"repository", {{"full_name", "acme/app"}, {"stars", 42}, {"private", false}}},
                {"commits", Json::array({{{"message", "fix: one"}}, {{"message", "feat: two"}}})},
                {"pusher", nullptr},
                {"text", "{{headers.authorization}}"}}},
              {"headers", {{"x-github-event", "push"}}},
              {"name", "github"}};
}

TEST(TextTemplate, FillsPathsFromTheBodyHeadersAndName) {
  struct Case {
    const char* tmpl;
    const char* want;
  };
  const Case cases[] = {
      {"{{name}}: {{headers.x-github-event}} to {{body.repository.full_name}}",
       "github: push to acme/app"},
      {"{{ body.repository.full_name }}", "acme/app"},  // blanks inside the braces
      {"first: {{body.commits.0.message}}, second: {{body.commits.1.message}}",
       "first: fix: one, second: feat: two"},
      {"{{body.repository.stars}} stars, private {{body.repository.private}}",
       "42 stars, private false"},                                   // numbers and booleans as JSON
      {"[{{body.pusher}}]", "[]"},                                   // null renders empty
      {"[{{body.nothing.here}}][{{headers.x-missing}}]", "[][]"},    // missing renders empty
      {"[{{body.commits.7.message}}][{{body.commits.x}}]", "[][]"},  // bad indexes too
      {"{{body.repository.full_name.deeper}}", ""},                  // a string has no fields
      {"{{body.commits.1}}", R"({"message":"feat: two"})"},          // objects as compact JSON
      {"no placeholders", "no placeholders"},
      {"unclosed {{body.repository", "unclosed {{body.repository"},  // copied as text
  };
  for (const Case& c : cases) EXPECT_EQ(render_template(c.tmpl, github_push()), c.want) << c.tmpl;
}

TEST(TextTemplate, InsertedValuesAreNeverExpandedAgain) {
  // The body holds a placeholder of its own: it stays text, it is not filled in.
  EXPECT_EQ(render_template("said: {{body.text}}", github_push()),
            "said: {{headers.authorization}}");
}

TEST(TextTemplate, OutputIsCutAtTheLimitOnACharacterBoundary) {
  Json ctx{{"body", {{"big", std::string(100'000, 'x')}, {"euro", "€€€€"}}}};
  EXPECT_EQ(render_template("{{body.big}}", ctx).size(), kTemplateMaxOutput);
  EXPECT_EQ(render_template("{{body.big}}{{body.big}}", ctx, 10), std::string(10, 'x'));
  // "€" is three bytes: a cut at 7 keeps two whole ones, never half of the third.
  EXPECT_EQ(render_template("{{body.euro}}", ctx, 7), "€€");
}

TEST(TextTemplate, CheckNamesTheFirstBadPlaceholder) {
  const std::initializer_list<std::string_view> roots = {"body", "headers", "name"};
  EXPECT_TRUE(check_template("{{body.a.b}} {{ headers.x-y }} {{name}} plain", roots).ok());
  struct Case {
    const char* tmpl;
    const char* says;
  };
  const Case bad[] = {
      {"hello {{body.a", "not closed"},
      {"{{env.HOME}}", "must start with one of: body, headers, name"},
      {"{{body..a}}", "not a dotted path"},
      {"{{}}", "not a dotted path"},
      {"{{body.a b}}", "not a dotted path"},
  };
  for (const Case& c : bad) {
    Status s = check_template(c.tmpl, roots);
    ASSERT_FALSE(s.ok()) << c.tmpl;
    EXPECT_NE(s.error().message.find(c.says), std::string::npos) << s.error().message;
  }
  std::string deep = "{{body";
  for (int i = 0; i < 40; ++i) deep += ".a";
  EXPECT_FALSE(check_template(deep + "}}", roots).ok());
}

}  // namespace
}  // namespace simpleclaw
