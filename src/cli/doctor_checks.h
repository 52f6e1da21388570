// `simpleclaw doctor`'s checks: one small function each, over a context loaded once
// (config, state dir, a running gateway), returning {status, title, detail, fix}. It
// works with or without a gateway running. doctor_cmd.cpp runs and prints them.
#pragma once
#include <string>
#include <vector>

#include "cli/cli.h"
#include "config/config.h"

namespace simpleclaw::cli {

enum class CheckStatus { kOk = 0, kWarn = 1, kFail = 2 };
const char* status_name(CheckStatus s);  // "OK" | "WARN" | "FAIL"

struct Check {
  std::string id;  // stable, for --json readers: "config", "port", "db:sessions.db", ...
  CheckStatus status = CheckStatus::kOk;
  std::string title;   // short, human
  std::string detail;  // what was found (never a secret value)
  std::string fix;     // what to do about it ("" when OK)
};

inline constexpr unsigned long long kDiskWarnBytes = 1024ull * 1024 * 1024;  // < 1 GiB: WARN
inline constexpr unsigned long long kDiskFailBytes = 100ull * 1024 * 1024;   // < 100 MiB: FAIL
// The disk-space verdict for `avail_bytes` free on the file system holding `path`.
Check disk_check(const std::string& path, unsigned long long avail_bytes);

// Everything the checks share, loaded once by load_doctor_context().
struct DoctorContext {
  std::string state_dir, config_path;
  config::FileState file;
  config::Parsed parsed;
  Json doc;  // validated doc, else the raw YAML as JSON (best effort), else null
  bool config_ok = false;
  int port = config::kDefaultPort;
  std::string bind = "loopback";
  // A running gateway (holds <state>/gateway.lock).
  bool running = false;
  std::string running_pid;
  int running_port = 0;
  std::string running_url;
};
DoctorContext load_doctor_context(const DoctorOptions& o);

// store.backend: postgres: the server reachable with the configured URL, and its schema
// version against this binary's (read only).
Check check_postgres(const DoctorContext& c);
// Cluster mode: the NATS server answers and takes the login (never shows the password).
Check check_nats(const DoctorContext& c);

Check check_config(const DoctorContext& c);        // parse + schema, every issue with its line
Check check_state_dir(const DoctorContext& c);     // 0700, owned by us
Check check_secret_files(const DoctorContext& c);  // token, TLS key, config: 0600
Check check_gateway(const DoctorContext& c);       // running (pid) or not, from gateway.lock
Check check_port(const DoctorContext& c);          // free, the running gateway's, or taken
Check check_exposure(const DoctorContext& c);      // non-loopback bind: auth, token, TLS
std::vector<Check> check_providers(const DoctorContext& c, int timeout_ms);  // reachability
std::vector<Check> check_channels(const DoctorContext& c);   // required credentials present
std::vector<Check> check_databases(const DoctorContext& c);  // PRAGMA quick_check, read-only
Check check_disk(const DoctorContext& c);                    // statvfs of the state dir

}  // namespace simpleclaw::cli
