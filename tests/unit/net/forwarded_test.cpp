// The client behind reverse proxies (net/forwarded.h): X-Forwarded-For and RFC 7239
// Forwarded as proxies write them, and the rule that picks the client: only from a
// trusted socket, the right-most hop that is not a trusted proxy, the socket's address
// when that hop cannot be read.
#include "net/forwarded.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace simpleclaw::net {
namespace {

// Hops as text, "?" for a hop that is not an address.
std::vector<std::string> render(const std::vector<std::optional<IpAddress>>& hops) {
  std::vector<std::string> out;
  for (const auto& h : hops) out.push_back(h ? h->to_string() : "?");
  return out;
}
using Texts = std::vector<std::string>;

TEST(XForwardedFor, ListsTheHopsLeftToRightWithPortsAndBracketsDropped) {
  EXPECT_EQ(render(x_forwarded_for_hops("203.0.113.7")), Texts{"203.0.113.7"});
  EXPECT_EQ(render(x_forwarded_for_hops(" 203.0.113.7 ,\t10.0.0.2, ::1 ")),
            (Texts{"203.0.113.7", "10.0.0.2", "::1"}));
  EXPECT_EQ(render(x_forwarded_for_hops("203.0.113.7:51234, [2001:db8::1]:443, [2001:db8::2]")),
            (Texts{"203.0.113.7", "2001:db8::1", "2001:db8::2"}));
  // Empty list elements are ignored (RFC 9110 §5.6.1); nothing at all is no hop.
  EXPECT_EQ(render(x_forwarded_for_hops(", 203.0.113.7,,")), Texts{"203.0.113.7"});
  EXPECT_TRUE(x_forwarded_for_hops("").empty());
  EXPECT_TRUE(x_forwarded_for_hops(" , ").empty());
}

TEST(XForwardedFor, WhatIsNotAnAddressIsAnUnknownHop) {
  EXPECT_EQ(render(x_forwarded_for_hops("unknown, evil.example, 1.2.3.4:x y, 203.0.113.7")),
            (Texts{"?", "?", "?", "203.0.113.7"}));
  EXPECT_EQ(render(x_forwarded_for_hops("[::1, [::1]x, 1.2.3.4:, 300.1.1.1, 2001:db8::1:99999:1")),
            (Texts{"?", "?", "?", "?", "?"}));
}

TEST(Forwarded, ReadsForInEachElementQuotedBracketedAnyCase) {
  EXPECT_EQ(render(forwarded_hops("for=192.0.2.60;proto=http;by=203.0.113.43")),
            Texts{"192.0.2.60"});
  EXPECT_EQ(render(forwarded_hops("For=\"[2001:db8:cafe::17]:4711\"")), Texts{"2001:db8:cafe::17"});
  EXPECT_EQ(render(forwarded_hops("for=\"[::1]:1234\"")), Texts{"::1"});
  EXPECT_EQ(render(forwarded_hops("for=192.0.2.43, for=198.51.100.17;by=10.0.0.1")),
            (Texts{"192.0.2.43", "198.51.100.17"}));
  EXPECT_EQ(render(forwarded_hops("proto=https; FOR = 198.51.100.17 ;host=example.com")),
            Texts{"198.51.100.17"});
  // A quoted value may hold the separators.
  EXPECT_EQ(render(forwarded_hops("host=\"a,b;c\";for=\"192.0.2.1:80\", for=192.0.2.2")),
            (Texts{"192.0.2.1", "192.0.2.2"}));
  EXPECT_EQ(render(forwarded_hops("for=\"192.0.2.\\1\"")), Texts{"192.0.2.1"});  // quoted-pair
}

TEST(Forwarded, UnknownObfuscatedMissingOrDoubledForIsAnUnknownHop) {
  EXPECT_EQ(render(forwarded_hops("for=unknown, for=_hidden, for=\"_x:_y\", proto=https, "
                                  "for=1.1.1.1;for=2.2.2.2, for=\"1.1.1.1, for=2.2.2.2\", "
                                  "for=\"3.3.3.3")),
            (Texts{"?", "?", "?", "?", "?", "?", "?"}));
  EXPECT_TRUE(forwarded_hops("").empty());
}

class ForwardedClient : public ::testing::Test {
 protected:
  // What the gateway behind one nginx on 127.0.0.1 and a load balancer network sees.
  std::vector<CidrBlock> trusted_ = {cidr("127.0.0.1/32"), cidr("10.0.0.0/8"), cidr("fd00::/8")};

  static CidrBlock cidr(const char* text) {
    std::string why;
    return parse_cidr(text, &why).value();
  }
  static IpAddress ip(const char* text) { return parse_ip_address(text).value(); }
  // The client as text, "socket" when the socket's address is kept.
  std::string client(const char* socket, std::string_view xff, std::string_view fwd = {}) {
    auto c = forwarded_client(ip(socket), xff, fwd, trusted_);
    return c ? c->to_string() : "socket";
  }
};

TEST_F(ForwardedClient, FromATrustedProxyTheRightMostUntrustedHopIsTheClient) {
  EXPECT_EQ(client("127.0.0.1", "203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(client("::ffff:127.0.0.1", "203.0.113.7"), "203.0.113.7");
  // A client that claims to be someone is believed no further than the first proxy.
  EXPECT_EQ(client("127.0.0.1", "127.0.0.1, 198.51.100.9, 203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(client("127.0.0.1", "garbage, 203.0.113.7"), "203.0.113.7");
  // A chain of trusted proxies is walked through.
  EXPECT_EQ(client("127.0.0.1", "203.0.113.7, 10.1.2.3, 10.9.9.9"), "203.0.113.7");
  EXPECT_EQ(client("127.0.0.1", "2001:db8::7, fd00::2"), "2001:db8::7");
  // Only proxies all the way: the first of them is the client.
  EXPECT_EQ(client("127.0.0.1", "10.0.0.5, 10.0.0.6"), "10.0.0.5");
  EXPECT_EQ(client("127.0.0.1", "127.0.0.1"), "127.0.0.1");
}

TEST_F(ForwardedClient, FromAnyOtherAddressTheHeadersAreIgnored) {
  EXPECT_EQ(client("198.51.100.1", "127.0.0.1"), "socket");
  EXPECT_EQ(client("127.0.0.2", "203.0.113.7"), "socket");  // only 127.0.0.1/32 is trusted
  EXPECT_EQ(client("::1", "203.0.113.7"), "socket");
  EXPECT_EQ(client("198.51.100.1", "", "for=127.0.0.1"), "socket");
  trusted_.clear();  // the default: nobody
  EXPECT_EQ(client("127.0.0.1", "203.0.113.7"), "socket");
}

TEST_F(ForwardedClient, MissingOrUnreadableHeadersKeepTheSocketAddress) {
  EXPECT_EQ(client("127.0.0.1", ""), "socket");
  EXPECT_EQ(client("127.0.0.1", " , "), "socket");
  EXPECT_EQ(client("127.0.0.1", "unknown"), "socket");
  EXPECT_EQ(client("127.0.0.1", "203.0.113.7, unknown"), "socket");  // the nearest hop is unknown
  EXPECT_EQ(client("127.0.0.1", "203.0.113.7, garbage, 10.0.0.2"), "socket");
  EXPECT_EQ(client("127.0.0.1", "", "for=_hidden"), "socket");
  EXPECT_EQ(client("127.0.0.1", "", "proto=https"), "socket");
}

TEST_F(ForwardedClient, ForwardedCountsOnlyWithoutXForwardedFor) {
  EXPECT_EQ(client("127.0.0.1", "", "for=\"[2001:db8::9]:4711\""), "2001:db8::9");
  EXPECT_EQ(client("127.0.0.1", "", "for=203.0.113.7;proto=https, for=10.0.0.2"), "203.0.113.7");
  EXPECT_EQ(client("127.0.0.1", "", "for=127.0.0.1, for=203.0.113.8"), "203.0.113.8");
  // Both present: X-Forwarded-For, the header every common proxy appends to.
  EXPECT_EQ(client("127.0.0.1", "203.0.113.7", "for=127.0.0.1"), "203.0.113.7");
}

}  // namespace
}  // namespace simpleclaw::net
