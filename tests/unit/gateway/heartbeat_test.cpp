// What an agent's heartbeat config means (heartbeat_settings) and which replies are
// "nothing to report" (is_heartbeat_ack): the two rules a user notices when a heartbeat
// pings their phone, or fails to.
#include "gateway/cron/heartbeat.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace simpleclaw::gateway {
namespace {

config::HeartbeatConfig heartbeat_every(const std::string& every) {
  config::HeartbeatConfig c;
  c.every = every;
  return c;
}

TEST(HeartbeatSettings, EveryIsADurationAndAnythingElseIsOff) {
  HeartbeatSettings s = heartbeat_settings(heartbeat_every("30m"));
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.every_ms, 1'800'000);
  EXPECT_EQ(s.every, "30m");
  EXPECT_EQ(heartbeat_settings(heartbeat_every("1h30m")).every_ms, 5'400'000);
  for (const char* off : {"", "0", "off", "soon", "-5m"}) {
    HeartbeatSettings o = heartbeat_settings(heartbeat_every(off));
    EXPECT_FALSE(o.enabled) << off;
    EXPECT_EQ(o.every, "disabled") << off;
    EXPECT_EQ(o.every_ms, 0) << off;
  }
  // Shorter than a minute is raised to a minute: a typo must not burn tokens every second.
  EXPECT_EQ(heartbeat_settings(heartbeat_every("5s")).every_ms, HeartbeatRunner::kMinEvery);
}

TEST(HeartbeatSettings, TheBuiltInPromptNamesTheConfiguredToken) {
  config::HeartbeatConfig c = heartbeat_every("1h");
  c.ack_token = "NO_REPLY";
  HeartbeatSettings s = heartbeat_settings(c);
  EXPECT_NE(s.prompt.find("HEARTBEAT.md"), std::string::npos);
  EXPECT_NE(s.prompt.find("NO_REPLY"), std::string::npos);
  EXPECT_EQ(s.target, "last");
  c.prompt = "Check the calendar.";
  EXPECT_EQ(heartbeat_settings(c).prompt, "Check the calendar.");

  Json block = heartbeat_health_block(s);
  EXPECT_EQ(block, (Json{{"enabled", true},
                         {"every", "1h"},
                         {"everyMs", 3'600'000},
                         {"prompt", s.prompt},
                         {"target", "last"},
                         {"ackMaxChars", 300}}));
  EXPECT_TRUE(heartbeat_health_block(heartbeat_settings(heartbeat_every("")))["everyMs"].is_null());
}

TEST(HeartbeatAck, TheTokenWithLittleElseIsNothingToReport) {
  const std::string t = "HEARTBEAT_OK";
  EXPECT_TRUE(is_heartbeat_ack("HEARTBEAT_OK", t, 300));
  EXPECT_TRUE(is_heartbeat_ack("  **HEARTBEAT_OK**\n", t, 300));
  EXPECT_TRUE(is_heartbeat_ack("`HEARTBEAT_OK`", t, 300));
  EXPECT_TRUE(is_heartbeat_ack("", t, 300));
  EXPECT_TRUE(is_heartbeat_ack("All calm. HEARTBEAT_OK", t, 300));
  EXPECT_TRUE(is_heartbeat_ack("HEARTBEAT_OK - nothing new in the inbox", t, 300));
  // Something to say: more than ack_max_chars beside the token, or no token at all.
  EXPECT_FALSE(is_heartbeat_ack("Your flight leaves in 2 hours.", t, 300));
  EXPECT_FALSE(is_heartbeat_ack("HEARTBEAT_OK " + std::string(301, 'x'), t, 300));
  EXPECT_TRUE(is_heartbeat_ack("HEARTBEAT_OK " + std::string(300, 'x'), t, 300));
  EXPECT_FALSE(is_heartbeat_ack("HEARTBEAT_OK done", t, 0));
  // The token in the middle of a message is not an ack.
  EXPECT_FALSE(is_heartbeat_ack("I said HEARTBEAT_OK yesterday, but now: call Bob.", t, 300));
  // Characters, not bytes: 10 two-byte characters fit a limit of 10.
  EXPECT_TRUE(is_heartbeat_ack("HEARTBEAT_OK éééééééééé", t, 10));
  EXPECT_FALSE(is_heartbeat_ack("HEARTBEAT_OK ééééééééééé", t, 10));
}

}  // namespace
}  // namespace simpleclaw::gateway
