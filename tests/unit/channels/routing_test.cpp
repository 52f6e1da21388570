// The channel layer's pure rules: chunking replies to a platform's limit, access
// control (allow_from, dm_policy, groups, mentions, who may approve), pairing codes,
// and how channels.<name> expands into accounts and bindings.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/fs.h"
#include "channels/access.h"
#include "channels/account_settings.h"
#include "channels/chunker.h"

namespace simpleclaw::channels {
namespace {

TEST(Chunker, BreaksAtParagraphsLinesSpacesAndNeverInsideAUtf8Character) {
  EXPECT_TRUE(chunk_text("", 100).empty());
  EXPECT_EQ(chunk_text("short", 100), std::vector<std::string>{"short"});
  std::string text = std::string(60, 'a') + "\n\n" + std::string(60, 'b');
  EXPECT_EQ(chunk_text(text, 100),
            (std::vector<std::string>{std::string(60, 'a'), std::string(60, 'b')}));
  text = std::string(70, 'a') + " " + std::string(70, 'b');
  EXPECT_EQ(chunk_text(text, 100),
            (std::vector<std::string>{std::string(70, 'a'), std::string(70, 'b')}));
  // No break anywhere: cut at the limit, but not inside "é" (2 bytes).
  std::string e;
  for (int i = 0; i < 100; ++i) e += "\xC3\xA9";
  auto parts = chunk_text(e, 51);
  std::string joined;
  for (const auto& p : parts) {
    EXPECT_LE(p.size(), 51u);
    EXPECT_EQ(p.size() % 2, 0u) << "a character was split";
    joined += p;
  }
  EXPECT_EQ(joined, e);
}

TEST(Chunker, EveryChunkFitsAndNoTextIsLost) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "word" + std::to_string(i) + (i % 37 ? " " : "\n");
  for (std::size_t limit : {8u, 50u, 333u, 4096u}) {
    std::string rebuilt;
    for (const auto& c : chunk_text(text, limit)) {
      EXPECT_LE(c.size(), limit);
      rebuilt += c;
    }
    std::string squashed;
    for (char ch : text)
      if (ch != ' ' && ch != '\n') squashed += ch;
    std::string got;
    for (char ch : rebuilt)
      if (ch != ' ' && ch != '\n') got += ch;
    EXPECT_EQ(got, squashed) << limit;
  }
}

sdk::InboundMessage msg(std::string sender, bool group = false, std::string chat = "",
                        bool mentioned = false) {
  sdk::InboundMessage m;
  m.sender_id = std::move(sender);
  m.peer.group = group;
  m.peer.chat_id = chat.empty() ? m.sender_id : chat;
  m.mentioned = mentioned;
  return m;
}

TEST(Access, DirectMessagesFollowAllowFromAndDmPolicy) {
  AccountSettings a;
  a.allow_from = {"111"};
  EXPECT_EQ(decide_access(a, msg("111"), false).what, Access::kAllow);
  EXPECT_EQ(decide_access(a, msg("222"), false).what, Access::kDeny);  // default allowlist
  EXPECT_EQ(decide_access(a, msg("222"), true).what, Access::kAllow);  // paired
  a.dm_policy = "pairing";
  EXPECT_EQ(decide_access(a, msg("222"), false).what, Access::kPair);
  a.dm_policy = "open";
  EXPECT_EQ(decide_access(a, msg("222"), false).what, Access::kAllow);
  a.dm_policy = "disabled";
  EXPECT_EQ(decide_access(a, msg("111"), false).what, Access::kDeny);
  // A display name equal to an allowed id grants nothing: only sender_id counts.
  a.dm_policy = "allowlist";
  auto m = msg("999");
  m.sender_name = "111";
  EXPECT_EQ(decide_access(a, m, false).what, Access::kDeny);
}

TEST(Access, GroupsNeedTheGroupListedAnAllowedSenderAndAMention) {
  AccountSettings a;
  a.allow_from = {"111"};
  EXPECT_EQ(decide_access(a, msg("111", true, "-5", true), false).what, Access::kDeny);
  a.groups = {"-5"};
  EXPECT_EQ(decide_access(a, msg("111", true, "-5", true), false).what, Access::kAllow);
  EXPECT_EQ(decide_access(a, msg("111", true, "-5", false), false).what, Access::kIgnore);
  EXPECT_EQ(decide_access(a, msg("222", true, "-5", true), false).what, Access::kDeny);
  EXPECT_EQ(decide_access(a, msg("111", true, "-6", true), false).what, Access::kDeny);
  a.activation = "always";
  EXPECT_EQ(decide_access(a, msg("111", true, "-5", false), false).what, Access::kAllow);
  a.groups = {"*"};
  EXPECT_EQ(decide_access(a, msg("111", true, "-6", false), false).what, Access::kAllow);
}

// The README's IRC account: channels: ["#ops"], allow_from: [alice], no groups. Found by
// following the README: every channel message was denied ("group not in groups").
TEST(Access, GroupsAnAccountJoinsByConfigurationNeedNoGroupsEntry) {
  AccountSettings a;
  a.allow_from = {"alice"};
  a.joined_groups = {"#ops"};
  EXPECT_EQ(decide_access(a, msg("alice", true, "#ops", true), false).what, Access::kAllow);
  EXPECT_EQ(decide_access(a, msg("alice", true, "#ops", false), false).what, Access::kIgnore);
  EXPECT_EQ(decide_access(a, msg("mallory", true, "#ops", true), false).what, Access::kDeny);
  EXPECT_EQ(decide_access(a, msg("alice", true, "#other", true), false).what, Access::kDeny);
  // Explicit groups still count on top of them.
  a.groups = {"#other"};
  EXPECT_EQ(decide_access(a, msg("alice", true, "#other", true), false).what, Access::kAllow);
  EXPECT_EQ(decide_access(a, msg("alice", true, "#ops", true), false).what, Access::kAllow);
  a.activation = "always";
  EXPECT_EQ(decide_access(a, msg("alice", true, "#ops", false), false).what, Access::kAllow);
}

TEST(Access, OnlyExplicitlyListedOrPairedSendersMayApprove) {
  AccountSettings a;
  a.allow_from = {"111", "*"};
  a.dm_policy = "open";
  EXPECT_TRUE(may_approve(a, "111", false));
  EXPECT_FALSE(may_approve(a, "222", false));  // "*" and open let them talk, not approve
  EXPECT_TRUE(may_approve(a, "222", true));
}

TEST(Pairing, OneCodePerSenderApprovedOnceExpiresAndSurvivesReload) {
  std::string dir = ::testing::TempDir() + "pairing-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string file = dir + "/pairing.json";
  std::filesystem::remove(file);
  std::string code;
  {
    PairingStore s(file);
    bool fresh = false;
    code = s.code_for("333", "Ann", 1000, &fresh);
    EXPECT_TRUE(fresh);
    EXPECT_EQ(code.size(), 8u);
    EXPECT_EQ(s.code_for("333", "Ann", 2000, &fresh), code);
    EXPECT_FALSE(fresh);  // the same code again, and no second reply
  }
  PairingStore s(file);  // reloaded from disk
  ASSERT_EQ(s.pending(3000).size(), 1u);
  EXPECT_FALSE(s.approve("WRONGCOD", 3000).ok());
  std::string lower = code;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto r = s.approve(lower, 3000);  // codes are case-insensitive
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sender_id, "333");
  EXPECT_TRUE(s.approved("333"));
  EXPECT_FALSE(s.approve(code, 3000).ok());  // used up
  bool fresh = false;
  std::string old = s.code_for("444", "Bob", 0, &fresh);
  EXPECT_FALSE(s.approve(old, PairingStore::kCodeTtlMs + 1).ok());  // expired
  for (int i = 0; i < 30; ++i) s.code_for("s" + std::to_string(i), "", 10, &fresh);
  EXPECT_LE(s.pending(10).size(), PairingStore::kMaxPending);
  EXPECT_TRUE(s.revoke("333"));
  EXPECT_FALSE(PairingStore(file).approved("333"));
  std::filesystem::remove_all(dir);
}

TEST(Pairing, RemembersWhereTheRequestCameFromAndReadsOlderFiles) {
  std::string dir = ::testing::TempDir() + "pairing-chat-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string file = dir + "/pairing.json";
  std::filesystem::remove(file);
  std::string code;
  {
    PairingStore s(file);
    bool fresh = false;
    // A Discord DM: the DM channel id is not the user id.
    code = s.code_for("555", "Dee", 1000, &fresh, "9001");
    EXPECT_EQ(s.pending(1000)[0].reply_to(), "9001");
  }
  auto r = PairingStore(file).approve(code, 2000);  // the chat id survives a reload
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reply_to(), "9001");
  // A file from before chatId existed: the notice goes to the sender id.
  ASSERT_TRUE(write_file_atomic(file, R"({"approved": [], "pending": [{"code": "ABCDEFGH",
      "senderId": "666", "senderName": "Eve", "createdAtMs": 1000}]})",
                                0600));
  auto old = PairingStore(file).approve("ABCDEFGH", 2000);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->reply_to(), "666");
  std::filesystem::remove_all(dir);
}

TEST(AccountSettings, SingleAccountOrSeveralInheritingTheSharedKeys) {
  Json ch = Json::parse(R"({
    "telegram": {"token": "t", "allow_from": [111, "222"], "dm_policy": "pairing"},
    "irc": {"server": "s", "nick": "n", "activation": "always",
            "accounts": {"libera": {"server": "irc.libera.chat"}, "oftc": {"nick": "m"}}}
  })");
  auto accts = parse_accounts(ch);
  ASSERT_EQ(accts.size(), 3u);
  EXPECT_EQ(accts[0].channel, "irc");
  EXPECT_EQ(accts[0].account_id, "libera");
  EXPECT_EQ(accts[0].raw["server"], "irc.libera.chat");
  EXPECT_EQ(accts[0].raw["nick"], "n");  // inherited
  EXPECT_EQ(accts[0].activation, "always");
  EXPECT_FALSE(accts[0].raw.contains("accounts"));
  EXPECT_EQ(accts[1].account_id, "oftc");
  EXPECT_EQ(accts[1].raw["nick"], "m");
  EXPECT_EQ(accts[2].channel, "telegram");
  EXPECT_EQ(accts[2].account_id, "default");
  EXPECT_EQ(accts[2].allow_from, (std::vector<std::string>{"111", "222"}));
  EXPECT_EQ(accts[2].dm_policy, "pairing");
  EXPECT_TRUE(accts[0].joined_groups.empty());
  EXPECT_TRUE(accts[2].joined_groups.empty());
  // The channels an IRC account joins are groups it answers in; other platforms have no
  // such key (a bot is invited into groups there), so nothing is read from one.
  auto joined = parse_accounts(Json::parse(R"({
    "irc": {"server": "s", "nick": "n", "channels": ["#ops", "#Dev"], "groups": ["#x"]},
    "slack": {"app_token": "a", "bot_token": "b", "channels": ["C1"]}
  })"));
  ASSERT_EQ(joined.size(), 2u);
  EXPECT_EQ(joined[0].joined_groups, (std::vector<std::string>{"#ops", "#Dev"}));
  EXPECT_EQ(joined[0].groups, (std::vector<std::string>{"#x"}));
  EXPECT_TRUE(joined[1].joined_groups.empty());
  auto b = parse_bindings(Json::parse(
      R"([{"channel":"telegram","peer":111,"agent":"work"},{"channel":"x"},{"channel":"irc","group":"#ops","agent":"ops"}])"));
  ASSERT_EQ(b.size(), 2u);  // the one without an agent is dropped
  EXPECT_EQ(b[0].peer, "111");
  EXPECT_EQ(b[1].group, "#ops");
}

// Cluster mode: each change goes to the sink as data, and applied to another copy of the
// state (the shared document's newest) it has the same effect; two instances' changes
// both hold.
TEST(Pairing, ChangesGoToTheSinkAsDataAndApplyToAnotherCopy) {
  std::vector<PairingStore::Op> ops;
  PairingStore here;
  here.set_sink([&](const PairingStore::Op& op) { ops.push_back(op); });
  bool fresh = false;
  const std::string code = here.code_for("333", "Ann", 1000, &fresh, "chat-9");
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, PairingStore::Op::Kind::kPending);
  EXPECT_EQ(ops[0].pending.code, code);

  // The shared copy, changed meanwhile by another instance (a sender it approved).
  PairingStore shared;
  shared.load_json(Json{{"approved", {"111"}}, {"pending", Json::array()}});
  shared.apply(ops[0], 1000);
  ASSERT_EQ(shared.pending(1000).size(), 1u);
  EXPECT_EQ(shared.pending(1000)[0].code, code) << "the same code, not a new one";
  EXPECT_EQ(shared.pending(1000)[0].reply_to(), "chat-9");
  EXPECT_TRUE(shared.approved("111")) << "the other instance's change holds";

  ASSERT_TRUE(here.approve(code, 2000).ok());
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[1].kind, PairingStore::Op::Kind::kApprove);
  EXPECT_EQ(ops[1].sender_id, "333");
  shared.apply(ops[1], 2000);
  EXPECT_TRUE(shared.approved("333"));
  EXPECT_TRUE(shared.pending(2000).empty());
  // Approving holds even where the code is gone already (dismissed elsewhere meanwhile).
  PairingStore without_code;
  without_code.apply(ops[1], 2000);
  EXPECT_TRUE(without_code.approved("333"));

  EXPECT_TRUE(here.revoke("333"));
  shared.apply(ops.back(), 3000);
  EXPECT_FALSE(shared.approved("333"));
  EXPECT_TRUE(shared.approved("111"));
  // A round trip through the document's JSON keeps everything.
  PairingStore copy;
  copy.load_json(shared.to_json());
  EXPECT_EQ(copy.to_json(), shared.to_json());
}

}  // namespace
}  // namespace simpleclaw::channels
