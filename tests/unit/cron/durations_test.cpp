// CLI schedule input: durations ("1h30m") both ways and ISO local times in a zone.
#include "cron/durations.h"

#include <gtest/gtest.h>

#include "base/clock.h"

namespace simpleclaw::cron {
namespace {

TEST(DurationsTest, ParsesUnitsAndSums) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {"30m", 1'800'000}, {"1h30m", 5'400'000}, {"2d", 172'800'000},        {"45s", 45'000},
      {"1500ms", 1500},   {"1w", 604'800'000},  {" 1h1m1s1ms ", 3'661'001}, {"0s", 0},
  };
  for (const auto& [text, ms] : cases) {
    auto r = parse_duration_ms(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.error().message;
    EXPECT_EQ(*r, ms) << text;
  }
}

TEST(DurationsTest, BadDurationsSayWhatToWrite) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "duration is empty: write it like 30m, 1h30m, 2d, 45s or 1500ms"},
      {"30", "duration '30': the number at the end needs a unit (ms, s, m, h, d or w), e.g. 30m"},
      {"1.5h",
       "duration '1.5h': use whole numbers with a smaller unit, e.g. 1h30m instead of 1.5h"},
      {"3y", "duration '3y': unknown unit 'y' (use ms, s, m, h, d or w)"},
      {"h", "duration 'h': expected a number at 'h' (e.g. 30m, 1h30m)"},
      {"1h-5m", "duration '1h-5m': expected a number at '-5m' (e.g. 30m, 1h30m)"},
      {"99999999999999999999d",
       "duration '99999999999999999999d' is too long: the limit is "
       "100000000d"},
  };
  for (const auto& [text, message] : cases) {
    auto r = parse_duration_ms(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().message, message) << text;
  }
  auto long_text = parse_duration_ms(std::string(65, '1'));
  ASSERT_FALSE(long_text.ok());
  EXPECT_EQ(long_text.error().message, "duration is 65 bytes: the limit is 64");
}

TEST(DurationsTest, FormatIsTheInverse) {
  EXPECT_EQ(format_duration(5'400'000), "1h30m");
  EXPECT_EQ(format_duration(1500), "1s500ms");
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(172'800'000), "2d");
  EXPECT_EQ(format_duration(-60'000), "-1m");
  for (std::int64_t ms : {1LL, 999LL, 61'000LL, 90'061'001LL, 8'640'000'000'000'000LL}) {
    auto back = parse_duration_ms(format_duration(ms));
    ASSERT_TRUE(back.ok()) << ms;
    EXPECT_EQ(*back, ms);
  }
}

std::string iso_of(std::string_view text, std::string_view tz) {
  auto r = parse_local_time(text, tz);
  return r.ok() ? iso_utc(*r) : "error: " + r.error().message;
}

TEST(DurationsTest, LocalTimesInAZoneOrWithAnOffset) {
  EXPECT_EQ(iso_of("2026-12-24T18:00", "Europe/Berlin"), "2026-12-24T17:00:00.000Z");
  EXPECT_EQ(iso_of("2026-12-24 18:00:30", "Europe/Berlin"), "2026-12-24T17:00:30.000Z");
  EXPECT_EQ(iso_of("2026-07-01T09:00:00.25", "America/New_York"), "2026-07-01T13:00:00.250Z");
  EXPECT_EQ(iso_of("2026-12-24", "Asia/Kathmandu"), "2026-12-23T18:15:00.000Z");
  // An explicit offset or Z wins over the zone.
  EXPECT_EQ(iso_of("2026-12-24T18:00Z", "Europe/Berlin"), "2026-12-24T18:00:00.000Z");
  EXPECT_EQ(iso_of("2026-12-24T18:00:00+05:45", "Europe/Berlin"), "2026-12-24T12:15:00.000Z");
  EXPECT_EQ(iso_of("2026-12-24T18:00-0500", "Europe/Berlin"), "2026-12-24T23:00:00.000Z");
  EXPECT_EQ(iso_of("2026-12-24T18:00-05", "Europe/Berlin"), "2026-12-24T23:00:00.000Z");
  EXPECT_EQ(iso_of("1798135200000", "Europe/Berlin"), "2026-12-24T18:00:00.000Z");
  // DST: a skipped reading is the first instant after the gap, a repeated one its first pass.
  EXPECT_EQ(iso_of("2026-03-29T02:30", "Europe/Berlin"), "2026-03-29T01:00:00.000Z");
  EXPECT_EQ(iso_of("2026-10-25T02:30", "Europe/Berlin"), "2026-10-25T00:30:00.000Z");
}

TEST(DurationsTest, BadLocalTimesSayWhatWasWrong) {
  const char* kFormat =
      "is not a time: expected ISO 8601 such as 2026-12-24T18:00, 2026-12-24T18:00:00Z or "
      "2026-12-24T18:00+01:00, or epoch milliseconds";
  EXPECT_EQ(iso_of("24.12.2026 18:00", "UTC"), std::string("error: '24.12.2026 18:00' ") + kFormat);
  EXPECT_EQ(iso_of("2026-12-24T18", "UTC"), std::string("error: '2026-12-24T18' ") + kFormat);
  EXPECT_EQ(iso_of("2026-12-24T18:00+1", "UTC"),
            std::string("error: '2026-12-24T18:00+1' ") + kFormat);
  EXPECT_EQ(iso_of("2026-02-30T10:00", "UTC"),
            "error: '2026-02-30T10:00' is not a time: day 30 does not exist in 2026-02");
  EXPECT_EQ(iso_of("2026-13-01", "UTC"),
            "error: '2026-13-01' is not a time: month 13 is out of range 1-12");
  EXPECT_EQ(iso_of("2026-12-24T25:00", "UTC"),
            "error: '2026-12-24T25:00' is not a time: hour 25 is out of range 0-23");
  EXPECT_EQ(iso_of("2026-12-24T18:00+15:00", "UTC"),
            "error: '2026-12-24T18:00+15:00' is not a time: offset +15:00 is out of range "
            "-14:00..+14:00");
  EXPECT_EQ(iso_of("1969-12-31", "UTC"),
            "error: '1969-12-31' is not a time: years before 1970 are not supported");
  EXPECT_EQ(iso_of("2026-12-24T18:00", "Mars/Olympus"),
            "error: unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Berlin or "
            "UTC");
  EXPECT_EQ(iso_of("", "UTC"), "error: time is empty: expected ISO 8601 such as 2026-12-24T18:00");
}

}  // namespace
}  // namespace simpleclaw::cron
