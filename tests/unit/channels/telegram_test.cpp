// Telegram updates -> InboundMessage / ButtonPress (telegram_update.h): DMs, groups,
// mentions, replies to the bot, topics, captions, callbacks, and hostile shapes (wrong
// types everywhere) that must be skipped without throwing.
#include <gtest/gtest.h>

#include "channels/telegram/telegram_update.h"

namespace simpleclaw::channels::telegram {
namespace {

const BotIdentity kTelegramMe{"claw_bot", "999"};

Update parse(const char* json) { return parse_update(Json::parse(json), kTelegramMe); }

TEST(TelegramUpdate, DirectMessage) {
  Update u = parse(R"({"update_id":7,"message":{"message_id":1,
      "from":{"id":111,"is_bot":false,"first_name":"Ann","last_name":"Lee","username":"ann"},
      "chat":{"id":111,"type":"private"},"text":"hi"}})");
  ASSERT_EQ(u.kind, Update::kMessage);
  EXPECT_EQ(u.update_id, 7);
  EXPECT_EQ(u.message.message_id, "7");  // the update id: unique per bot, the redelivery key
  EXPECT_EQ(u.message.reply_id, "1");    // a reply threads under the chat's message id
  EXPECT_EQ(u.message.sender_id, "111");
  EXPECT_EQ(u.message.sender_name, "Ann Lee (@ann)");
  EXPECT_EQ(u.message.peer.chat_id, "111");
  EXPECT_FALSE(u.message.peer.group);
  EXPECT_EQ(u.message.text, "hi");
}

TEST(TelegramUpdate, GroupMentionReplyTopicAndCommand) {
  Update u =
      parse(R"({"update_id":8,"message":{"from":{"id":5},"chat":{"id":-100,"type":"supergroup"},
      "text":"@claw_bot do it","is_topic_message":true,"message_thread_id":42}})");
  ASSERT_EQ(u.kind, Update::kMessage);
  EXPECT_TRUE(u.message.peer.group);
  EXPECT_TRUE(u.message.mentioned);
  EXPECT_EQ(u.message.text, "do it");
  EXPECT_EQ(u.message.peer.thread_id, "42");
  u = parse(R"({"update_id":9,"message":{"from":{"id":5},"chat":{"id":-100,"type":"group"},
      "text":"and this?","reply_to_message":{"from":{"id":999}}}})");
  EXPECT_TRUE(u.message.mentioned);  // a reply to the bot addresses it
  u = parse(R"({"update_id":10,"message":{"from":{"id":5},"chat":{"id":-100,"type":"group"},
      "text":"just talking"}})");
  EXPECT_FALSE(u.message.mentioned);
  u = parse(R"({"update_id":11,"message":{"from":{"id":5},"chat":{"id":-100,"type":"group"},
      "text":"/approve@claw_bot abcd1234 deny"}})");
  EXPECT_EQ(u.message.text, "/approve abcd1234 deny");
  u = parse(R"({"update_id":12,"edited_message":{"from":{"id":5},"chat":{"id":5,"type":"private"},
      "caption":"a photo"}})");
  EXPECT_EQ(u.message.text, "a photo");
}

TEST(TelegramUpdate, CallbackQueryIsAButtonPress) {
  Update u =
      parse(R"({"update_id":13,"callback_query":{"id":"cq1","from":{"id":111,"first_name":"Ann"},
      "message":{"chat":{"id":111,"type":"private"}},"data":"apr:abcd1234:o"}})");
  ASSERT_EQ(u.kind, Update::kButton);
  EXPECT_EQ(u.callback_id, "cq1");
  EXPECT_EQ(u.button.sender_id, "111");
  EXPECT_EQ(u.button.peer.chat_id, "111");
  EXPECT_EQ(u.button.data, "apr:abcd1234:o");
}

TEST(TelegramUpdate, UnusableOrHostileUpdatesAreSkippedWithoutThrowing) {
  const char* cases[] = {
      R"({"update_id":1})",
      R"({"update_id":1,"message":{"from":{"id":1,"is_bot":true},"chat":{"id":1},"text":"bot"}})",
      R"({"update_id":1,"message":{"from":{"id":1},"chat":{"id":1},"sticker":{}}})",
      R"({"update_id":"x","message":{"from":{"id":[1]},"chat":{"id":{}},"text":5}})",
      R"({"update_id":1,"message":{"from":{"id":1,"first_name":7,"is_bot":"no"},
          "chat":{"id":1,"type":3},"text":"t","is_topic_message":"yes"}})",
      R"({"update_id":1,"message":"not an object"})",
      R"({"update_id":1,"callback_query":{"from":{},"data":7}})",
      R"([1,2,3])",
      R"(null)",
  };
  for (const char* c : cases) {
    Update u;
    EXPECT_NO_THROW(u = parse(c)) << c;
    if (u.kind == Update::kMessage) {
      EXPECT_FALSE(u.message.sender_id.empty()) << c;
      EXPECT_FALSE(u.message.text.empty()) << c;
    }
  }
  // Wrong-typed extras do not stop a usable message.
  Update u = parse(R"({"update_id":1,"message":{"from":{"id":1,"first_name":7,"is_bot":"no"},
          "chat":{"id":1,"type":3},"text":"t","is_topic_message":"yes"}})");
  EXPECT_EQ(u.kind, Update::kMessage);
  EXPECT_EQ(u.message.text, "t");
}

}  // namespace
}  // namespace simpleclaw::channels::telegram
