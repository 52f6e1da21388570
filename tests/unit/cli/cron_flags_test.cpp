// `simpleclaw cron`'s input and output (cli/cron_flags.h, cli/cron_format.h): flags become
// the cron.add params and cron.update patches the gateway documents, a local --at is read
// on the named zone's wall clock across DST changes, and every refusal names the flag and
// shows a form that works. Pure functions, fixed "now".
#include "cli/cron_flags.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "cli/cron_format.h"

namespace simpleclaw::cli {
namespace {

// 2026-12-05T12:00:00Z.
constexpr std::int64_t kCronNow = 1'796'472'000'000;

std::string add_error(const JobFlags& f) {
  auto r = build_add_params(f, kCronNow, "UTC");
  EXPECT_FALSE(r.ok()) << (r.ok() ? r->dump() : "");
  return r.ok() ? std::string() : r.error().message;
}

JobFlags turn(const std::string& message) {
  JobFlags f;
  f.message = message;
  return f;
}

TEST(CronFormat, TimesOnAZonesWallClock) {
  EXPECT_EQ(iso_utc(kCronNow), "2026-12-05T12:00:00.000Z");
  EXPECT_EQ(format_zone_time(kCronNow, "UTC"), "2026-12-05 12:00 UTC");
  EXPECT_EQ(format_zone_time(kCronNow, "Europe/Berlin"), "2026-12-05 13:00 CET");
  EXPECT_EQ(format_zone_time(kCronNow + 180LL * 86'400'000, "Europe/Berlin"),
            "2027-06-03 14:00 CEST");
  EXPECT_EQ(format_zone_time(kCronNow + 5'250, "UTC"), "2026-12-05 12:00:05 UTC");
  EXPECT_EQ(format_zone_time(kCronNow, "Mars/Base"), "2026-12-05 12:00 UTC");
  EXPECT_EQ(format_zone_time(kCronNow, ""), "2026-12-05 12:00 UTC");
}

TEST(CronFormat, DistancesAndDurations) {
  EXPECT_EQ(format_relative(kCronNow + 2 * 3'600'000 + 5 * 60'000 + 30'000, kCronNow), "in 2h 5m");
  EXPECT_EQ(format_relative(kCronNow + 45'000, kCronNow), "in 45s");
  EXPECT_EQ(format_relative(kCronNow + 3'600'000, kCronNow), "in 1h");
  EXPECT_EQ(format_relative(kCronNow - (3 * 86'400'000LL + 4 * 3'600'000), kCronNow), "3d 4h ago");
  EXPECT_EQ(format_relative(kCronNow + 400, kCronNow), "now");
  EXPECT_EQ(format_run_duration(850), "850ms");
  EXPECT_EQ(format_run_duration(1'249), "1.2s");
  EXPECT_EQ(format_run_duration(125'000), "2m 5s");
  EXPECT_EQ(format_run_duration(3'780'000), "1h 3m");
}

TEST(CronFormat, SchedulesInWords) {
  EXPECT_EQ(describe_schedule(Json{{"kind", "every"}, {"everyMs", 1'800'000}}, "UTC"), "every 30m");
  EXPECT_EQ(describe_schedule(
                Json{{"kind", "cron"}, {"expr", "0 9 * * 1-5"}, {"tz", "Europe/Berlin"}}, "UTC"),
            "cron 0 9 * * 1-5 (Europe/Berlin)");
  EXPECT_EQ(describe_schedule(Json{{"kind", "cron"}, {"expr", "0 * * * *"}, {"staggerMs", 300'000}},
                              "UTC"),
            "cron 0 * * * * (stagger 5m)");
  EXPECT_EQ(describe_schedule(Json{{"kind", "at"}, {"at", "2026-12-24T17:00:00.000Z"}}, "UTC"),
            "at 2026-12-24 17:00 UTC");
  EXPECT_EQ(
      describe_schedule(Json{{"kind", "at"}, {"at", "2026-12-24T17:00:00.000Z"}}, "Europe/Berlin"),
      "at 2026-12-24 18:00 CET");
}

TEST(CronFormat, CellsAndTables) {
  EXPECT_EQ(one_line("first\nsecond", 60), "first");
  EXPECT_EQ(one_line("abcdef", 4), "abc…");
  EXPECT_EQ(one_line("ääääää", 3), "ää…") << "cut at a code point, not a byte";
  EXPECT_EQ(render_table({{"NAME", "ID"}, {"ä", "1"}, {"long name", "22"}}),
            "NAME       ID\nä          1\nlong name  22\n");
}

TEST(CronFlags, EachScheduleFormBecomesTheWireShape) {
  JobFlags f = turn("check the mail");
  f.every = "1h30m";
  auto p = build_add_params(f, kCronNow, "UTC");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ((*p)["schedule"], (Json{{"kind", "every"}, {"everyMs", 5'400'000}}));
  EXPECT_EQ((*p)["sessionTarget"], "isolated");
  EXPECT_EQ((*p)["payload"], (Json{{"kind", "agentTurn"}, {"message", "check the mail"}}));
  EXPECT_FALSE(p->contains("delivery")) << "the gateway's default (announce to last) applies";

  f = JobFlags{};
  f.system_event = "standup";
  f.cron = "0 9 * * 1-5";
  f.tz = "Europe/Berlin";
  f.stagger = "2m";
  p = build_add_params(f, kCronNow, "UTC");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ((*p)["schedule"], (Json{{"kind", "cron"},
                                    {"expr", "0 9 * * 1-5"},
                                    {"tz", "Europe/Berlin"},
                                    {"staggerMs", 120'000}}));
  EXPECT_EQ((*p)["sessionTarget"], "main");
  EXPECT_EQ((*p)["payload"], (Json{{"kind", "systemEvent"}, {"text", "standup"}}));
}

TEST(CronFlags, AtIsWallClockTimeInItsZoneAcrossDst) {
  auto at_of = [](const std::string& text, std::optional<std::string> tz, const std::string& host) {
    JobFlags f = turn("x");
    f.at = text;
    f.tz = std::move(tz);
    auto p = build_add_params(f, kCronNow, host);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return p.ok() ? (*p)["schedule"]["at"].get<std::string>() : std::string();
  };
  EXPECT_EQ(at_of("2027-07-01T09:15", "America/New_York", "UTC"), "2027-07-01T13:15:00.000Z");
  EXPECT_EQ(at_of("2027-01-15T08:00", std::nullopt, "Asia/Tokyo"), "2027-01-14T23:00:00.000Z")
      << "no --tz: the host's zone";
  EXPECT_EQ(at_of("2027-01-15T08:00Z", "Asia/Tokyo", "UTC"), "2027-01-15T08:00:00.000Z")
      << "an explicit offset wins";
  // Spring forward in Berlin, 2027-03-28: 02:30 does not exist, the first instant after the
  // gap is 03:00 CEST. Fall back, 2027-10-31: 02:30 happens twice, the first is CEST.
  EXPECT_EQ(at_of("2027-03-28T02:30", "Europe/Berlin", "UTC"), "2027-03-28T01:00:00.000Z");
  EXPECT_EQ(at_of("2027-10-31T02:30", "Europe/Berlin", "UTC"), "2027-10-31T00:30:00.000Z");
  EXPECT_EQ(at_of("+20m", std::nullopt, "UTC"), iso_utc(kCronNow + 20 * 60'000));
}

TEST(CronFlags, RefusalsNameTheFlagAndShowAnExample) {
  JobFlags f = turn("x");
  f.every = "30x";
  std::string e = add_error(f);
  EXPECT_NE(e.find("--every: "), std::string::npos) << e;
  EXPECT_NE(e.find("unknown unit"), std::string::npos) << e;
  EXPECT_NE(e.find("e.g. --every 30m"), std::string::npos) << e;

  f = turn("x");
  f.cron = "0 25 * * *";
  e = add_error(f);
  EXPECT_NE(e.find("--cron: '0 25 * * *': hour"), std::string::npos) << e;
  EXPECT_NE(e.find("e.g. --cron \"0 9 * * 1-5\""), std::string::npos) << e;

  f.cron = "0 0 30 2 *";
  e = add_error(f);
  EXPECT_NE(e.find("matches no date"), std::string::npos) << e;

  f = turn("x");
  f.cron = "0 9 * * *";
  f.tz = "Mars/Base";
  e = add_error(f);
  EXPECT_NE(e.find("--tz: unknown time zone 'Mars/Base'"), std::string::npos) << e;
  EXPECT_NE(e.find("Europe/Berlin"), std::string::npos) << e;

  f = turn("x");
  f.at = "2026-01-01T00:00";
  e = add_error(f);
  EXPECT_NE(e.find("is in the past"), std::string::npos) << e;
  f.at = "tomorrow";
  e = add_error(f);
  EXPECT_NE(e.find("--at: "), std::string::npos) << e;
  EXPECT_NE(e.find("--at +20m"), std::string::npos) << e;

  f = turn("x");
  e = add_error(f);
  EXPECT_NE(e.find("a schedule is required"), std::string::npos) << e;
  f.every = "1h";
  f.cron = "0 9 * * *";
  EXPECT_NE(add_error(f).find("give one schedule"), std::string::npos);

  f = JobFlags{};
  f.every = "1h";
  EXPECT_NE(add_error(f).find("--message TEXT"), std::string::npos);

  f = turn("x");
  f.every = "1h";
  f.deliver = "telegram";
  EXPECT_NE(add_error(f).find("--deliver: 'telegram' is not channel:to"), std::string::npos);
  f.deliver.reset();
  f.timeout = "2d";
  EXPECT_NE(add_error(f).find("--timeout: '2d' is outside 1s..1d"), std::string::npos);
  f.timeout.reset();
  f.missed = "sometimes";
  EXPECT_NE(add_error(f).find("--missed: 'sometimes'"), std::string::npos);
  f.missed.reset();
  f.tz = "UTC";
  EXPECT_NE(add_error(f).find("--tz: does not apply to --every"), std::string::npos);
}

TEST(CronFlags, EditPatchesOnlyWhatWasGiven) {
  const Json current{
      {"id", "j1"},
      {"name", "digest"},
      {"schedule", {{"kind", "cron"}, {"expr", "0 7 * * 1-5"}, {"tz", "Europe/Berlin"}}},
      {"sessionTarget", "isolated"},
      {"payload", {{"kind", "agentTurn"}, {"message", "summarize"}}},
      {"delivery", {{"mode", "announce"}, {"channel", "telegram"}, {"to", "42"}}}};
  JobFlags f;
  f.every = "2h";
  auto p = build_update_patch(f, current, kCronNow, "UTC");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(*p, (Json{{"schedule", {{"kind", "every"}, {"everyMs", 7'200'000}}}}));

  f = JobFlags{};
  f.tz = "America/New_York";
  p = build_update_patch(f, current, kCronNow, "UTC");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(
      *p,
      (Json{{"schedule", {{"kind", "cron"}, {"expr", "0 7 * * 1-5"}, {"tz", "America/New_York"}}}}))
      << "--tz alone keeps the expression";

  f = JobFlags{};
  f.model = "fake/other";
  f.disable = true;
  p = build_update_patch(f, current, kCronNow, "UTC");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(*p, (Json{{"payload", {{"model", "fake/other"}}}, {"enabled", false}}));

  // Switching to a system event moves the job to the main session and drops the announce.
  f = JobFlags{};
  f.system_event = "standup";
  p = build_update_patch(f, current, kCronNow, "UTC");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(*p, (Json{{"payload", {{"kind", "systemEvent"}, {"text", "standup"}}},
                      {"sessionTarget", "main"},
                      {"delivery", nullptr}}));

  f = JobFlags{};
  f.clear_delivery = true;
  p = build_update_patch(f, current, kCronNow, "UTC");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (Json{{"delivery", nullptr}}));

  auto none = build_update_patch(JobFlags{}, current, kCronNow, "UTC");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("nothing to change"), std::string::npos);
  f = JobFlags{};
  f.enable = f.disable = true;
  EXPECT_FALSE(build_update_patch(f, current, kCronNow, "UTC").ok());
}

}  // namespace
}  // namespace simpleclaw::cli
