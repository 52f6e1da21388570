#include "base/check.h"

#include <atomic>
#include <cstdlib>

#include "base/log.h"

namespace simpleclaw {
namespace {

std::atomic<std::uint64_t> g_violations{0};
#ifdef NDEBUG
std::atomic<CheckMode> g_mode{CheckMode::kCount};
#else
std::atomic<CheckMode> g_mode{CheckMode::kAbort};
#endif

}  // namespace

bool check_failed(const char* expr, const char* file, int line, std::string_view what) {
  g_violations.fetch_add(1, std::memory_order_relaxed);
  log::error("internal invariant broken at {}:{}: {} ({}); please report this with the log", file,
             line, what, expr);
  if (g_mode.load(std::memory_order_relaxed) == CheckMode::kAbort) std::abort();
  return false;
}

std::uint64_t invariant_violations() { return g_violations.load(std::memory_order_relaxed); }
void set_check_mode(CheckMode mode) { g_mode.store(mode, std::memory_order_relaxed); }
CheckMode check_mode() { return g_mode.load(std::memory_order_relaxed); }

}  // namespace simpleclaw
