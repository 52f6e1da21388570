// Model lists read from provider answers (providers/ollama_tags.h): Ollama's /api/tags and
// the OpenAI/Anthropic `data` lists; hostile shapes are refused or skipped, counts bounded.
#include "providers/ollama_tags.h"

#include <gtest/gtest.h>

namespace {

using namespace simpleclaw;
using namespace simpleclaw::providers;

TEST(OllamaTags, ReadsNamesInOrder) {
  auto m = parse_ollama_tags(
      R"({"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","size":1},)"
      R"({"model":"qwen2.5:7b"},{"name":""},{"name":42},"junk"]})");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].id, "llama3.2:latest");
  EXPECT_EQ((*m)[1].id, "qwen2.5:7b");
  EXPECT_EQ((*m)[0].context_window, kOllamaContextWindow);
}

TEST(OllamaTags, EmptyListIsOkAndWrongShapesAreErrors) {
  auto empty = parse_ollama_tags(R"({"models":[]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(parse_ollama_tags("not json").ok());
  EXPECT_FALSE(parse_ollama_tags(R"({"models":{}})").ok());
  EXPECT_FALSE(parse_ollama_tags(R"([1,2])").ok());
}

TEST(OllamaTags, BoundedCountAndIdLength) {
  Json list = Json::array();
  for (int i = 0; i < 500; ++i) list.push_back(Json{{"name", "m" + std::to_string(i)}});
  list.push_back(Json{{"name", std::string(5000, 'x')}});
  auto m = parse_ollama_tags(Json{{"models", list}}.dump());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), kMaxListedModels);
}

TEST(ModelIds, OpenAiAnthropicAndOllamaLists) {
  auto o = parse_model_ids(R"({"object":"list","data":[{"id":"gpt-4o"},{"id":"o3"},{}]})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*o, (std::vector<std::string>{"gpt-4o", "o3"}));
  auto a =
      parse_model_ids(R"({"data":[{"type":"model","id":"claude-sonnet-4-5"}],"has_more":false})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->front(), "claude-sonnet-4-5");
  auto t = parse_model_ids(R"({"models":[{"name":"llama3.2"}]})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->front(), "llama3.2");
  EXPECT_FALSE(parse_model_ids(R"({"error":"nope"})").ok());
  EXPECT_FALSE(parse_model_ids("<html>").ok());
}

}  // namespace
