// IP addresses and CIDR blocks (gateway.trusted_proxies): IPv4 and its IPv4-mapped form
// are one address, blocks of either family, the loopback test, and bad text refused.
#include "base/ip_address.h"

#include <gtest/gtest.h>

#include <string>

namespace simpleclaw {
namespace {

IpAddress ip(const char* text) {
  auto a = parse_ip_address(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

CidrBlock block(const char* text) {
  std::string why;
  auto b = parse_cidr(text, &why);
  EXPECT_TRUE(b.has_value()) << text << ": " << why;
  return b.value_or(CidrBlock{});
}

TEST(IpAddress, ParsesBothFamiliesAndKeepsIpv4AsItsMappedForm) {
  EXPECT_EQ(ip("203.0.113.7").to_string(), "203.0.113.7");
  EXPECT_EQ(ip("2001:DB8:0:0::1").to_string(), "2001:db8::1");
  EXPECT_EQ(ip("::ffff:10.1.2.3"), ip("10.1.2.3"));  // how a dual-stack socket shows IPv4
  EXPECT_EQ(ip("::ffff:10.1.2.3").to_string(), "10.1.2.3");
  EXPECT_TRUE(ip("10.1.2.3").is_v4());
  EXPECT_FALSE(ip("::1").is_v4());
}

TEST(IpAddress, RefusesWhatIsNotABareLiteral) {
  for (const char* bad : {"", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:80", "[::1]",
                          "fe80::1%eth0", " 1.2.3.4", "1.2.3.4 ", "unknown", "_hidden"})
    EXPECT_FALSE(parse_ip_address(bad).has_value()) << bad;
  // An embedded NUL must not cut the text short into a valid address.
  EXPECT_FALSE(parse_ip_address(std::string_view("1.2.3.4\0junk", 12)).has_value());
  EXPECT_FALSE(parse_ip_address(std::string(100, '1')).has_value());
}

TEST(IpAddress, LoopbackIsAllOf127AndOnlyColonColonOne) {
  EXPECT_TRUE(ip("127.0.0.1").is_loopback());
  EXPECT_TRUE(ip("127.255.0.9").is_loopback());
  EXPECT_TRUE(ip("::ffff:127.0.0.1").is_loopback());
  EXPECT_TRUE(ip("::1").is_loopback());
  EXPECT_FALSE(ip("203.0.113.7").is_loopback());
  EXPECT_FALSE(ip("128.0.0.1").is_loopback());
  EXPECT_FALSE(ip("::").is_loopback());
  EXPECT_FALSE(ip("::2").is_loopback());
  EXPECT_FALSE(ip("1::1").is_loopback());
}

TEST(CidrBlock, ContainsExactlyItsAddresses) {
  struct Case {
    const char* block;
    const char* inside;
    const char* outside;  // nullptr: none
  };
  for (const Case& c : {
           Case{"10.0.0.0/8", "10.255.255.255", "11.0.0.0"},
           Case{"192.168.1.0/24", "192.168.1.77", "192.168.2.1"},
           Case{"172.16.0.0/12", "172.31.0.1", "172.32.0.1"},  // a prefix inside a byte
           Case{"127.0.0.1", "127.0.0.1", "127.0.0.2"},        // bare address = /32
           Case{"127.0.0.1/32", "::ffff:127.0.0.1", "127.0.0.2"},
           Case{"0.0.0.0/0", "203.0.113.7", "::1"},  // every IPv4 address, no IPv6 one
           Case{"fd00::/8", "fd12:3456::1", "fe80::1"},
           Case{"2001:db8::/33", "2001:db8:7fff::1", "2001:db8:8000::1"},
           Case{"::1", "::1", "::2"},  // bare = /128
           Case{"::/0", "2001:db8::1", nullptr},
       }) {
    SCOPED_TRACE(c.block);
    CidrBlock b = block(c.block);
    EXPECT_TRUE(b.contains(ip(c.inside))) << c.inside;
    if (c.outside) EXPECT_FALSE(b.contains(ip(c.outside))) << c.outside;
  }
  EXPECT_TRUE(block("::/0").contains(ip("10.0.0.1")));  // IPv4 is inside IPv6's ::/0
}

TEST(CidrBlock, HostBitsAreIgnoredAndTheTextIsCanonical) {
  EXPECT_EQ(block("192.168.1.10/24").to_string(), "192.168.1.0/24");
  EXPECT_EQ(block("10.0.0.1").to_string(), "10.0.0.1/32");
  EXPECT_EQ(block("2001:DB8::1/32").to_string(), "2001:db8::/32");
  EXPECT_EQ(block("::ffff:10.9.9.9/104").to_string(), "10.0.0.0/8");
  EXPECT_EQ(block("172.20.0.0/12").to_string(), "172.16.0.0/12");
}

TEST(CidrBlock, BadTextSaysWhatIsWrong) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c : {
           Case{"", "'' is not an IPv4 or IPv6 address"},
           Case{"nginx", "'nginx' is not an IPv4 or IPv6 address"},
           Case{"10.0.0/8", "'10.0.0' is not an IPv4 or IPv6 address"},
           Case{"10.0.0.0/33", "prefix length '/33' must be a number from 0 to 32"},
           Case{"::/129", "prefix length '/129' must be a number from 0 to 128"},
           Case{"10.0.0.0/", "prefix length '/' must be a number from 0 to 32"},
           Case{"10.0.0.0/-1", "prefix length '/-1' must be a number from 0 to 32"},
           Case{"10.0.0.0/8/8", "prefix length '/8/8' must be a number from 0 to 32"},
           Case{"10.0.0.0/ 8", "prefix length '/ 8' must be a number from 0 to 32"},
       }) {
    std::string why;
    EXPECT_FALSE(parse_cidr(c.text, &why).has_value()) << c.text;
    EXPECT_EQ(why, c.error) << c.text;
  }
}

}  // namespace
}  // namespace simpleclaw
