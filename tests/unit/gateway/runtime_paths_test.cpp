// Where the gateway keeps its state: --state-dir, else SIMPLECLAW_HOME, else ~/.simpleclaw,
// always made absolute (agent workspaces under it are handed to the exec sandbox, which
// does not run in our working directory).
#include <gtest/gtest.h>

#include <filesystem>

#include "gateway/runtime.h"

namespace simpleclaw::gateway {
namespace {

TEST(StateDir, ARelativeFlagBecomesAbsoluteUnderTheWorkingDirectory) {
  const auto cwd = std::filesystem::current_path();
  EXPECT_EQ(resolve_state_dir("state"), (cwd / "state").string());
  EXPECT_EQ(resolve_state_dir("./state/"), (cwd / "state").string());
  EXPECT_EQ(resolve_state_dir("/var/lib/simpleclaw"), "/var/lib/simpleclaw");
  EXPECT_EQ(resolve_config_path("", resolve_state_dir("s")), (cwd / "s" / "config.yaml").string());
}

}  // namespace
}  // namespace simpleclaw::gateway
