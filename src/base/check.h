// Invariant checks: for our own promises, never for outside input.
//
// Input from a socket, a platform, an LLM, a file or the database is never checked with
// these: a bad input is an error result, a log line and a counter. These are for things
// that cannot happen unless simpleclaw itself is wrong (a run finishing twice, a reply
// for a request nobody sent).
//
//   if (!SC_CHECK(run != nullptr, "finish() without an active run")) return;
//
// SC_CHECK is always evaluated. A failure is logged (with file and line) and counted
// (invariant_violations(), simpleclaw_invariant_violations_total on /metrics); in a debug
// build (and so the sanitizer test run) it then aborts, so a test that breaks an
// invariant fails loudly. In release the caller takes its recovery path: a 24/7 daemon
// should not die on a bookkeeping slip that it can step around. Thread-safe.
#pragma once
#include <cstdint>
#include <string_view>

namespace simpleclaw {

// Logs and counts one broken invariant; aborts when the mode is kAbort. Returns false.
bool check_failed(const char* expr, const char* file, int line, std::string_view what);
std::uint64_t invariant_violations();

// kAbort in debug builds, kCount in release builds. Tests switch it to test both.
enum class CheckMode { kAbort, kCount };
void set_check_mode(CheckMode mode);
CheckMode check_mode();

}  // namespace simpleclaw

// True when `cond` holds; otherwise reports (see above) and yields false.
#define SC_CHECK(cond, what) \
  (static_cast<bool>(cond) || ::simpleclaw::check_failed(#cond, __FILE__, __LINE__, (what)))
