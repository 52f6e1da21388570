// discovery.* keys and gateway.bind: tailnet in config.yaml (src/config).
#include <gtest/gtest.h>

#include "config/config.h"

namespace simpleclaw::config {
namespace {

std::string issues_text(const Parsed& p) {
  std::string out;
  for (const auto& i : p.issues) out += i.to_string() + "\n";
  return out;
}

TEST(DiscoveryConfig, DefaultsAreMinimalMdnsWithoutTailscale) {
  Parsed p = parse(default_text());
  ASSERT_TRUE(p.ok()) << issues_text(p);
  EXPECT_EQ(p.config.discovery.mdns, "minimal");
  EXPECT_FALSE(p.config.discovery.tailscale);
  EXPECT_EQ(p.config.discovery.display_name, "");
  Parsed empty = parse("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.config.discovery.mdns, "minimal");
}

TEST(DiscoveryConfig, ReadsEveryKey) {
  Parsed p = parse("discovery:\n  mdns: full\n  tailscale: true\n  display_name: Kitchen\n");
  ASSERT_TRUE(p.ok()) << issues_text(p);
  EXPECT_EQ(p.config.discovery.mdns, "full");
  EXPECT_TRUE(p.config.discovery.tailscale);
  EXPECT_EQ(p.config.discovery.display_name, "Kitchen");
}

TEST(DiscoveryConfig, BadValuesNameTheKey) {
  Parsed p = parse("discovery:\n  mdns: loud\n  tailscale: maybe\n  extra: 1\n");
  ASSERT_FALSE(p.ok());
  std::string text = issues_text(p);
  EXPECT_NE(text.find("discovery.mdns (line 2)"), std::string::npos) << text;
  EXPECT_NE(text.find("discovery.tailscale (line 3)"), std::string::npos) << text;
  EXPECT_NE(text.find("extra"), std::string::npos) << text;
  Parsed longname = parse("discovery:\n  display_name: " + std::string(64, 'x') + "\n");
  EXPECT_FALSE(longname.ok());  // an mDNS instance name is one DNS label (63 bytes)
}

TEST(DiscoveryConfig, BindTailnetIsAcceptedButNotWithAuthNone) {
  Parsed p = parse("gateway:\n  bind: tailnet\n");
  ASSERT_TRUE(p.ok()) << issues_text(p);
  EXPECT_EQ(p.config.gateway.bind, "tailnet");
  Parsed none = parse("gateway:\n  bind: tailnet\n  auth:\n    mode: none\n");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(issues_text(none).find("auth mode 'none' is only allowed with bind: loopback"),
            std::string::npos);
  Parsed typo = parse("gateway:\n  bind: tailscale\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(issues_text(typo).find("must be loopback, all, tailnet,"), std::string::npos);
}

TEST(DiscoveryConfig, ChangingDiscoveryNeedsARestart) {
  Config a = parse("").config;
  Config b = parse("discovery:\n  mdns: \"off\"\n").config;
  EXPECT_TRUE(needs_restart(a, b));
  EXPECT_FALSE(needs_restart(a, a));
}

}  // namespace
}  // namespace simpleclaw::config
