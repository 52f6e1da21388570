// Operator scopes: implications (admin -> all, write -> read) and negotiation
// (requested, capped by the grant; none requested -> read; unknown names ignored).
#include "gateway/protocol/scopes.h"

#include <gtest/gtest.h>

using namespace simpleclaw::protocol;

TEST(Scopes, Implications) {
  ScopeSet admin;
  admin.add(Scope::kAdmin);
  for (Scope s : {Scope::kRead, Scope::kWrite, Scope::kApprovals, Scope::kPairing, Scope::kNone})
    EXPECT_TRUE(admin.has(s));
  ScopeSet write;
  write.add(Scope::kWrite);
  EXPECT_TRUE(write.has(Scope::kRead));
  EXPECT_FALSE(write.has(Scope::kAdmin));
  EXPECT_FALSE(write.has(Scope::kApprovals));
  ScopeSet read;
  read.add(Scope::kRead);
  EXPECT_FALSE(read.has(Scope::kWrite));
  EXPECT_TRUE(ScopeSet().has(Scope::kNone));
  EXPECT_FALSE(ScopeSet().has(Scope::kRead));
}

TEST(Scopes, NegotiateCapsByGrant) {
  ScopeSet grant;
  grant.add(Scope::kRead);
  ScopeSet got = ScopeSet::negotiate({"operator.admin", "operator.read"}, grant);
  EXPECT_FALSE(got.has(Scope::kAdmin));
  EXPECT_TRUE(got.has(Scope::kRead));
  EXPECT_EQ(got.names(), std::vector<std::string>{"operator.read"});
}

TEST(Scopes, NoneRequestedMeansRead) {
  ScopeSet got = ScopeSet::negotiate({}, ScopeSet::all());
  EXPECT_TRUE(got.has(Scope::kRead));
  EXPECT_FALSE(got.has(Scope::kWrite));
}

TEST(Scopes, ExactlyWhatWasRequestedUnknownIgnored) {
  ScopeSet got =
      ScopeSet::negotiate({"operator.approvals", "operator.talk.secrets"}, ScopeSet::all());
  EXPECT_EQ(got.names(), std::vector<std::string>{"operator.approvals"});
  EXPECT_FALSE(got.has(Scope::kRead));
}

TEST(Scopes, NamesRoundTrip) {
  for (const char* n : {"operator.read", "operator.write", "operator.admin", "operator.approvals",
                        "operator.pairing"}) {
    auto s = parse_scope(n);
    ASSERT_TRUE(s) << n;
    EXPECT_EQ(scope_name(*s), n);
  }
  EXPECT_FALSE(parse_scope("operator.root"));
}
