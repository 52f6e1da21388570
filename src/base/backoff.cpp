#include "base/backoff.h"

#include <algorithm>
#include <random>

namespace simpleclaw {

std::int64_t backoff_ms(const BackoffPolicy& p, int n, double u) {
  double d = static_cast<double>(p.base_ms) * static_cast<double>(1LL << std::clamp(n - 1, 0, 30));
  d = std::min(d, static_cast<double>(p.max_ms));
  double f = p.lo + (p.hi - p.lo) * std::clamp(u, 0.0, 1.0);
  return static_cast<std::int64_t>(std::max(0.0, d * f));
}

std::int64_t backoff_ms(const BackoffPolicy& p, int n) { return backoff_ms(p, n, unit_random()); }

double unit_random() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace simpleclaw
