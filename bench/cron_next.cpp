// sc_cron_bench: the cost of the scheduler's start-up work with many jobs, per job:
// parsing the wire schedule and computing its next due time (next_after). 10,000 mixed
// schedules by default: cron expressions in several zones (DST and not, wildcard and
// fixed hours, seconds, names, impossible dates), `every` with anchors, and `at`.
//
//   sc_cron_bench [JOBS]   prints one markdown table on stdout
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cron/schedule.h"

using namespace simpleclaw;
using Clock = std::chrono::steady_clock;

namespace {

double ns_since(Clock::time_point start, std::size_t n) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
         static_cast<double>(n);
}

std::vector<Json> mixed_schedules(std::size_t n) {
  const char* exprs[] = {"*/15 * * * *",
                         "0 9 * * 1-5",
                         "30 2 * * *",
                         "0 0 1,15 * 5",
                         "@hourly",
                         "@daily",
                         "0 */2 * * *",
                         "*/10 * * * * *",
                         "0 8 * JAN-MAR,DEC SAT-SUN",
                         "5 4 * * SUN",
                         "0 0 29 2 *",
                         "0 0 30 2 *"};  // the last: never (searches the whole horizon)
  const char* zones[] = {"",
                         "UTC",
                         "Europe/Berlin",
                         "America/New_York",
                         "Asia/Kathmandu",
                         "Australia/Lord_Howe",
                         "Asia/Tokyo"};
  std::vector<Json> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    switch (i % 10) {
      case 0:
        out.push_back({{"kind", "every"},
                       {"everyMs", 60'000 * (1 + i % 120)},
                       {"anchorMs", 1'767'225'600'000 + static_cast<std::int64_t>(i) * 7}});
        break;
      case 1:
        out.push_back({{"kind", "at"}, {"at", "2027-01-01T09:00:00+01:00"}});
        break;
      default: {
        Json j{{"kind", "cron"}, {"expr", exprs[i % std::size(exprs)]}};
        if (const char* tz = zones[(i / 3) % std::size(zones)]; *tz) j["tz"] = tz;
        if (i % 4 == 0) j["staggerMs"] = 300'000;
        out.push_back(std::move(j));
      }
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10'000;
  const std::vector<Json> wire = mixed_schedules(n);
  const std::int64_t now = 1'774'000'000'000;  // 2026-03-20: DST changes ahead in both hemispheres

  auto t0 = Clock::now();
  (void)cron::is_known_zone("UTC");  // loads the tz database's index (once per process)
  const double tzdb_ms = ns_since(t0, 1) / 1e6;

  t0 = Clock::now();
  std::vector<cron::Schedule> schedules;
  schedules.reserve(n);
  for (const Json& j : wire) {
    auto s = cron::parse_schedule(j);
    if (!s) {
      std::fprintf(stderr, "sc_cron_bench: %s\n", s.error().message.c_str());
      return 1;
    }
    schedules.push_back(std::move(*s));
  }
  const double parse_ns = ns_since(t0, n);

  std::vector<std::string> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = "job-" + std::to_string(i);
  // First pass: each zone's file is read on its first use.
  t0 = Clock::now();
  std::size_t due = 0;
  for (std::size_t i = 0; i < n; ++i)
    due += cron::next_after(schedules[i], now, "Europe/Berlin", keys[i]).has_value();
  const double first_ns = ns_since(t0, n);

  // Steady state: best of 5 passes.
  double best_ns = 1e18;
  for (int pass = 0; pass < 5; ++pass) {
    t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i)
      due += cron::next_after(schedules[i], now + pass, "Europe/Berlin", keys[i]).has_value();
    best_ns = std::min(best_ns, ns_since(t0, n));
  }

  // The costliest kind alone: an impossible date searches the whole 5-year horizon.
  cron::Schedule never = *cron::parse_schedule({{"kind", "cron"}, {"expr", "0 0 30 2 *"}});
  t0 = Clock::now();
  for (int i = 0; i < 1000; ++i) due += cron::next_after(never, now + i, "UTC").has_value();
  const double never_ns = ns_since(t0, 1000);

  std::printf("| cron next_after, %zu mixed schedules | value |\n|---|---|\n", n);
  std::printf("| tz database index load (once) | %.2f ms |\n", tzdb_ms);
  std::printf("| parse_schedule per job | %.2f us |\n", parse_ns / 1e3);
  std::printf("| next_after per job, first pass (zone files read) | %.2f us |\n", first_ns / 1e3);
  std::printf("| next_after per job, steady state | %.2f us |\n", best_ns / 1e3);
  std::printf("| next_after, all %zu jobs, steady state | %.2f ms |\n", n, best_ns * n / 1e6);
  std::printf("| next_after, impossible date (0 0 30 2 *) | %.2f us |\n", never_ns / 1e3);
  std::fprintf(stderr, "(%zu due times computed)\n", due);
  return 0;
}
