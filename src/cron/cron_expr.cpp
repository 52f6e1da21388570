#include "cron/cron_expr.h"

#include <date/date.h>

#include <array>
#include <bit>
#include <cctype>
#include <string>
#include <vector>

namespace simpleclaw::cron {
namespace {

struct FieldSpec {
  const char* name;                          // in error messages: "hour: 25 is out of range 0-23"
  int lo, hi;                                // allowed numbers (day of week: 0-7, 7 = Sunday)
  int star_hi;                               // where * ends (day of week: 6)
  const std::array<const char*, 12>* names;  // names[i] = value lo + i; null = numbers only
};

constexpr std::array<const char*, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 12> kDayNames = {
    "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", nullptr, nullptr, nullptr, nullptr, nullptr};

constexpr FieldSpec kSecond{"second", 0, 59, 59, nullptr};
constexpr FieldSpec kMinute{"minute", 0, 59, 59, nullptr};
constexpr FieldSpec kHour{"hour", 0, 23, 23, nullptr};
constexpr FieldSpec kMonthDay{"day of month", 1, 31, 31, nullptr};
constexpr FieldSpec kMonth{"month", 1, 12, 12, &kMonthNames};
constexpr FieldSpec kWeekday{"day of week", 0, 7, 6, &kDayNames};

struct Macro {
  const char* name;
  const char* expansion;
};
constexpr std::array<Macro, 7> kMacros = {{{"@yearly", "0 0 1 1 *"},
                                           {"@annually", "0 0 1 1 *"},
                                           {"@monthly", "0 0 1 * *"},
                                           {"@weekly", "0 0 * * 0"},
                                           {"@daily", "0 0 * * *"},
                                           {"@midnight", "0 0 * * *"},
                                           {"@hourly", "0 * * * *"}}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string range_text(const FieldSpec& f) {
  return std::to_string(f.lo) + "-" + std::to_string(f.hi);
}

Error field_error(const FieldSpec& f, const std::string& what) {
  return Error::invalid(std::string(f.name) + ": " + what);
}

// One value: digits or (month, day of week) a three-letter name. `is_name` tells the
// caller SUN was written as a name (SAT-SUN means 6-7).
Result<int> parse_value(const FieldSpec& f, std::string_view tok, bool* is_name) {
  *is_name = false;
  if (tok.empty()) return field_error(f, "a number is missing");
  if (std::isdigit(static_cast<unsigned char>(tok[0]))) {
    long long v = 0;
    for (char c : tok) {
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return field_error(f, "'" + std::string(tok) + "' is not a number");
      if (v < 1'000'000) v = v * 10 + (c - '0');  // bounded: anything this big is out of range
    }
    if (v < f.lo || v > f.hi)
      return field_error(f, std::string(tok) + " is out of range " + range_text(f));
    return static_cast<int>(v);
  }
  if (f.names) {
    for (std::size_t i = 0; i < f.names->size(); ++i) {
      const char* n = (*f.names)[i];
      if (n && iequals(tok, n)) {
        *is_name = true;
        return f.lo + static_cast<int>(i);
      }
    }
    return field_error(f, "'" + std::string(tok) + "' is not a number or a name (" +
                              (f.names == &kMonthNames ? "JAN..DEC" : "SUN..SAT") + ")");
  }
  if (tok == "L" || tok == "W" || tok.find('#') != std::string_view::npos)
    return field_error(
        f, "'" + std::string(tok) + "' is not supported: use numbers, ranges, steps and lists");
  return field_error(f, "'" + std::string(tok) + "' is not a number");
}

// One field: a comma-separated list of items. Returns the bit set (bit n = value n).
Result<std::uint64_t> parse_field(const FieldSpec& f, std::string_view text, bool* star) {
  *star = !text.empty() && (text[0] == '*' || text[0] == '?');
  std::uint64_t bits = 0;
  std::size_t pos = 0;
  while (true) {
    std::size_t comma = text.find(',', pos);
    std::string_view item =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (item.empty()) return field_error(f, "empty list item in '" + std::string(text) + "'");
    std::string_view base = item;
    int step = 1;
    bool has_step = false;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      std::string_view st = item.substr(slash + 1);
      bool digits = !st.empty() && st.size() <= 6;
      for (char c : st) digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (!digits)
        return field_error(
            f, "step '" + std::string(st) + "' in '" + std::string(item) + "' is not a number");
      step = std::stoi(std::string(st));
      if (step < 1 || step > f.hi)
        return field_error(f, "step " + std::to_string(step) + " in '" + std::string(item) +
                                  "' is out of range 1-" + std::to_string(f.hi));
      has_step = true;
    }
    int lo = 0, hi = 0;
    if (base == "*" || base == "?") {
      if (base == "?" && f.names != &kDayNames && &f != &kMonthDay)
        return field_error(f, "'?' is only allowed in the day-of-month and day-of-week fields");
      lo = f.lo;
      hi = f.star_hi;
    } else {
      auto dash = base.find('-');
      bool lo_name = false, hi_name = false;
      auto a = parse_value(f, base.substr(0, dash), &lo_name);
      if (!a) return a.error();
      lo = hi = *a;
      if (dash != std::string_view::npos) {
        auto b = parse_value(f, base.substr(dash + 1), &hi_name);
        if (!b) return b.error();
        hi = *b;
        if (f.names == &kDayNames && hi_name && hi == 0 && lo > 0) hi = 7;  // SAT-SUN
        if (hi < lo)
          return field_error(f, "range " + std::string(base) +
                                    " runs backwards: write the wrap-around as two ranges, "
                                    "e.g. " +
                                    std::to_string(lo) + "-" + std::to_string(f.hi) + "," +
                                    std::to_string(f.lo) + "-" + std::to_string(hi));
      } else if (has_step) {
        hi = f.star_hi;  // a/n: from a to the field's end
      }
    }
    for (int v = lo; v <= hi; v += step) bits |= std::uint64_t{1} << v;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return bits;
}

// The lowest set bit >= from, or -1.
int next_bit(std::uint64_t bits, int from) {
  if (from >= 64) return -1;
  std::uint64_t rest = bits >> from;
  return rest == 0 ? -1 : from + std::countr_zero(rest);
}

constexpr std::int64_t kDaySeconds = 86'400;

}  // namespace

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

Result<CronExpr> parse_cron_expr(std::string_view text) {
  if (text.size() > kMaxCronExprBytes)
    return Error::invalid("cron expression is " + std::to_string(text.size()) +
                          " bytes: the limit is " + std::to_string(kMaxCronExprBytes));
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  if (fields.empty())
    return Error::invalid(
        "cron expression is empty: expected 5 fields (minute hour day-of-month month "
        "day-of-week), 6 with seconds first, or a macro such as @daily");
  if (fields[0][0] == '@') {
    if (fields.size() != 1)
      return Error::invalid("cron macro " + std::string(fields[0]) + " takes no fields after it");
    for (const Macro& m : kMacros)
      if (iequals(fields[0], m.name)) return parse_cron_expr(m.expansion);
    if (iequals(fields[0], "@reboot"))
      return Error::invalid("@reboot is not supported: a scheduled job needs a time");
    return Error::invalid("unknown cron macro '" + std::string(fields[0]) +
                          "': expected @yearly, @annually, @monthly, @weekly, @daily, "
                          "@midnight or @hourly");
  }
  if (fields.size() != 5 && fields.size() != 6)
    return Error::invalid("cron expression has " + std::to_string(fields.size()) +
                          " fields: expected 5 (minute hour day-of-month month day-of-week) "
                          "or 6 (second first)");
  for (std::string_view f : fields)
    for (char c : f)
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
        return Error::invalid("cron expression has a control or non-ASCII character");

  CronExpr e;
  e.has_seconds = fields.size() == 6;
  std::size_t at = 0;
  bool star = false;
  if (e.has_seconds) {
    auto s = parse_field(kSecond, fields[at++], &star);
    if (!s) return s.error();
    e.seconds = *s;
  }
  auto mi = parse_field(kMinute, fields[at++], &star);
  if (!mi) return mi.error();
  auto h = parse_field(kHour, fields[at++], &e.hour_star);
  if (!h) return h.error();
  auto dom = parse_field(kMonthDay, fields[at++], &e.dom_star);
  if (!dom) return dom.error();
  auto mo = parse_field(kMonth, fields[at++], &star);
  if (!mo) return mo.error();
  auto dow = parse_field(kWeekday, fields[at++], &e.dow_star);
  if (!dow) return dow.error();
  e.minutes = *mi;
  e.hours = static_cast<std::uint32_t>(*h);
  e.days = static_cast<std::uint32_t>(*dom);
  e.months = static_cast<std::uint16_t>(*mo);
  std::uint64_t wd = *dow;
  if (wd & (std::uint64_t{1} << 7)) wd = (wd | 1) & 0x7f;  // 7 is Sunday
  e.weekdays = static_cast<std::uint8_t>(wd);
  return e;
}

bool day_matches(const CronExpr& e, unsigned month_day, unsigned month, unsigned weekday) {
  (void)month;
  const bool dom_ok = (e.days >> month_day) & 1;
  const bool dow_ok = (e.weekdays >> weekday) & 1;
  if (e.dom_star || e.dow_star) return dom_ok && dow_ok;
  return dom_ok || dow_ok;
}

std::optional<std::int64_t> next_local_match(const CronExpr& e, std::int64_t from_local,
                                             std::int64_t limit_local) {
  using namespace date;
  std::int64_t day = floor_div(from_local, kDaySeconds);
  std::int64_t sod = from_local - day * kDaySeconds;
  int h = static_cast<int>(sod / 3600), m = static_cast<int>(sod / 60 % 60),
      s = static_cast<int>(sod % 60);
  // Each pass moves forward by at least one second and usually by a whole field; the
  // limit ends it (an impossible date such as Feb 30 runs into it within a few hundred
  // passes a year).
  while (day * kDaySeconds <= limit_local) {
    const sys_days sd{days{day}};
    const year_month_day ymd{sd};
    const unsigned mon = static_cast<unsigned>(ymd.month());
    if (!((e.months >> mon) & 1)) {
      int next = next_bit(e.months, static_cast<int>(mon) + 1);
      year y = ymd.year();
      if (next < 0 || next > 12) {
        y += years{1};
        next = next_bit(e.months, 1);
        if (next < 0 || next > 12) return std::nullopt;
      }
      day = sys_days{y / month{static_cast<unsigned>(next)} / 1}.time_since_epoch().count();
      h = m = s = 0;
      continue;
    }
    const unsigned wd = weekday{sd}.c_encoding();
    if (!day_matches(e, static_cast<unsigned>(ymd.day()), mon, wd)) {
      ++day;
      h = m = s = 0;
      continue;
    }
    int nh = next_bit(e.hours, h);
    if (nh < 0 || nh > 23) {
      ++day;
      h = m = s = 0;
      continue;
    }
    if (nh != h) {
      h = nh;
      m = s = 0;
    }
    int nm = next_bit(e.minutes, m);
    if (nm < 0 || nm > 59) {
      m = s = 0;
      if (++h > 23) {
        h = 0;
        ++day;
      }
      continue;
    }
    if (nm != m) {
      m = nm;
      s = 0;
    }
    int ns = next_bit(e.seconds, s);
    if (ns < 0 || ns > 59) {
      s = 0;
      if (++m > 59) {
        m = 0;
        if (++h > 23) {
          h = 0;
          ++day;
        }
      }
      continue;
    }
    const std::int64_t t = day * kDaySeconds + h * 3600 + m * 60 + ns;
    if (t > limit_local) return std::nullopt;
    return t;
  }
  return std::nullopt;
}

}  // namespace simpleclaw::cron
