// The result type of `simpleclaw doctor`'s checks (doctor_cmd.cpp), and the pure pieces
// of it that unit tests exercise directly.
#pragma once
#include <string>

namespace simpleclaw::cli {

enum class Status { kOk = 0, kWarn = 1, kFail = 2 };
const char* status_name(Status s);  // "OK" | "WARN" | "FAIL"

struct Check {
  std::string id;  // stable, for --json readers: "config", "port", "db:sessions.db", ...
  Status status = Status::kOk;
  std::string title;   // short, human
  std::string detail;  // what was found (never a secret value)
  std::string fix;     // what to do about it ("" when OK)
};

inline constexpr unsigned long long kDiskWarnBytes = 1024ull * 1024 * 1024;  // < 1 GiB: WARN
inline constexpr unsigned long long kDiskFailBytes = 100ull * 1024 * 1024;   // < 100 MiB: FAIL
// The disk-space verdict for `avail_bytes` free on the file system holding `path`.
Check disk_check(const std::string& path, unsigned long long avail_bytes);

}  // namespace simpleclaw::cli
