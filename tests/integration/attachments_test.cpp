// Image attachments end to end: chat.send / sessions.send / agent with images, the
// request each provider wire format gets (as the fake LLM received it), chat.history
// showing them again, the content-addressed files under <state>/media surviving a
// restart, and every refusal leaving nothing behind.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "base/ids.h"
#include "chat_helpers.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using namespace std::string_literals;

// A real 1x1 PNG, and JPEG/GIF signatures with some bytes after them (the gateway checks
// the signature; providers would decode the rest).
const std::string kPng = *simpleclaw::base64_decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+"
    "M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
const std::string kJpeg = "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0"s;
const std::string kGif = "GIF89a\x01\0\x01\0\x80\0\0\xff\xff\xff\0\0\0!\xf9\x04\x01"s;

Json image(const std::string& bytes, const std::string& name = "",
           const std::string& declared = "image/png") {
  Json a{{"type", "image"}, {"mimeType", declared}, {"content", simpleclaw::base64(bytes)}};
  if (!name.empty()) a["fileName"] = name;
  return a;
}

Json send_with(WsClient& c, const std::string& key, const std::string& text, Json attachments,
               const std::string& idem) {
  auto r = c.call("chat.send", Json{{"sessionKey", key},
                                    {"message", text},
                                    {"idempotencyKey", idem},
                                    {"attachments", std::move(attachments)}});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return Json();
  auto evs = chat_events(c, idem);
  EXPECT_FALSE(evs.empty());
  if (!evs.empty()) {
    EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  }
  return *r;
}

std::vector<std::string> media_files(const std::string& state) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(state + "/media/sha256", ec))
    out.push_back(e.path().filename().string());
  return out;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The image parts of a chat.history message.
std::vector<Json> image_parts(const Json& message) {
  std::vector<Json> out;
  for (const Json& p : message["content"])
    if (p.value("type", "") == "image") out.push_back(p);
  return out;
}

TEST(Attachments, OpenAiGetsImageUrlPartsAndHistoryShowsTheImage) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  Json hello;
  auto c = gw->connect(gw->options(), &hello);
  ASSERT_NE(c, nullptr);
  // The Control UI reads the limit from hello-ok before it lets a user attach.
  EXPECT_EQ(hello["policy"]["attachments"]["maxImageBytes"], 5242880) << hello["policy"].dump();

  send_with(*c, "main", "what is this?", Json::array({image(kPng, "dot.png")}), "run-1");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const Json& user = reqs[0].body["messages"].back();
  EXPECT_EQ(user["role"], "user");
  EXPECT_EQ(user["content"],
            Json::parse(R"([{"type":"text","text":"what is this?"},{"type":"image_url",)"
                        R"("image_url":{"url":"data:image/png;base64,)" +
                        simpleclaw::base64(kPng) + R"("}}])"));

  // Stored once, under its hash, with the exact bytes.
  const std::string sha = sha256_hex(kPng);
  EXPECT_EQ(media_files(gw->state_dir()), std::vector<std::string>{sha + ".png"});
  EXPECT_EQ(file_bytes(gw->state_dir() + "/media/sha256/" + sha + ".png"), kPng);

  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ((*h)["messages"].size(), 2u);
  const Json& m = (*h)["messages"][0];
  EXPECT_EQ(m["content"][0], (Json{{"type", "text"}, {"text", "what is this?"}}));
  auto imgs = image_parts(m);
  ASSERT_EQ(imgs.size(), 1u);
  EXPECT_EQ(imgs[0]["data"], simpleclaw::base64(kPng));
  EXPECT_EQ(imgs[0]["mimeType"], "image/png");
  EXPECT_EQ(imgs[0]["fileName"], "dot.png");
  EXPECT_EQ(imgs[0]["sizeBytes"], kPng.size());
}

TEST(Attachments, AnthropicGetsBase64ImageBlocksOfTheSniffedType) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const std::string key = "agent:main:claude";
  ASSERT_TRUE(c->call("sessions.patch", Json{{"key", key}, {"model", "claude/claude-test"}}).ok());
  // Declared PNG, really a JPEG: the bytes win.
  send_with(*c, key, "and this?", Json::array({image(kJpeg, "", "image/png")}), "run-a");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].api, "anthropic");
  EXPECT_EQ(reqs[0].body["messages"].back()["content"],
            Json::parse(R"([{"type":"image","source":{"type":"base64","media_type":"image/jpeg",)"
                        R"("data":")" +
                        simpleclaw::base64(kJpeg) + R"("}},{"type":"text","text":"and this?"}])"));
  EXPECT_EQ(media_files(gw->state_dir()), std::vector<std::string>{sha256_hex(kJpeg) + ".jpg"});
}

TEST(Attachments, OllamaGetsAnImagesArrayThroughSessionsSend) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const std::string key = "agent:main:local";
  ASSERT_TRUE(c->call("sessions.patch", Json{{"key", key}, {"model", "local/llama-test"}}).ok());
  auto r = c->call("sessions.send", Json{{"key", key},
                                         {"message", "two pictures"},
                                         {"idempotencyKey", "run-o"},
                                         {"attachments", Json::array({image(kPng), image(kGif)})}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  chat_events(*c, "run-o");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].api, "ollama");
  const Json& user = reqs[0].body["messages"].back();
  EXPECT_EQ(user["content"], "two pictures");
  EXPECT_EQ(user["images"], (Json::array({simpleclaw::base64(kPng), simpleclaw::base64(kGif)})));
}

TEST(Attachments, AnImageAloneIsAMessageAndTheAgentMethodTakesImagesToo) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send_with(*c, "main", "", Json::array({image(kPng)}), "run-only");
  auto a = c->call("agent", Json{{"message", "describe it"},
                                 {"idempotencyKey", "run-agent"},
                                 {"attachments", Json::array({image(kGif, "g.gif")})}});
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ((*a)["status"], "ok") << a->dump();
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].body["messages"].back()["content"].size(), 1u) << "no empty text part";
  EXPECT_EQ(reqs[0].body["messages"].back()["content"][0]["type"], "image_url");
  const Json& last = reqs[1].body["messages"].back()["content"];
  ASSERT_EQ(last.size(), 2u) << last.dump();
  EXPECT_EQ(last[1]["image_url"]["url"], "data:image/gif;base64," + simpleclaw::base64(kGif));
  // The image-only message is in the history with no text.
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)["messages"][0]["content"].size(), 1u);
  EXPECT_EQ((*h)["messages"][0]["content"][0]["type"], "image");
}

TEST(Attachments, TheSameImageTwiceIsOneFile) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  send_with(*c, "main", "one", Json::array({image(kPng, "a.png")}), "run-1");
  send_with(*c, "agent:main:other", "two", Json::array({image(kPng, "b.png")}), "run-2");
  send_with(*c, "main", "three", Json::array({image(kPng, "c.png"), image(kPng, "d.png")}),
            "run-3");
  EXPECT_EQ(media_files(gw->state_dir()), std::vector<std::string>{sha256_hex(kPng) + ".png"});
  // Each message still shows its own attachment, with its own name.
  auto h = c->call("chat.history", Json{{"sessionKey", "agent:main:other"}});
  ASSERT_TRUE(h.ok());
  auto imgs = image_parts((*h)["messages"][0]);
  ASSERT_EQ(imgs.size(), 1u);
  EXPECT_EQ(imgs[0]["fileName"], "b.png");
  EXPECT_EQ(imgs[0]["data"], simpleclaw::base64(kPng));
}

TEST(Attachments, SurviveARestartAndEarlierImagesAreSentAgainFromTheStore) {
  FakeLlm llm;
  TempDir keep;
  StartOptions o = with_config(config_for(llm));
  o.state_dir = keep.path() + "/state";
  {
    START_GATEWAY(gw, o);
    auto c = gw->connect();
    ASSERT_NE(c, nullptr);
    send_with(*c, "main", "remember this", Json::array({image(kPng, "dot.png")}), "run-1");
    gw->stop();
  }
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ((*h)["messages"].size(), 2u);
  auto imgs = image_parts((*h)["messages"][0]);
  ASSERT_EQ(imgs.size(), 1u);
  EXPECT_EQ(imgs[0]["data"], simpleclaw::base64(kPng));
  EXPECT_EQ(imgs[0]["fileName"], "dot.png");

  // The next turn sends the earlier image again, read back from <state>/media.
  llm.clear_requests();
  send(*c, "main", "what was it?", "run-2");
  chat_events(*c, "run-2");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const Json& msgs = reqs[0].body["messages"];
  ASSERT_EQ(msgs.size(), 4u);  // system, user (with image), assistant, user
  EXPECT_EQ(msgs[1]["content"][1]["image_url"]["url"],
            "data:image/png;base64," + simpleclaw::base64(kPng));
  EXPECT_EQ(msgs[3]["content"], "what was it?");
}

TEST(Attachments, RefusalsSayWhatIsAllowedAndStoreNothing) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm,
                                           "sessions:\n  attachments:\n    max_image_bytes: 2048\n"
                                           "    max_images: 2\n")));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  struct Case {
    Json attachments;
    std::string says;
  };
  const std::string big = kPng + std::string(2048, 'x');
  const Case cases[] = {
      {Json::array({image(big, "big.png")}), "attachment 1 (big.png) is"},
      {Json::array({image(kPng), image(kPng), image(kPng)}), "too many attachments: 3"},
      {Json::array({image(kPng), image("%PDF-1.7\nnot an image", "doc.pdf")}),
       "attachment 2 (doc.pdf) is not a PNG, JPEG, GIF or WebP image"},
      {Json::array({Json{{"type", "image"}, {"content", "@@not base64@@"}}}),
       "attachment 1: content is not valid base64"},
  };
  int n = 0;
  for (const Case& k : cases) {
    for (const char* method : {"chat.send", "sessions.send"}) {
      Json p{{"message", "look"},
             {"idempotencyKey", "bad-" + std::to_string(++n)},
             {"attachments", k.attachments}};
      p[std::string(method) == "chat.send" ? "sessionKey" : "key"] = "main";
      auto r = c->call(method, p);
      ASSERT_FALSE(r.ok()) << method << " " << k.says;
      EXPECT_EQ(r.error().code, simpleclaw::ErrorCode::kInvalidArgument);
      EXPECT_NE(r.error().message.find(k.says), std::string::npos) << r.error().message;
    }
  }
  auto agent = c->call("agent", Json{{"message", "look"},
                                     {"idempotencyKey", "bad-agent"},
                                     {"attachments", cases[2].attachments}});
  ASSERT_FALSE(agent.ok());
  EXPECT_NE(agent.error().message.find("only PNG, JPEG, GIF or WebP images of at most 2048 bytes"),
            std::string::npos)
      << agent.error().message;
  auto created = c->call("sessions.create", Json{{"key", "agent:main:fresh"},
                                                 {"message", "look"},
                                                 {"attachments", cases[3].attachments}});
  ASSERT_FALSE(created.ok());

  // Nothing ran, nothing was written: no transcript, no session, no files.
  EXPECT_EQ(llm.request_count(), 0u);
  EXPECT_TRUE(media_files(gw->state_dir()).empty());
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE((*h)["messages"].empty()) << h->dump();
  auto list = c->call("sessions.list", Json::object());
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE((*list)["sessions"].empty()) << list->dump();
  // The same key, with an acceptable image, then works.
  send_with(*c, "main", "look", Json::array({image(kPng)}), "bad-1");
  EXPECT_EQ(llm.request_count(), 1u);
}

}  // namespace
}  // namespace sctest
