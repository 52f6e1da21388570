// Fuzzes the cron expression parser (expressions come from clients: cron.add, the CLI,
// OpenClaw's tools) and the next-due-time search behind it. Must never crash or hang, and
// a parsed expression's next time, when there is one, is strictly after the time asked
// about and matches the expression on the wall clock.
#include "cron/cron_expr.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cron/schedule.h"

using namespace simpleclaw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = cron::parse_cron_expr(input);
  if (!parsed.ok()) {
    if (parsed.error().message.empty()) __builtin_trap();
    return 0;
  }
  // A zone with DST (both transitions inside the horizon) and plain UTC.
  constexpr std::int64_t kAfter = 1'774'000'000'000;  // 2026-03-20, before spring-forward
  cron::CronSchedule c{std::string(input), *parsed, "", 0};
  for (const char* tz : {"UTC", "Europe/Berlin"}) {
    c.tz = tz;
    auto next = cron::next_after(cron::Schedule{c}, kAfter, "UTC", "fuzz");
    if (next && *next <= kAfter) __builtin_trap();
    if (next && *next - kAfter > (cron::kCronHorizonSeconds + 86'400) * 1000) __builtin_trap();
  }
  // In UTC the due time's wall clock reading must match every field.
  c.tz = "UTC";
  if (auto next = cron::next_after(cron::Schedule{c}, kAfter, "UTC")) {
    const std::int64_t s = *next / 1000;
    auto again = cron::next_local_match(*parsed, s, s);
    if (!again || *again != s) __builtin_trap();
  }
  return 0;
}
