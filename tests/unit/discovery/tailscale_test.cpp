// `tailscale status --json` parsing (ipnstate.Status) and running the binary: the fake in
// tests/fakes/tailscale prints what a real logged-in node prints.
#include "discovery/tailscale.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>

namespace simpleclaw::discovery {
namespace {

const std::string kFakeDir = std::string(SIMPLECLAW_SOURCE_DIR) + "/tests/fakes/tailscale";

// PATH (and the fake's knobs) for one test; restored afterwards.
class EnvScope {
 public:
  void set(const char* k, const std::string& v) {
    const char* old = ::getenv(k);
    saved_.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
    ::setenv(k, v.c_str(), 1);
  }
  ~EnvScope() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second)
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else
        ::unsetenv(it->first.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(TailscaleParse, RealStatusShape) {
  auto t = parse_tailscale_status(R"({
    "Version": "1.58.2", "BackendState": "Running",
    "TailscaleIPs": ["100.64.0.9"],
    "Self": {"HostName": "gw", "DNSName": "gw.tail1234.ts.net.",
             "TailscaleIPs": ["fd7a:115c:a1e0::9", "100.101.102.103"], "Online": true},
    "MagicDNSSuffix": "tail1234.ts.net",
    "CurrentTailnet": {"Name": "alice@example.com", "MagicDNSSuffix": "tail1234.ts.net",
                       "MagicDNSEnabled": true},
    "Peer": {}})");
  EXPECT_EQ(t.state, "running");
  EXPECT_EQ(t.dns_name, "gw.tail1234.ts.net");  // without the root dot
  EXPECT_EQ(t.ips, (std::vector<std::string>{"100.101.102.103", "fd7a:115c:a1e0::9"}));
  EXPECT_EQ(t.ipv4(), "100.101.102.103");
  EXPECT_EQ(t.tailnet, "alice@example.com");
  EXPECT_EQ(t.magic_dns_suffix, "tail1234.ts.net");
  EXPECT_EQ(tailnet_bind_address(t).value(), "100.101.102.103");
  Json j = t.to_json();
  EXPECT_EQ(j["dnsName"], "gw.tail1234.ts.net");
  EXPECT_FALSE(j.contains("error"));
}

TEST(TailscaleParse, OlderVersionsWithoutCurrentTailnetUseTopLevelFields) {
  auto t = parse_tailscale_status(R"({"BackendState": "Running", "TailscaleIPs": ["100.64.0.9"],
                                     "Self": {"DNSName": "gw.example.ts.net."},
                                     "MagicDNSSuffix": "example.ts.net"})");
  EXPECT_EQ(t.ips, std::vector<std::string>{"100.64.0.9"});
  EXPECT_EQ(t.magic_dns_suffix, "example.ts.net");
  EXPECT_EQ(t.tailnet, "");
}

TEST(TailscaleParse, NotLoggedInSaysHowToFixIt) {
  auto t =
      parse_tailscale_status(R"({"BackendState": "NeedsLogin", "Self": {}, "TailscaleIPs": null})");
  EXPECT_EQ(t.state, "not-running");
  EXPECT_NE(t.error.find("NeedsLogin"), std::string::npos) << t.error;
  EXPECT_NE(t.error.find("tailscale up"), std::string::npos) << t.error;
  auto ip = tailnet_bind_address(t);
  ASSERT_FALSE(ip.ok());
  EXPECT_NE(ip.error().message.find("gateway.bind is tailnet"), std::string::npos);
}

TEST(TailscaleParse, NoIpv4IsAClearBindError) {
  auto t = parse_tailscale_status(
      R"({"BackendState": "Running", "Self": {"TailscaleIPs": ["fd7a::1"]}})");
  auto ip = tailnet_bind_address(t);
  ASSERT_FALSE(ip.ok());
  EXPECT_NE(ip.error().message.find("no IPv4"), std::string::npos) << ip.error().message;
}

TEST(TailscaleParse, MalformedAndWrongTypesNeverThrow) {
  for (const char* text : {"", "not json", "[1,2]", R"({"BackendState": 5, "Self": "x"})",
                           R"({"Self": {"DNSName": 7, "TailscaleIPs": [1, null, {}]}})",
                           R"({"CurrentTailnet": []})"}) {
    auto t = parse_tailscale_status(text);
    EXPECT_NE(t.state, "running") << text;
    EXPECT_TRUE(t.ips.empty()) << text;
  }
  std::string many = R"({"BackendState":"Running","Self":{"TailscaleIPs":[)";
  for (int i = 0; i < 100; ++i)
    many += std::string(i ? "," : "") + "\"100.64.0." + std::to_string(i) + "\"";
  many += "]}}";
  EXPECT_EQ(parse_tailscale_status(many).ips.size(), 16u);  // bounded
}

TEST(TailscaleQuery, RunsTheBinaryOnPathAndIgnoresItsStderrWarnings) {
  EnvScope env;
  env.set("PATH", kFakeDir + ":/usr/bin:/bin");
  env.set("FAKE_TAILSCALE_IPV4", "100.101.102.103");
  auto t = query_tailscale();
  EXPECT_EQ(t.state, "running") << t.error;
  EXPECT_EQ(t.dns_name, "gateway-host.tail1234.ts.net");
  EXPECT_EQ(t.ipv4(), "100.101.102.103");
  EXPECT_EQ(t.tailnet, "alice@example.com");
}

TEST(TailscaleQuery, MissingBinaryIsStateMissingWithTheFix) {
  EnvScope env;
  env.set("PATH", "/nonexistent-dir");
  auto t = query_tailscale();
  EXPECT_EQ(t.state, "missing");
  EXPECT_NE(t.error.find("install Tailscale"), std::string::npos) << t.error;
}

TEST(TailscaleQuery, DaemonDownIsAnErrorNamingTailscaled) {
  EnvScope env;
  env.set("PATH", kFakeDir + ":/usr/bin:/bin");
  env.set("FAKE_TAILSCALE_FAIL", "1");
  auto t = query_tailscale();
  EXPECT_EQ(t.state, "error");
  EXPECT_NE(t.error.find("exited with code 1"), std::string::npos) << t.error;
  EXPECT_NE(t.error.find("tailscaled"), std::string::npos) << t.error;
}

TEST(TailscaleQuery, AHangingBinaryTimesOut) {
  char dir[] = "/tmp/sc-ts-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string bin = std::string(dir) + "/tailscale";
  std::ofstream(bin) << "#!/bin/sh\nexec sleep 30\n";
  ::chmod(bin.c_str(), 0755);
  EnvScope env;
  env.set("PATH", std::string(dir) + ":/usr/bin:/bin");
  auto t0 = std::chrono::steady_clock::now();
  auto t = query_tailscale(300);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(t.state, "error");
  EXPECT_NE(t.error.find("timed out"), std::string::npos) << t.error;
  EXPECT_LT(ms, 5000);
  ::unlink(bin.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace simpleclaw::discovery
