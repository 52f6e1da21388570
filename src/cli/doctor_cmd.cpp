// `simpleclaw doctor`: loads the context once, runs every check (doctor_checks.cpp) and
// prints them, each with OK/WARN/FAIL and the fix, or as JSON. Exit code: 0 when nothing
// FAILed (warnings allowed), 1 otherwise; usage errors (2) are CLI11's.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "base/fs.h"
#include "cli/cli.h"
#include "cli/doctor_checks.h"
#include "cli/text_diff.h"
#include "config/migrations.h"

namespace simpleclaw::cli {
namespace {

void print_text(const DoctorContext& c, const std::vector<Check>& checks) {
  printf("simpleclaw doctor: state dir %s, config %s\n", c.state_dir.c_str(),
         c.config_path.c_str());
  int n[3] = {0, 0, 0};
  for (const auto& k : checks) {
    ++n[static_cast<int>(k.status)];
    printf("[%-4s] %s: %s\n", status_name(k.status), k.title.c_str(), k.detail.c_str());
    if (!k.fix.empty() && k.status != CheckStatus::kOk) printf("       fix: %s\n", k.fix.c_str());
  }
  printf("%d ok, %d warn, %d fail\n", n[0], n[1], n[2]);
}

// --fix: a config of an older version is rewritten in the current one. The diff is shown
// first; without --yes a terminal is asked and anything else writes nothing. The old
// file is kept beside it (<config>.v<N>.bak) and the write is compare-and-swap against
// the bytes read, so an edit made meanwhile is never clobbered. Returns 0 when nothing
// needed fixing or it was written, 1 when it was not written.
int fix_config(const DoctorOptions& o, const DoctorContext& c) {
  if (!c.file.exists || !c.file.error.empty()) {
    printf("doctor --fix: no config file to migrate (%s)\n", c.config_path.c_str());
    return 0;
  }
  if (!c.config_ok && c.parsed.migrated.empty()) {
    printf(
        "doctor --fix: %s has problems migrations cannot fix; they are listed below with their "
        "lines\n",
        c.config_path.c_str());
    return 1;
  }
  if (c.parsed.migrated.empty()) {
    printf("doctor --fix: %s is config version %d; nothing to migrate\n", c.config_path.c_str(),
           c.parsed.file_version);
    return 0;
  }
  const std::string next = config::migrate_text(c.file.raw);
  printf("doctor --fix: %s is config version %d; version %d renames:\n", c.config_path.c_str(),
         c.parsed.file_version, config::kConfigVersion);
  for (const auto& m : c.parsed.migrated) printf("  %s\n", m.message.c_str());
  printf("\n%s\n",
         unified_diff(c.file.raw, next, c.config_path, c.config_path + " (migrated)").c_str());
  if (!o.yes) {
    if (::isatty(0) != 1) {
      printf("not written: run `simpleclaw doctor --fix --yes` to write it\n");
      return 1;
    }
    printf("Write it (the old file is kept as %s.v%d.bak)? [y/N] ", c.config_path.c_str(),
           c.parsed.file_version);
    fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer) || (answer != "y" && answer != "Y" && answer != "yes")) {
      printf("not written\n");
      return 1;
    }
  }
  const std::string backup = c.config_path + ".v" + std::to_string(c.parsed.file_version) + ".bak";
  if (auto s = write_file_atomic(backup, c.file.raw, 0600); !s.ok()) {
    fprintf(stderr, "error: cannot keep the old file as %s: %s; nothing was written\n",
            backup.c_str(), s.error().message.c_str());
    return 1;
  }
  auto w = config::write_checked(c.config_path, next, c.file.hash);
  if (!w.ok()) {
    fprintf(stderr, "error: %s was not written: %s\n", c.config_path.c_str(),
            w.error().message.c_str());
    return 1;
  }
  printf("written %s (config version %d; the old file is %s)%s\n\n", c.config_path.c_str(),
         config::kConfigVersion, backup.c_str(),
         c.running ? "; the running gateway already read it this way, nothing changes for it" : "");
  return 0;
}

}  // namespace

int doctor_command(const DoctorOptions& o) {
  DoctorContext c = load_doctor_context(o);
  int fixed = 0;
  if (o.fix) {
    fixed = fix_config(o, c);
    c = load_doctor_context(o);  // the checks below see the file as it is now
  }
  std::vector<Check> checks;
  checks.push_back(check_config(c));
  checks.push_back(check_state_dir(c));
  checks.push_back(check_secret_files(c));
  checks.push_back(check_gateway(c));
  checks.push_back(check_port(c));
  checks.push_back(check_exposure(c));
  for (auto& k : check_providers(c, std::clamp(o.probe_timeout_ms, 100, 60000)))
    checks.push_back(std::move(k));
  for (auto& k : check_channels(c)) checks.push_back(std::move(k));
  for (auto& k : check_databases(c)) checks.push_back(std::move(k));
  if (c.config_ok && c.parsed.config.store.backend == "postgres")
    checks.push_back(check_postgres(c));
  if (c.config_ok && c.parsed.config.cluster.enabled()) checks.push_back(check_nats(c));
  checks.push_back(check_disk(c));

  bool failed = std::any_of(checks.begin(), checks.end(),
                            [](const Check& k) { return k.status == CheckStatus::kFail; });
  if (o.json) {
    Json arr = Json::array();
    Json summary{{"ok", 0}, {"warn", 0}, {"fail", 0}};
    for (const auto& k : checks) {
      arr.push_back({{"id", k.id},
                     {"status", status_name(k.status)},
                     {"title", k.title},
                     {"detail", k.detail},
                     {"fix", k.fix}});
      const char* key = k.status == CheckStatus::kOk     ? "ok"
                        : k.status == CheckStatus::kWarn ? "warn"
                                                         : "fail";
      summary[key] = summary[key].get<int>() + 1;
    }
    Json out{{"ok", !failed},
             {"stateDir", c.state_dir},
             {"configPath", c.config_path},
             {"gateway",
              c.running ? Json{{"running", true}, {"pid", c.running_pid}, {"port", c.running_port}}
                        : Json{{"running", false}}},
             {"checks", arr},
             {"summary", summary}};
    printf("%s\n", out.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
  } else {
    print_text(c, checks);
  }
  return failed || fixed != 0 ? 1 : 0;
}

}  // namespace simpleclaw::cli
