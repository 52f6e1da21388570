// Cron expression parsing: every syntax form yields the right value sets, bad input gets
// an error that names the field and what was wrong.
#include "cron/cron_expr.h"

#include <gtest/gtest.h>

#include <string>

namespace simpleclaw::cron {
namespace {

std::uint64_t bits(std::initializer_list<int> values) {
  std::uint64_t b = 0;
  for (int v : values) b |= std::uint64_t{1} << v;
  return b;
}

std::uint64_t range_bits(int lo, int hi, int step = 1) {
  std::uint64_t b = 0;
  for (int v = lo; v <= hi; v += step) b |= std::uint64_t{1} << v;
  return b;
}

CronExpr must_parse(const std::string& text) {
  auto r = parse_cron_expr(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : CronExpr{};
}

TEST(CronExprTest, FiveFieldsStarsNumbersRangesStepsLists) {
  CronExpr e = must_parse("*/15 9-17 1,15 * 1-5");
  EXPECT_EQ(e.seconds, bits({0}));
  EXPECT_EQ(e.minutes, bits({0, 15, 30, 45}));
  EXPECT_EQ(e.hours, range_bits(9, 17));
  EXPECT_EQ(e.days, bits({1, 15}));
  EXPECT_EQ(e.months, range_bits(1, 12));
  EXPECT_EQ(e.weekdays, range_bits(1, 5));
  EXPECT_FALSE(e.has_seconds);
  EXPECT_FALSE(e.hour_star);
  EXPECT_FALSE(e.dom_star);
  EXPECT_FALSE(e.dow_star);

  e = must_parse("0-30/10,45 */6 */10 2-12/3 *");
  EXPECT_EQ(e.minutes, bits({0, 10, 20, 30, 45}));
  EXPECT_EQ(e.hours, bits({0, 6, 12, 18}));
  EXPECT_TRUE(e.hour_star);
  EXPECT_EQ(e.days, bits({1, 11, 21, 31}));
  EXPECT_TRUE(e.dom_star);  // starts with *: Vixie's AND rule applies
  EXPECT_EQ(e.months, bits({2, 5, 8, 11}));
  EXPECT_TRUE(e.dow_star);
}

TEST(CronExprTest, SixFieldsPutSecondsFirst) {
  CronExpr e = must_parse("*/20 30 8 * * *");
  EXPECT_TRUE(e.has_seconds);
  EXPECT_EQ(e.seconds, bits({0, 20, 40}));
  EXPECT_EQ(e.minutes, bits({30}));
  EXPECT_EQ(e.hours, bits({8}));
}

TEST(CronExprTest, NumberWithStepRunsToTheFieldsEnd) {
  EXPECT_EQ(must_parse("5/15 * * * *").minutes, bits({5, 20, 35, 50}));
}

TEST(CronExprTest, MonthAndWeekdayNamesAnyCase) {
  CronExpr e = must_parse("0 8 * jan-MAR,Dec sat-sun");
  EXPECT_EQ(e.months, bits({1, 2, 3, 12}));
  EXPECT_EQ(e.weekdays, bits({0, 6}));  // SAT-SUN wraps to Sunday
  EXPECT_EQ(must_parse("0 0 * * MON,wed,Fri").weekdays, bits({1, 3, 5}));
}

TEST(CronExprTest, SevenIsSundayAndQuestionMarkIsStar) {
  EXPECT_EQ(must_parse("0 0 * * 7").weekdays, bits({0}));
  EXPECT_EQ(must_parse("0 0 * * 5-7").weekdays, bits({0, 5, 6}));
  CronExpr q = must_parse("0 0 ? * MON");
  EXPECT_TRUE(q.dom_star);
  EXPECT_EQ(q.days, range_bits(1, 31));
  EXPECT_TRUE(must_parse("0 0 1 * ?").dow_star);
}

TEST(CronExprTest, MacrosExpand) {
  EXPECT_EQ(must_parse("@yearly"), must_parse("0 0 1 1 *"));
  EXPECT_EQ(must_parse("@annually"), must_parse("0 0 1 1 *"));
  EXPECT_EQ(must_parse("@monthly"), must_parse("0 0 1 * *"));
  EXPECT_EQ(must_parse("@weekly"), must_parse("0 0 * * 0"));
  EXPECT_EQ(must_parse("@daily"), must_parse("0 0 * * *"));
  EXPECT_EQ(must_parse("@MIDNIGHT"), must_parse("0 0 * * *"));
  EXPECT_EQ(must_parse("@hourly"), must_parse("0 * * * *"));
  EXPECT_TRUE(must_parse("@hourly").hour_star);
}

TEST(CronExprTest, ExtraWhitespaceIsIgnored) {
  EXPECT_EQ(must_parse("  0\t9  * *   1-5 "), must_parse("0 9 * * 1-5"));
}

TEST(CronExprTest, VixieDayRuleOrWhenBothRestrictedAndWhenOneIsStar) {
  CronExpr both = must_parse("0 0 1,15 * 5");  // the 1st, the 15th, and every Friday
  EXPECT_TRUE(day_matches(both, 1, 1, 4));
  EXPECT_TRUE(day_matches(both, 2, 1, 5));
  EXPECT_FALSE(day_matches(both, 2, 1, 4));
  CronExpr stepped = must_parse("0 0 */10 * 1");  // days 1,11,21,31 that are Mondays
  EXPECT_FALSE(day_matches(stepped, 11, 1, 0));
  EXPECT_FALSE(day_matches(stepped, 12, 1, 1));
  EXPECT_TRUE(day_matches(stepped, 11, 5, 1));
}

struct BadExpr {
  const char* text;
  const char* message;
};

TEST(CronExprTest, BadInputGetsAnErrorNamingTheFieldAndTheProblem) {
  const BadExpr cases[] = {
      {"0 25 * * *", "hour: 25 is out of range 0-23"},
      {"60 * * * *", "minute: 60 is out of range 0-59"},
      {"61 * * * * *", "second: 61 is out of range 0-59"},
      {"* * 0 * *", "day of month: 0 is out of range 1-31"},
      {"* * 32 * *", "day of month: 32 is out of range 1-31"},
      {"* * * 13 *", "month: 13 is out of range 1-12"},
      {"* * * * 8", "day of week: 8 is out of range 0-7"},
      {"0 99999999999999999999 * * *", "hour: 99999999999999999999 is out of range 0-23"},
      {"*/0 * * * *", "minute: step 0 in '*/0' is out of range 1-59"},
      {"*/x * * * *", "minute: step 'x' in '*/x' is not a number"},
      {"* * * FOO *", "month: 'FOO' is not a number or a name (JAN..DEC)"},
      {"* * * * MONDAY", "day of week: 'MONDAY' is not a number or a name (SUN..SAT)"},
      {"* MON * * *", "hour: 'MON' is not a number"},
      {"5-1 * * * *",
       "minute: range 5-1 runs backwards: write the wrap-around as two ranges, e.g. 5-59,0-1"},
      {"? * * * *", "minute: '?' is only allowed in the day-of-month and day-of-week fields"},
      {"1,,2 * * * *", "minute: empty list item in '1,,2'"},
      {"0 0 L * *", "day of month: 'L' is not supported: use numbers, ranges, steps and lists"},
      {"1- * * * *", "minute: a number is missing"},
      {"* * * *",
       "cron expression has 4 fields: expected 5 (minute hour day-of-month month "
       "day-of-week) or 6 (second first)"},
      {"* * * * * * *",
       "cron expression has 7 fields: expected 5 (minute hour day-of-month month "
       "day-of-week) or 6 (second first)"},
      {"   ",
       "cron expression is empty: expected 5 fields (minute hour day-of-month month "
       "day-of-week), 6 with seconds first, or a macro such as @daily"},
      {"@weekly2",
       "unknown cron macro '@weekly2': expected @yearly, @annually, @monthly, @weekly, "
       "@daily, @midnight or @hourly"},
      {"@reboot", "@reboot is not supported: a scheduled job needs a time"},
      {"@daily 5", "cron macro @daily takes no fields after it"},
      {"0 0 * * \x01", "cron expression has a control or non-ASCII character"},
  };
  for (const BadExpr& c : cases) {
    auto r = parse_cron_expr(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_TRUE(r.error().is_invalid());
    EXPECT_EQ(r.error().message, c.message) << c.text;
  }
}

TEST(CronExprTest, ExpressionsOver256BytesAreRefused) {
  std::string ok = "0 0 * * *" + std::string(247, ' ');
  ASSERT_EQ(ok.size(), 256u);
  EXPECT_TRUE(parse_cron_expr(ok).ok());
  std::string big = "0 0 * * *" + std::string(248, ' ');
  auto r = parse_cron_expr(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cron expression is 257 bytes: the limit is 256");
}

TEST(CronExprTest, NextLocalMatchSkipsByFieldAndStopsAtTheLimit) {
  // Local seconds: 2026-01-01T00:00:00 = 1767225600.
  constexpr std::int64_t kJan1 = 1'767'225'600;
  CronExpr e = must_parse("30 4 * * *");
  EXPECT_EQ(next_local_match(e, kJan1, kJan1 + 86'400), kJan1 + 4 * 3600 + 30 * 60);
  EXPECT_EQ(next_local_match(e, kJan1 + 4 * 3600 + 30 * 60, kJan1 + 86'400),
            kJan1 + 4 * 3600 + 30 * 60);  // from is inclusive
  EXPECT_EQ(next_local_match(e, kJan1 + 5 * 3600, kJan1 + 86'400), std::nullopt);
  // Feb 30 never comes: the search ends at the limit, quickly.
  EXPECT_EQ(next_local_match(must_parse("0 0 30 2 *"), kJan1, kJan1 + 5LL * 366 * 86'400),
            std::nullopt);
}

}  // namespace
}  // namespace simpleclaw::cron
