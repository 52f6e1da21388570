// The DNS-SD record the gateway advertises and what `simpleclaw discover` makes of the
// records it finds (src/discovery/txt_record.h).
#include "discovery/txt_record.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace simpleclaw::discovery {
namespace {

TxtInput sample() {
  TxtInput in;
  in.display_name = "Kitchen gateway";
  in.port = 18789;
  in.tls = true;
  in.tls_sha256 = std::string(64, 'a');
  in.version = "0.1.0";
  in.protocol = 4;
  in.auth_mode = "token";
  in.lan_host = "kitchen.local";
  in.tailnet_dns = "kitchen.tail1234.ts.net";
  return in;
}

TEST(TxtRecord, MinimalHasExactlyTheDocumentedKeys) {
  auto txt = build_txt(sample(), MdnsMode::kMinimal);
  EXPECT_EQ(txt,
            (std::vector<std::string>{"role=gateway", "displayName=Kitchen gateway", "port=18789",
                                      "tls=1", "tlsSha256=" + std::string(64, 'a')}));
}

TEST(TxtRecord, NoFingerprintWithoutTls) {
  TxtInput in = sample();
  in.tls = false;
  auto txt = build_txt(in, MdnsMode::kMinimal);
  EXPECT_EQ(txt, (std::vector<std::string>{"role=gateway", "displayName=Kitchen gateway",
                                           "port=18789", "tls=0"}));
}

TEST(TxtRecord, FullAddsHostNamesVersionAndAuthModeOnly) {
  auto txt = build_txt(sample(), MdnsMode::kFull);
  auto m = parse_txt(txt);
  EXPECT_EQ(m.at("version"), "0.1.0");
  EXPECT_EQ(m.at("protocol"), "4");
  EXPECT_EQ(m.at("authmode"), "token");
  EXPECT_EQ(m.at("lanhost"), "kitchen.local");
  EXPECT_EQ(m.at("tailnetdns"), "kitchen.tail1234.ts.net");
  EXPECT_EQ(txt.size(), 10u);
  // An auth mode that is not one of the three words (e.g. a value that slipped in by
  // mistake) is never published.
  TxtInput in = sample();
  in.auth_mode = "s3cr3t-token-value";
  for (const auto& s : build_txt(in, MdnsMode::kFull))
    EXPECT_EQ(s.find("s3cr3t"), std::string::npos) << s;
}

TEST(TxtRecord, OffPublishesNothing) { EXPECT_TRUE(build_txt(sample(), MdnsMode::kOff).empty()); }

TEST(TxtRecord, EveryStringFitsOneTxtLengthByteWithoutSplittingUtf8) {
  TxtInput in = sample();
  in.display_name = std::string(300, 'x');
  in.lan_host = std::string(250, 'h') + "\xc3\xa9\xc3\xa9\xc3\xa9";  // é at the cut
  for (const auto& s : build_txt(in, MdnsMode::kFull)) {
    EXPECT_LE(s.size(), kMaxTxtString) << s.substr(0, 20);
    EXPECT_NE(static_cast<unsigned char>(s.back()), 0xc3) << "cut inside a UTF-8 sequence";
  }
  // The instance name is a DNS label: at most 63 bytes.
  EXPECT_EQ(parse_txt(build_txt(in, MdnsMode::kMinimal)).at("displayname").size(), 63u);
}

TEST(TxtRecord, DefaultDisplayNameUsesTheShortHostName) {
  EXPECT_EQ(default_display_name("kitchen.example.com"), "simpleclaw on kitchen");
  EXPECT_EQ(default_display_name(""), "simpleclaw");
  EXPECT_EQ(instance_name("   "), "simpleclaw");
  EXPECT_LE(default_display_name(std::string(100, 'k')).size(), kMaxInstanceName);
}

TEST(TxtRecord, ModeNames) {
  EXPECT_EQ(parse_mdns_mode("minimal"), MdnsMode::kMinimal);
  EXPECT_EQ(parse_mdns_mode("full"), MdnsMode::kFull);
  EXPECT_EQ(parse_mdns_mode("off"), MdnsMode::kOff);
  EXPECT_EQ(parse_mdns_mode("bogus"), MdnsMode::kOff);
  EXPECT_STREQ(mdns_mode_name(MdnsMode::kFull), "full");
}

TEST(ParseTxt, FollowsRfc6763Rules) {
  auto m = parse_txt({"Role=gateway", "role=other", "flag", "=novalue", "tls=1", "empty="});
  EXPECT_EQ(m.at("role"), "gateway");  // keys are case-insensitive; the first one wins
  EXPECT_EQ(m.at("flag"), "");         // a boolean attribute
  EXPECT_EQ(m.at("empty"), "");
  EXPECT_EQ(m.count(""), 0u);  // no empty key
  EXPECT_EQ(m.size(), 4u);
}

TEST(ParseTxt, BoundsAndCleansHostileRecords) {
  std::vector<std::string> many;
  for (int i = 0; i < 1000; ++i) many.push_back("k" + std::to_string(i) + "=v");
  EXPECT_EQ(parse_txt(many).size(), kMaxTxtEntries);
  auto m = parse_txt({"displayName=evil\x1b[31mred\x07", std::string("bad=\xff\xfe", 6)});
  EXPECT_EQ(m.at("displayname"), "evil?[31mred?");  // no terminal escapes reach the table
  EXPECT_EQ(m.at("bad"), "??");                     // invalid UTF-8 never reaches JSON
}

FoundService found(std::string name, std::string address, std::vector<std::string> txt,
                   std::string protocol = "IPv4") {
  return FoundService{std::move(name), "kitchen.local",     std::move(address), 18789,
                      "eth0",          std::move(protocol), std::move(txt)};
}

TEST(CollectGateways, MergesInterfacesAndProtocolsIpv4First) {
  std::string fp(64, 'B');
  std::vector<std::string> txt{"role=gateway", "displayName=Kitchen", "port=18789", "tls=1",
                               "tlsSha256=" + fp};
  auto gws = collect_gateways(
      {found("Kitchen", "fd00::2", txt, "IPv6"), found("Kitchen", "192.0.2.2", txt),
       found("Kitchen", "192.0.2.2", txt), found("Printer", "192.0.2.9", {"role=printer"}),
       found("Old", "192.0.2.7", {"tls=0"})});
  ASSERT_EQ(gws.size(), 1u);  // only role=gateway records
  const Gateway& g = gws[0];
  EXPECT_EQ(g.display_name, "Kitchen");
  EXPECT_EQ(g.addresses, (std::vector<std::string>{"192.0.2.2", "fd00::2"}));
  EXPECT_TRUE(g.tls);
  EXPECT_EQ(g.tls_sha256, std::string(64, 'b'));  // normalised to lower case
  Json j = gateway_to_json(g);
  EXPECT_EQ(j["address"], "192.0.2.2");
  EXPECT_EQ(j["port"], 18789);
  EXPECT_EQ(j["url"], "wss://kitchen.local:18789");
  EXPECT_EQ(j["txt"]["role"], "gateway");
}

TEST(CollectGateways, DropsAFingerprintThatIsNotSha256Hex) {
  auto gws = collect_gateways(
      {found("A", "192.0.2.2", {"role=gateway", "tls=1", "tlsSha256=zz"}),
       found("B", "192.0.2.3", {"role=gateway", "tls=0", "tlsSha256=" + std::string(64, 'a')})});
  ASSERT_EQ(gws.size(), 2u);
  EXPECT_EQ(gws[0].tls_sha256, "");
  EXPECT_EQ(gws[1].tls_sha256, "");  // tls=0: a fingerprint means nothing
  EXPECT_TRUE(gateway_to_json(gws[0])["tlsSha256"].is_null());
}

TEST(CollectGateways, TableHasOneRowPerGateway) {
  auto gws =
      collect_gateways({found("Kitchen", "192.0.2.2",
                              {"role=gateway", "tls=1", "tlsSha256=" + std::string(64, 'c')}),
                        found("Attic", "fd00::3", {"role=gateway", "tls=0"}, "IPv6")});
  std::string t = format_table(gws);
  EXPECT_EQ(t.rfind("NAME", 0), 0u) << t;
  EXPECT_NE(t.find("Attic  "), std::string::npos) << t;
  EXPECT_NE(t.find("[fd00::3]:18789"), std::string::npos) << t;
  EXPECT_NE(t.find("192.0.2.2:18789  yes  " + std::string(64, 'c')), std::string::npos) << t;
  EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), 3);
}

TEST(CollectGateways, BoundedCount) {
  std::vector<FoundService> many;
  for (std::size_t i = 0; i < kMaxGateways + 50; ++i)
    many.push_back(found("gw" + std::to_string(i), "192.0.2.2", {"role=gateway"}));
  EXPECT_EQ(collect_gateways(many).size(), kMaxGateways);
}

}  // namespace
}  // namespace simpleclaw::discovery
