// The systemd unit text `simpleclaw gateway install` writes (cli/systemd_unit.h), and the
// doctor's disk-space verdict: pure functions, checked line by line.
#include "cli/systemd_unit.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/doctor_checks.h"

namespace simpleclaw::cli {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines(text))
    if (l == line) return true;
  return false;
}

UnitOptions user_unit() {
  UnitOptions o;
  o.exec_path = "/usr/local/bin/simpleclaw";
  o.state_dir = "/home/ann/.simpleclaw";
  o.config_path = "/home/ann/.simpleclaw/config.yaml";
  return o;
}

TEST(SystemdUnit, UserUnitRunsTheGatewayAsANotifyServiceWithWatchdogAndRestart) {
  std::string u = render_unit(user_unit());
  EXPECT_EQ(lines(u).front(), std::string(kUnitMarker));
  EXPECT_TRUE(has_line(u, "Type=notify")) << u;
  EXPECT_TRUE(has_line(u,
                       "ExecStart=/usr/local/bin/simpleclaw gateway --state-dir "
                       "/home/ann/.simpleclaw --config /home/ann/.simpleclaw/config.yaml"))
      << u;
  EXPECT_TRUE(has_line(u, "WatchdogSec=30")) << u;
  EXPECT_TRUE(has_line(u, "Restart=on-failure")) << u;
  EXPECT_TRUE(has_line(u, "ExecReload=/bin/kill -HUP $MAINPID")) << u;
  EXPECT_TRUE(has_line(u, "WantedBy=default.target")) << u;
  EXPECT_EQ(u.find("User="), std::string::npos) << "a user unit runs as its owner";
}

TEST(SystemdUnit, HardeningLeavesOnlyTheStateDirAndWorkspacesWritable) {
  UnitOptions o = user_unit();
  o.rw_paths = {"/srv/work space", o.state_dir};
  std::string u = render_unit(o);
  for (const char* l : {"NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                        "ProtectKernelTunables=yes", "ProtectKernelModules=yes",
                        "ProtectControlGroups=yes", "RestrictSUIDSGID=yes", "LockPersonality=yes",
                        "RestrictRealtime=yes", "SystemCallArchitectures=native"})
    EXPECT_TRUE(has_line(u, l)) << l << "\n" << u;
  // The state dir must exist; a workspace may not yet ("-"); the state dir is not repeated.
  EXPECT_TRUE(has_line(u, "ReadWritePaths=/home/ann/.simpleclaw \"-/srv/work space\"")) << u;
  // bubblewrap (the exec tool's sandbox) needs user namespaces.
  EXPECT_EQ(u.find("\nRestrictNamespaces="), std::string::npos) << u;
  EXPECT_EQ(u.find("\nPrivateUsers="), std::string::npos) << u;
}

TEST(SystemdUnit, SystemUnitRunsAsTheInvokingUserAndStartsAtBoot) {
  UnitOptions o = user_unit();
  o.system = true;
  o.user = "ann";
  o.watchdog_sec = 10;
  std::string u = render_unit(o);
  EXPECT_TRUE(has_line(u, "User=ann")) << u;
  EXPECT_TRUE(has_line(u, "WantedBy=multi-user.target")) << u;
  EXPECT_TRUE(has_line(u, "WatchdogSec=10")) << u;
  EXPECT_TRUE(has_line(u, "ReadWritePaths=/home/ann/.simpleclaw")) << u;
}

TEST(SystemdUnit, PathsWithSpacesPercentAndDollarAreQuotedForSystemd) {
  EXPECT_EQ(systemd_quote("/plain/path"), "/plain/path");
  EXPECT_EQ(systemd_quote("/a b"), "\"/a b\"");
  EXPECT_EQ(systemd_quote("/100%"), "/100%%");    // % starts a specifier
  EXPECT_EQ(systemd_quote("/$HOME"), "/$$HOME");  // $ would expand a variable
  EXPECT_EQ(systemd_quote("/a\"b"), "\"/a\\\"b\"");
  UnitOptions o = user_unit();
  o.state_dir = "/home/ann/my state";
  o.config_path = "/home/ann/my state/config.yaml";
  std::string u = render_unit(o);
  EXPECT_TRUE(has_line(u,
                       "ExecStart=/usr/local/bin/simpleclaw gateway --state-dir "
                       "\"/home/ann/my state\" --config \"/home/ann/my state/config.yaml\""))
      << u;
}

TEST(DoctorDisk, WarnsUnderOneGibAndFailsUnderOneHundredMib) {
  constexpr unsigned long long kMiB = 1024ull * 1024;
  Check ok = disk_check("/var/lib/x", 5 * 1024 * kMiB);
  EXPECT_EQ(ok.status, CheckStatus::kOk);
  EXPECT_NE(ok.detail.find("/var/lib/x"), std::string::npos);
  Check warn = disk_check("/var/lib/x", 900 * kMiB);
  EXPECT_EQ(warn.status, CheckStatus::kWarn);
  EXPECT_NE(warn.detail.find("900 MiB"), std::string::npos) << warn.detail;
  EXPECT_FALSE(warn.fix.empty());
  Check fail = disk_check("/var/lib/x", 50 * kMiB);
  EXPECT_EQ(fail.status, CheckStatus::kFail);
  EXPECT_NE(fail.detail.find("/var/lib/x"), std::string::npos);
  EXPECT_FALSE(fail.fix.empty());
}

}  // namespace
}  // namespace simpleclaw::cli
