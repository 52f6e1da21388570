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

}  // namespace
}  // namespace simpleclaw::agents
