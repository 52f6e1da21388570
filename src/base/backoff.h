// Exponential backoff with jitter: the one formula behind every retry and restart in
// simpleclaw (provider calls, channel reconnects, plugin and MCP server restarts).
//
//   delay(n) = min(max_ms, base_ms * 2^(n-1)) * f,   f drawn uniformly from [lo, hi]
//
// Jitter spreads the retries of clients that failed together (a shared outage) so they
// do not come back in lockstep. Callers choose the spread: [0.5, 1] ("equal jitter") for
// network retries, [0.8, 1.2] around the nominal delay for plugin restarts, [1, 1] for
// none. Pure functions; unit_random() is thread-safe (one engine per thread).
#pragma once
#include <cstdint>

namespace simpleclaw {

struct BackoffPolicy {
  std::int64_t base_ms = 500;   // delay before the first retry (n = 1), before jitter
  std::int64_t max_ms = 20000;  // cap, before jitter
  double lo = 0.5, hi = 1.0;    // jitter factor range
};

// The delay before attempt `n` (1-based; n <= 0 counts as 1), with `u` in [0, 1] picking
// the jitter factor (tests pass fixed values).
std::int64_t backoff_ms(const BackoffPolicy& p, int n, double u);
// backoff_ms with a fresh random `u`.
std::int64_t backoff_ms(const BackoffPolicy& p, int n);
// Uniform in [0, 1).
double unit_random();

}  // namespace simpleclaw
