// What the model is sent: turn order with queued messages, a run never seeing later
// messages, trimming to the context window by whole turns, roles that alternate.
#include "agents/context.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace simpleclaw::agents {
namespace {

sessions::Entry entry(std::int64_t seq, const std::string& run, const std::string& role,
                      const std::string& text) {
  sessions::Entry e;
  e.seq = seq;
  e.run_id = run;
  e.role = sessions::parse_role(role);
  e.text = text;
  return e;
}

std::vector<std::string> roles_and_texts(const ContextOutput& out) {
  std::vector<std::string> v;
  for (const auto& m : out.messages)
    v.push_back(std::string(sessions::role_name(m.role)) + ":" + m.text);
  return v;
}

TEST(Context, EachReplyFollowsItsOwnUserMessage) {
  // u2 was committed while run 1 streamed: stored u1, u2, a1.
  ContextInput in;
  in.entries = {entry(1, "r1", "user", "u1"), entry(2, "r2", "user", "u2"),
                entry(3, "r1", "assistant", "a1")};
  in.upto_seq = 2;
  EXPECT_EQ(roles_and_texts(build_context(in)),
            (std::vector<std::string>{"user:u1", "assistant:a1", "user:u2"}));
  in.upto_seq = 1;  // run 1 never sees the message queued after it
  EXPECT_EQ(roles_and_texts(build_context(in)),
            (std::vector<std::string>{"user:u1", "assistant:a1"}));
}

TEST(Context, OldestWholeTurnsAreDroppedToFitTheWindow) {
  ContextInput in;
  std::int64_t seq = 0;
  for (int i = 0; i < 10; ++i) {
    std::string run = "r" + std::to_string(i);
    in.entries.push_back(
        entry(++seq, run, "user", "q" + std::to_string(i) + std::string(396, 'q')));
    in.entries.push_back(
        entry(++seq, run, "assistant", "a" + std::to_string(i) + std::string(396, 'a')));
  }
  in.system = std::string(400, 's');  // ~100 tokens
  in.context_window = 1000;
  in.max_tokens = 300;
  ContextOutput out = build_context(in);
  // Budget 1000 - 300 - 100 - 4 = 596 tokens; a turn is 2 x (100 + 4) = 208: 2 turns fit.
  ASSERT_EQ(out.messages.size(), 4u);
  EXPECT_EQ(out.dropped_turns, 8);
  EXPECT_EQ(out.messages[0].text.substr(0, 2), "q8");
  EXPECT_EQ(out.messages[1].text.substr(0, 2), "a8");
  EXPECT_EQ(out.messages[3].text.substr(0, 2), "a9");
  EXPECT_LE(out.estimated_tokens, in.context_window - in.max_tokens);
  for (std::size_t i = 0; i < out.messages.size(); ++i)
    EXPECT_EQ(out.messages[i].role, i % 2 == 0 ? sdk::Role::kUser : sdk::Role::kAssistant)
        << "pairs never split";
}

TEST(Context, TheNewestTurnIsKeptEvenWhenItAloneIsTooBig) {
  ContextInput in;
  in.entries = {entry(1, "r1", "user", "old"), entry(2, "r1", "assistant", "reply"),
                entry(3, "r2", "user", std::string(8000, 'x'))};
  in.context_window = 1000;
  in.max_tokens = 100;
  ContextOutput out = build_context(in);
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.messages[0].text.size(), 8000u);
  EXPECT_EQ(out.dropped_turns, 1);
}

TEST(Context, RolesAlternateAndStartWithTheUser) {
  // An injected assistant note first, then two user messages whose runs failed (no reply).
  ContextInput in;
  in.entries = {entry(1, "", "assistant", "note"), entry(2, "r1", "user", "one"),
                entry(3, "r2", "user", "two"), entry(4, "r3", "user", "three"),
                entry(5, "r3", "assistant", "")};
  EXPECT_EQ(roles_and_texts(build_context(in)),
            (std::vector<std::string>{"user:one\n\ntwo\n\nthree"}));
}

sessions::ImageRef image(char c, const std::string& name) {
  return sessions::ImageRef{std::string(64, c), "image/png", name, 10, nullptr};
}

// Only the newest images up to the run's own message are re-sent with their bytes; an
// older one is named in its message's text, so the model knows it was there.
TEST(Context, OnlyTheNewestImagesAreSentAgainOlderOnesAreNamed) {
  ContextInput in;
  in.entries = {entry(1, "r1", "user", "first"), entry(2, "r1", "assistant", "ok"),
                entry(3, "r2", "user", "second"), entry(4, "r3", "user", "queued")};
  in.entries[0].images = {image('a', "old.png")};
  in.entries[2].images = {image('b', "b1.png"), image('c', "b2.png")};
  in.entries[3].images = {image('d', "later.png")};  // after this run's message
  auto chosen = images_to_send(in.entries, 3, 2);
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[0]->file_name, "b2.png");  // newest first
  EXPECT_EQ(chosen[1]->file_name, "b1.png");
  for (auto* img : chosen) img->data = std::make_shared<const std::string>("DATA");
  in.upto_seq = 3;
  ContextOutput out = build_context(in);
  ASSERT_EQ(out.messages.size(), 3u);
  EXPECT_EQ(out.messages[0].text, "first\n[image not re-sent: old.png]");
  EXPECT_TRUE(out.messages[0].images.empty());
  EXPECT_EQ(out.messages[2].text, "second");
  ASSERT_EQ(out.messages[2].images.size(), 2u);
  EXPECT_EQ(out.messages[2].images[0].mime_type, "image/png");
  EXPECT_EQ(*out.messages[2].images[0].data, "DATA");
  // An image-only message is a message (its images carry it), and images cost tokens.
  ContextInput only;
  only.entries = {entry(1, "r1", "user", "")};
  only.entries[0].images = {image('e', "")};
  only.entries[0].images[0].data = std::make_shared<const std::string>("DATA");
  ContextOutput o = build_context(only);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].images.size(), 1u);
  EXPECT_GE(o.estimated_tokens, kImageTokens);
  EXPECT_EQ(images_to_send(only.entries, 0).size(), 1u);
}

}  // namespace
}  // namespace simpleclaw::agents
