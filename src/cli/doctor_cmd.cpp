// `simpleclaw doctor`: loads the context once, runs every check (doctor_checks.cpp) and
// prints them, each with OK/WARN/FAIL and the fix, or as JSON. Exit code: 0 when nothing
// FAILed (warnings allowed), 1 otherwise; usage errors (2) are CLI11's.
#include <algorithm>
#include <cstdio>

#include "cli/cli.h"
#include "cli/doctor_checks.h"

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

}  // namespace

int doctor_command(const DoctorOptions& o) {
  DoctorContext c = load_doctor_context(o);
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
  return failed ? 1 : 0;
}

}  // namespace simpleclaw::cli
