// Schedules: the wire shapes round-trip, and next_after() gives the right due times across
// zones, both DST transitions each way, stagger, `every` anchors and `at`.
#include "cron/schedule.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "base/clock.h"
#include "cron/durations.h"

namespace simpleclaw::cron {
namespace {

// Epoch ms of an ISO time with offset (the parser is tested in durations_test.cpp).
std::int64_t at(const std::string& iso) {
  auto r = parse_local_time(iso, "UTC");
  EXPECT_TRUE(r.ok()) << iso;
  return r.ok() ? *r : 0;
}

Schedule cron(const std::string& expr, const std::string& tz = "", std::int64_t stagger = 0) {
  Json j{{"kind", "cron"}, {"expr", expr}};
  if (!tz.empty()) j["tz"] = tz;
  if (stagger) j["staggerMs"] = stagger;
  auto r = parse_schedule(j);
  EXPECT_TRUE(r.ok()) << expr << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Schedule{};
}

std::string next_iso(const Schedule& s, const std::string& after, const std::string& def = "UTC",
                     std::string_view key = {}) {
  auto n = next_after(s, at(after), def, key);
  return n ? iso_utc(*n) : "never";
}

// Sets TZ for one test and puts it back.
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old, had_ = true;
    set(tz);
  }
  ~ScopedTz() {
    if (had_) {
      ::setenv("TZ", old_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
  }
  void set(const char* tz) { ::setenv("TZ", tz, 1); }

 private:
  std::string old_;
  bool had_ = false;
};

struct Row {
  const char* expr;
  const char* tz;
  const char* after;  // ISO, with offset
  const char* next;   // ISO UTC, or "never"
};

void check_rows(const std::vector<Row>& rows) {
  for (const Row& r : rows)
    EXPECT_EQ(next_iso(cron(r.expr, r.tz), r.after), r.next)
        << r.expr << " in " << (*r.tz ? r.tz : "UTC") << " after " << r.after;
}

TEST(ScheduleTest, CronInUtc) {
  check_rows({
      {"*/15 * * * *", "", "2026-01-01T00:00:00Z", "2026-01-01T00:15:00.000Z"},  // strictly after
      {"*/15 * * * *", "", "2026-01-01T00:07:30.500Z", "2026-01-01T00:15:00.000Z"},
      {"*/15 * * * *", "", "2026-01-01T00:14:59.999Z", "2026-01-01T00:15:00.000Z"},
      {"0 9 * * 1-5", "", "2026-01-02T10:00:00Z", "2026-01-05T09:00:00.000Z"},  // Fri -> Mon
      {"@yearly", "", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00.000Z"},
      {"@monthly", "", "2026-01-31T12:00:00Z", "2026-02-01T00:00:00.000Z"},
      {"@weekly", "", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00.000Z"},
      {"@hourly", "", "2026-01-01T00:59:59.999Z", "2026-01-01T01:00:00.000Z"},
      {"@daily", "", "2026-12-31T23:00:00Z", "2027-01-01T00:00:00.000Z"},
      {"0 0 * * 7", "", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00.000Z"},  // 7 = Sunday
      {"0 0 ? * MON", "", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00.000Z"},
      {"0 8 * JAN-MAR,dec sat-sun", "", "2026-03-31T00:00:00Z", "2026-12-05T08:00:00.000Z"},
      {"5/15 * * * *", "", "2026-01-01T00:06:00Z", "2026-01-01T00:20:00.000Z"},
      {"30 * * * * *", "", "2026-01-01T00:00:00Z", "2026-01-01T00:00:30.000Z"},
      {"*/10 * * * * *", "", "2026-01-01T00:00:05Z", "2026-01-01T00:00:10.000Z"},
      {"0 0 29 2 *", "", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00.000Z"},
      {"59 23 31 12 *", "", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00.000Z"},
  });
}

TEST(ScheduleTest, VixieDayOfMonthOrDayOfWeek) {
  check_rows({
      // 1st, 15th, or a Friday: Fri Jan 2, Fri Jan 9, then Thu Jan 15 (by its date).
      {"30 4 1,15 * 5", "", "2026-01-01T05:00:00Z", "2026-01-02T04:30:00.000Z"},
      {"30 4 1,15 * 5", "", "2026-01-02T05:00:00Z", "2026-01-09T04:30:00.000Z"},
      {"30 4 1,15 * 5", "", "2026-01-09T05:00:00Z", "2026-01-15T04:30:00.000Z"},
      // Day of month starts with *: both must match (the first of 1,11,21,31 on a Monday).
      {"0 12 */10 * 1", "", "2026-01-01T00:00:00Z", "2026-05-11T12:00:00.000Z"},
  });
}

TEST(ScheduleTest, ImpossibleDatesNeverFire) {
  check_rows({
      {"0 0 30 2 *", "", "2026-01-01T00:00:00Z", "never"},
      {"0 0 31 4,6,9,11 *", "", "2026-01-01T00:00:00Z", "never"},
      {"0 0 30 2 *", "Europe/Berlin", "2026-01-01T00:00:00Z", "never"},
  });
}

TEST(ScheduleTest, CronInOtherZones) {
  check_rows({
      {"0 9 * * *", "Europe/Berlin", "2026-01-10T00:00:00Z", "2026-01-10T08:00:00.000Z"},  // CET
      {"0 9 * * *", "Europe/Berlin", "2026-07-10T00:00:00Z", "2026-07-10T07:00:00.000Z"},  // CEST
      {"0 9 * * *", "America/New_York", "2026-01-10T00:00:00Z", "2026-01-10T14:00:00.000Z"},
      {"0 0 * * *", "Asia/Kathmandu", "2026-01-01T00:00:00Z", "2026-01-01T18:15:00.000Z"},
      {"0 9 * * *", "Australia/Lord_Howe", "2026-07-01T00:00:00Z", "2026-07-01T22:30:00.000Z"},
      // The day rolls over in the zone, not in UTC: Monday 00:30 in Kathmandu is Sunday UTC.
      {"30 0 * * MON", "Asia/Kathmandu", "2026-01-01T00:00:00Z", "2026-01-04T18:45:00.000Z"},
  });
}

TEST(ScheduleTest, SpringForwardFixedTimeFiresOnceAtTheFirstValidInstant) {
  check_rows({
      // Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z). 02:30 does not exist.
      {"30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00.000Z"},
      {"30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00.000Z"},
      // Two times in the gap still fire once.
      {"0,30 2 * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", "2026-03-29T01:00:00.000Z"},
      {"0,30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-30T00:00:00.000Z"},
      // New York 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
      {"30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", "2026-03-08T07:00:00.000Z"},
      {"30 2 * * *", "America/New_York", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00.000Z"},
      // Lord Howe 2026-10-04: 02:00 +10:30 jumps to 02:30 +11 (a 30-minute DST).
      {"15 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z", "2026-10-03T15:30:00.000Z"},
      {"15 2 * * *", "Australia/Lord_Howe", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00.000Z"},
  });
}

TEST(ScheduleTest, FallBackFixedTimeFiresOnceAtTheFirstOccurrence) {
  check_rows({
      // Berlin 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00Z); 02:30 happens twice.
      {"30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00.000Z"},
      {"30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00.000Z"},
      // Asked during the second pass (02:10 CET): the 02:30 of today already fired.
      {"30 2 * * *", "Europe/Berlin", "2026-10-25T01:10:00Z", "2026-10-26T01:30:00.000Z"},
      {"*/5 2 * * *", "Europe/Berlin", "2026-10-25T00:55:00Z", "2026-10-26T01:00:00.000Z"},
      // New York 2026-11-01: 02:00 EDT goes back to 01:00 EST (06:00Z).
      {"30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", "2026-11-01T05:30:00.000Z"},
      {"30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00.000Z"},
      // Lord Howe 2026-04-05: 02:00 +11 goes back to 01:30 +10:30; 01:45 happens twice.
      {"45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", "2026-04-04T14:45:00.000Z"},
      {"45 1 * * *", "Australia/Lord_Howe", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00.000Z"},
  });
}

// Every due time in (from, to], by repeated next_after.
std::vector<std::string> fire_times(const Schedule& s, const std::string& from,
                                    const std::string& to) {
  std::vector<std::string> out;
  std::int64_t t = at(from);
  const std::int64_t end = at(to);
  for (int i = 0; i < 1000; ++i) {
    auto n = next_after(s, t, "UTC");
    if (!n || *n > end) break;
    out.push_back(iso_utc(*n));
    t = *n;
  }
  return out;
}

TEST(ScheduleTest, WildcardHourFollowsRealTimeAcrossFallBack) {
  // Every 30 minutes of real time, through both passes of Berlin's repeated 02:xx hour.
  EXPECT_EQ(fire_times(cron("*/30 * * * *", "Europe/Berlin"), "2026-10-24T23:15:00Z",
                       "2026-10-25T02:00:00Z"),
            (std::vector<std::string>{"2026-10-24T23:30:00.000Z", "2026-10-25T00:00:00.000Z",
                                      "2026-10-25T00:30:00.000Z", "2026-10-25T01:00:00.000Z",
                                      "2026-10-25T01:30:00.000Z", "2026-10-25T02:00:00.000Z"}));
  // Lord Howe goes back 30 minutes at 15:00Z (01:59 +11 -> 01:30 +10:30): the next reading
  // on :00/:20/:40 is 01:40, ten minutes of real time later.
  check_rows({{"*/20 * * * *", "Australia/Lord_Howe", "2026-04-04T14:50:00Z",
               "2026-04-04T15:10:00.000Z"}});
}

TEST(ScheduleTest, WildcardHourFollowsRealTimeAcrossSpringForward) {
  // Hourly at :30: 01:30 CET then 03:30 CEST, one real hour apart; no 02:30.
  EXPECT_EQ(fire_times(cron("30 * * * *", "Europe/Berlin"), "2026-03-28T23:45:00Z",
                       "2026-03-29T02:00:00Z"),
            (std::vector<std::string>{"2026-03-29T00:30:00.000Z", "2026-03-29T01:30:00.000Z"}));
  EXPECT_EQ(fire_times(cron("0 */2 * * *", "America/New_York"), "2026-03-08T04:30:00Z",
                       "2026-03-08T09:30:00Z"),
            (std::vector<std::string>{"2026-03-08T05:00:00.000Z",     // 00:00 EST
                                      "2026-03-08T08:00:00.000Z"}));  // 04:00 EDT
}

TEST(ScheduleTest, ScheduleZoneWinsOverTheHostAndTheDefault) {
  ScopedTz tz("America/Los_Angeles");
  check_rows({{"0 9 * * *", "Europe/Berlin", "2026-01-10T00:00:00Z", "2026-01-10T08:00:00.000Z"}});
  EXPECT_EQ(next_iso(cron("0 9 * * *", "Europe/Berlin"), "2026-01-10T00:00:00Z", "Asia/Kathmandu"),
            "2026-01-10T08:00:00.000Z");
  // Without tz the caller's default applies.
  EXPECT_EQ(next_iso(cron("0 9 * * *"), "2026-01-10T00:00:00Z", "Asia/Kathmandu"),
            "2026-01-10T03:15:00.000Z");
  // An unknown default zone is UTC.
  EXPECT_EQ(next_iso(cron("0 9 * * *"), "2026-01-10T00:00:00Z", "Not/AZone"),
            "2026-01-10T09:00:00.000Z");
}

TEST(ScheduleTest, HostZoneNameFollowsTzChanges) {
  ScopedTz tz("Europe/Berlin");
  EXPECT_EQ(host_zone_name(), "Europe/Berlin");
  const Schedule daily = cron("0 9 * * *");
  EXPECT_EQ(next_iso(daily, "2026-01-10T00:00:00Z", host_zone_name()), "2026-01-10T08:00:00.000Z");
  tz.set(":America/New_York");  // the host's zone changes while the gateway runs
  EXPECT_EQ(host_zone_name(), "America/New_York");
  EXPECT_EQ(next_iso(daily, "2026-01-10T00:00:00Z", host_zone_name()), "2026-01-10T14:00:00.000Z");
  tz.set("/usr/share/zoneinfo/Asia/Kathmandu");
  EXPECT_EQ(host_zone_name(), "Asia/Kathmandu");
  tz.set("");
  EXPECT_EQ(host_zone_name(), "UTC");
}

TEST(ScheduleTest, StaggerAddsAStableOffsetPerJob) {
  const std::int64_t window = 300'000;
  const std::int64_t a = stagger_offset_ms(window, "job-a");
  const std::int64_t b = stagger_offset_ms(window, "job-b");
  EXPECT_GE(a, 0);
  EXPECT_LT(a, window);
  EXPECT_GE(b, 0);
  EXPECT_LT(b, window);
  EXPECT_NE(a, b);                                   // two jobs on one expression spread out
  EXPECT_EQ(stagger_offset_ms(window, "job-a"), a);  // and keep their offset
  EXPECT_EQ(stagger_offset_ms(0, "job-a"), 0);

  const Schedule hourly = cron("0 * * * *", "", window);
  const std::int64_t top = at("2026-01-01T01:00:00Z");
  EXPECT_EQ(next_after(hourly, at("2026-01-01T00:30:00Z"), "UTC", "job-a"), top + a);
  // Between the top of the hour and the job's offset: still this hour's run.
  EXPECT_EQ(next_after(hourly, top, "UTC", "job-a"), top + a);
  EXPECT_EQ(next_after(hourly, top + a - 1, "UTC", "job-a"), top + a);
  EXPECT_EQ(next_after(hourly, top + a, "UTC", "job-a"), top + 3'600'000 + a);
}

TEST(ScheduleTest, EveryCountsFromTheAnchor) {
  const std::int64_t anchor = at("2026-01-01T00:00:10Z");
  const Schedule minutely = EverySchedule{60'000, anchor};
  // Past anchor: the next multiple after `after`.
  EXPECT_EQ(next_after(minutely, at("2026-01-01T00:05:00Z"), "UTC"), at("2026-01-01T00:05:10Z"));
  EXPECT_EQ(next_after(minutely, at("2026-01-01T00:05:10Z"), "UTC"),
            at("2026-01-01T00:06:10Z"));  // strictly after
  // Future anchor: the anchor itself is the first run.
  EXPECT_EQ(next_after(minutely, at("2025-12-31T00:00:00Z"), "UTC"), anchor);
  // No anchor: multiples of everyMs from the epoch (the store fills createdAtMs first).
  EXPECT_EQ(next_after(EverySchedule{3'600'000, std::nullopt}, at("2026-01-01T00:30:00Z"), "UTC"),
            at("2026-01-01T01:00:00Z"));
  // Beyond the largest timestamp: never.
  EXPECT_EQ(next_after(EverySchedule{kMaxTimestampMs, 0}, kMaxTimestampMs, "UTC"), std::nullopt);
}

TEST(ScheduleTest, AtFiresOnceIfStillAhead) {
  const Schedule once = AtSchedule{at("2026-12-24T18:00:00Z")};
  EXPECT_EQ(next_after(once, at("2026-12-24T17:59:59.999Z"), "UTC"), at("2026-12-24T18:00:00Z"));
  EXPECT_EQ(next_after(once, at("2026-12-24T18:00:00Z"), "UTC"), std::nullopt);
  EXPECT_EQ(next_after(once, at("2027-01-01T00:00:00Z"), "UTC"), std::nullopt);
}

TEST(ScheduleTest, WireShapesRoundTrip) {
  const Json shapes[] = {
      Json{{"kind", "at"}, {"at", "2026-12-24T18:00:00.000Z"}},
      Json{{"kind", "every"}, {"everyMs", 1800000}},
      Json{{"kind", "every"}, {"everyMs", 1000}, {"anchorMs", 1767225600000}},
      Json{{"kind", "cron"}, {"expr", "0 9 * * 1-5"}},
      Json{{"kind", "cron"}, {"expr", "@hourly"}, {"tz", "Europe/Berlin"}, {"staggerMs", 60000}},
  };
  for (const Json& j : shapes) {
    auto s = parse_schedule(j);
    ASSERT_TRUE(s.ok()) << j.dump() << ": " << s.error().message;
    EXPECT_EQ(to_json(*s), j);
    auto again = parse_schedule(to_json(*s));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *s);
  }
}

TEST(ScheduleTest, AtWithoutOffsetIsUtcAndOffsetsAreHonoured) {
  auto plain = parse_schedule(Json{{"kind", "at"}, {"at", "2026-12-24T18:00"}});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(to_json(*plain)["at"], "2026-12-24T18:00:00.000Z");
  auto offset = parse_schedule(Json{{"kind", "at"}, {"at", "2026-12-24T18:00:00+01:00"}});
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(to_json(*offset)["at"], "2026-12-24T17:00:00.000Z");
  auto epoch = parse_schedule(Json{{"kind", "at"}, {"at", "1798135200000"}});
  ASSERT_TRUE(epoch.ok());
  EXPECT_EQ(to_json(*epoch)["at"], "2026-12-24T18:00:00.000Z");
}

struct BadSchedule {
  Json wire;
  const char* message;
};

TEST(ScheduleTest, BadSchedulesGetClearErrors) {
  const BadSchedule cases[] = {
      {Json::array(),
       "schedule must be an object such as {\"kind\":\"cron\",\"expr\":\"0 9 * * *\"}"},
      {Json{{"expr", "* * * * *"}}, "schedule.kind must be one of at, every, cron"},
      {Json{{"kind", "weekly"}}, "schedule.kind 'weekly' is unknown: use at, every or cron"},
      {Json{{"kind", "on-exit"}, {"command", "ls"}},
       "schedule.kind 'on-exit' is not supported by simpleclaw: use at, every or cron"},
      {Json{{"kind", "every"}, {"everyMs", 500}},
       "schedule.everyMs: 500 is below the minimum 1000 (1 second): use at least 1000, or a "
       "cron expression"},
      {Json{{"kind", "every"}},
       "schedule.everyMs: required: the interval in milliseconds (at "
       "least 1000)"},
      {Json{{"kind", "every"}, {"everyMs", "30m"}},
       "schedule.everyMs: must be a whole number of milliseconds (got \"30m\")"},
      {Json{{"kind", "every"}, {"everyMs", 1500.5}},
       "schedule.everyMs: must be a whole number of milliseconds (got 1500.5)"},
      {Json{{"kind", "every"}, {"everyMs", 9'000'000'000'000'000}},
       "schedule.everyMs: 9000000000000000 is above the maximum 8640000000000000"},
      {Json{{"kind", "every"}, {"everyMs", 60000}, {"anchorMs", -1}},
       "schedule.anchorMs: -1 is below the minimum 0"},
      {Json{{"kind", "every"}, {"everyMs", 60000}, {"expr", "x"}},
       "schedule: unknown field 'expr' for kind every (allowed: kind, everyMs, anchorMs)"},
      {Json{{"kind", "cron"}, {"expr", "0 25 * * *"}},
       "schedule.expr: hour: 25 is out of range 0-23"},
      {Json{{"kind", "cron"}, {"expr", ""}},
       "schedule.expr: required: a cron expression such as \"0 9 * * 1-5\""},
      {Json{{"kind", "cron"}, {"expr", "0 9 * * *"}, {"tz", "Mars/Olympus"}},
       "schedule.tz: unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Berlin "
       "or UTC"},
      {Json{{"kind", "cron"}, {"expr", "0 9 * * *"}, {"tz", 1}},
       "schedule.tz: must be a string such as Europe/Berlin"},
      {Json{{"kind", "cron"}, {"expr", "0 9 * * *"}, {"staggerMs", -5}},
       "schedule.staggerMs: -5 is below the minimum 0"},
      {Json{{"kind", "at"}},
       "schedule.at: required: an ISO 8601 time such as 2026-12-24T18:00:00Z"},
      {Json{{"kind", "at"}, {"at", "tomorrow"}},
       "schedule.at: 'tomorrow' is not a time: expected ISO 8601 such as 2026-12-24T18:00, "
       "2026-12-24T18:00:00Z or 2026-12-24T18:00+01:00, or epoch milliseconds"},
  };
  for (const BadSchedule& c : cases) {
    auto r = parse_schedule(c.wire);
    ASSERT_FALSE(r.ok()) << c.wire.dump();
    EXPECT_TRUE(r.error().is_invalid());
    EXPECT_EQ(r.error().message, c.message) << c.wire.dump();
  }
}

TEST(ScheduleTest, ATzThatIsEmptyMeansTheDefaultZone) {
  auto s = parse_schedule(Json{{"kind", "cron"}, {"expr", "0 9 * * *"}, {"tz", ""}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(next_iso(*s, "2026-01-10T00:00:00Z", "Europe/Berlin"), "2026-01-10T08:00:00.000Z");
  EXPECT_FALSE(to_json(*s).contains("tz"));
}

}  // namespace
}  // namespace simpleclaw::cron
