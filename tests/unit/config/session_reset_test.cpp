// sessions.reset (the maintenance timer's session reset policy) and
// gateway.timers.presence_ttl_ms: parsed into the typed config, bad values refused with
// the key and the fix.
#include <gtest/gtest.h>

#include "config/config.h"

namespace simpleclaw::config {
namespace {

TEST(SessionResetConfig, DefaultsToNoneAndParsesIdleWithFractionalMinutes) {
  Parsed d = parse("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.config.sessions.reset.mode, "none");
  EXPECT_EQ(d.config.gateway.timers.presence_ttl_ms, 300000);

  Parsed p = parse(
      "sessions:\n  reset: {mode: idle, idle_minutes: 0.5}\n"
      "gateway:\n  timers: {presence_ttl_ms: 1000}\n");
  ASSERT_TRUE(p.ok()) << p.issues.front().to_string();
  EXPECT_EQ(p.config.sessions.reset.mode, "idle");
  EXPECT_DOUBLE_EQ(p.config.sessions.reset.idle_minutes, 0.5);
  EXPECT_EQ(p.config.gateway.timers.presence_ttl_ms, 1000);

  Parsed daily = parse("sessions:\n  reset: {mode: daily, at_hour: 6}\n");
  ASSERT_TRUE(daily.ok());
  EXPECT_EQ(daily.config.sessions.reset.at_hour, 6);
}

TEST(SessionResetConfig, BadValuesNameTheKey) {
  Parsed no_minutes = parse("sessions:\n  reset:\n    mode: idle\n");
  ASSERT_FALSE(no_minutes.ok());
  EXPECT_EQ(no_minutes.issues.front().path, "sessions.reset");
  EXPECT_NE(no_minutes.issues.front().message.find("idle_minutes"), std::string::npos);

  Parsed hour = parse("sessions:\n  reset: {mode: daily, at_hour: 24}\n");
  ASSERT_FALSE(hour.ok());
  EXPECT_EQ(hour.issues.front().path, "sessions.reset.at_hour");

  Parsed zero = parse("sessions:\n  reset: {mode: idle, idle_minutes: 0}\n");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.issues.front().path, "sessions.reset.idle_minutes");

  Parsed mode = parse("sessions:\n  reset: {mode: weekly}\n");
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.issues.front().path, "sessions.reset.mode");
}

}  // namespace
}  // namespace simpleclaw::config
