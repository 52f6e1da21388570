// The pairing store: requests, approval, rejection, device tokens, revocation, the
// devices.json file (persistence, corruption, failed writes), and the pending limits.
#include "nodes/pairing_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/crypto.h"
#include "nodes/device_identity.h"

namespace simpleclaw::nodes {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::int64_t kT0 = 1700000000000;

PairingInput input_for(const DeviceKey& key, std::string role = "node",
                       std::vector<std::string> scopes = {}) {
  PairingInput in;
  in.device_id = key.device_id();
  in.public_key = key.public_key_b64url();
  in.display_name = "kitchen-pi";
  in.platform = "linux";
  in.client_id = "node-host";
  in.role = std::move(role);
  in.scopes = std::move(scopes);
  in.remote_ip = "192.0.2.7";
  return in;
}

std::string detail_code(const Error& e) {
  return e.details.is_object() ? e.details.value("code", "") : "";
}

class PairingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "sc_pairing_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/state/devices.json";  // state dir created on first write
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  PairingStore open_store() {
    Result<PairingStore> s = PairingStore::open(path_);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return std::move(s).value();
  }
  std::string file_text() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void put(const std::string& text) {
    std::filesystem::create_directories(dir_ + "/state");
    std::ofstream(path_, std::ios::binary) << text;
  }

  std::string dir_;
  std::string path_;
  DeviceKey key_ = DeviceKey::generate();
};

TEST_F(PairingStoreTest, MissingFileIsEmptyStore) {
  PairingStore s = open_store();
  EXPECT_TRUE(s.pending().empty());
  EXPECT_TRUE(s.paired().empty());
  EXPECT_EQ(s.list(kT0), (Json{{"pending", Json::array()}, {"paired", Json::array()}}));
  EXPECT_FALSE(std::filesystem::exists(path_));  // reading creates nothing
}

// Cluster mode's copy of the shared document: no file, the same state, the same JSON.
TEST_F(PairingStoreTest, AStoreWithoutAFileHoldsItsStateWritesNothingAndRoundTripsItsJson) {
  Result<PairingStore> mem = PairingStore::parse("");
  ASSERT_TRUE(mem.ok()) << mem.error().message;
  auto req = mem->request_pairing(input_for(key_, "operator"), kT0);
  ASSERT_TRUE(req.ok()) << req.error().message;
  ASSERT_TRUE(mem->approve(req->request.request_id, kT0 + 1).ok());
  auto token = mem->mint_token(key_.device_id(), "operator", kT0 + 2);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state"));

  // Another instance parses the text: the device and its token are there.
  const std::string text = mem->to_json().dump();
  EXPECT_THAT(text, Not(HasSubstr(*token))) << "only the token's hash is stored";
  Result<PairingStore> other = PairingStore::parse(text);
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_TRUE(other->is_paired(key_.device_id(), key_.public_key_b64url(), "operator"));
  auto owner = other->verify_token(*token);
  ASSERT_TRUE(owner.ok()) << owner.error().message;
  EXPECT_EQ(owner->device_id, key_.device_id());
  EXPECT_EQ(other->to_json(), mem->to_json());

  // A damaged or newer document is refused with what to do, not taken as empty.
  auto bad = PairingStore::parse("{not json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("shared copy is corrupt"));
  auto newer = PairingStore::parse(R"({"version": 99})");
  ASSERT_FALSE(newer.ok());
  EXPECT_THAT(newer.error().message, HasSubstr("upgrade simpleclaw"));
}

TEST_F(PairingStoreTest, RequestApproveIsPaired) {
  PairingStore s = open_store();
  Result<PairingOutcome> req = s.request_pairing(input_for(key_, "node"), kT0);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_TRUE(req->created);
  const PairingRequest& r = req->request;
  EXPECT_EQ(r.request_id.size(), 36u);
  EXPECT_EQ(r.device_id, key_.device_id());
  EXPECT_EQ(r.public_key, key_.public_key_b64url());
  EXPECT_EQ(r.created_at_ms, kT0);
  ASSERT_EQ(s.pending().size(), 1u);
  EXPECT_FALSE(s.is_paired(key_.device_id(), key_.public_key_b64url(), "node"));

  Result<PairedDevice> dev = s.approve(r.request_id, kT0 + 5000);
  ASSERT_TRUE(dev.ok()) << dev.error().message;
  EXPECT_EQ(dev->device_id, key_.device_id());
  EXPECT_EQ(dev->roles, std::vector<std::string>{"node"});
  EXPECT_EQ(dev->display_name, "kitchen-pi");
  EXPECT_EQ(dev->platform, "linux");
  EXPECT_EQ(dev->approved_at_ms, kT0 + 5000);
  EXPECT_TRUE(s.pending().empty());

  EXPECT_TRUE(s.is_paired(key_.device_id(), key_.public_key_b64url(), "node"));
  EXPECT_TRUE(s.is_paired(key_.device_id(), key_.public_key_pem(), "node"));  // same key, PEM
  EXPECT_FALSE(s.is_paired(key_.device_id(), key_.public_key_b64url(), "operator"));
  DeviceKey other = DeviceKey::generate();
  EXPECT_FALSE(s.is_paired(key_.device_id(), other.public_key_b64url(), "node"));
  EXPECT_FALSE(s.is_paired(key_.device_id(), "garbage", "node"));
  EXPECT_FALSE(s.is_paired(other.device_id(), other.public_key_b64url(), "node"));

  // Approving the same request twice: it is gone.
  Result<PairedDevice> again = s.approve(r.request_id, kT0 + 6000);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(detail_code(again.error()), "PAIRING_REQUEST_NOT_FOUND");
}

TEST_F(PairingStoreTest, SecondRoleIsAddedToTheSameDevice) {
  PairingStore s = open_store();
  ASSERT_TRUE(s.pair_directly(input_for(key_, "node"), kT0).ok());
  Result<PairingOutcome> req =
      s.request_pairing(input_for(key_, "operator", {"operator.read"}), kT0 + 1);
  ASSERT_TRUE(req.ok());
  Result<PairedDevice> dev = s.approve(req->request.request_id, kT0 + 2);
  ASSERT_TRUE(dev.ok());
  EXPECT_EQ(dev->roles, (std::vector<std::string>{"node", "operator"}));
  EXPECT_EQ(dev->scopes, std::vector<std::string>{"operator.read"});
  EXPECT_EQ(s.paired().size(), 1u);
  EXPECT_TRUE(s.is_paired(key_.device_id(), key_.public_key_b64url(), "node"));
  EXPECT_TRUE(s.is_paired(key_.device_id(), key_.public_key_b64url(), "operator"));
}

TEST_F(PairingStoreTest, Reject) {
  PairingStore s = open_store();
  Result<PairingOutcome> req = s.request_pairing(input_for(key_), kT0);
  ASSERT_TRUE(req.ok());
  Result<PairingRequest> rejected = s.reject(req->request.request_id);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->device_id, key_.device_id());
  EXPECT_TRUE(s.pending().empty());
  EXPECT_FALSE(s.is_paired(key_.device_id(), key_.public_key_b64url(), "node"));
  EXPECT_FALSE(s.reject(req->request.request_id).ok());
  Result<PairedDevice> late = s.approve(req->request.request_id, kT0);
  ASSERT_FALSE(late.ok());
  EXPECT_THAT(late.error().message, HasSubstr("node.pair.list"));
  // Persisted: a new instance does not see the request either.
  EXPECT_TRUE(open_store().pending().empty());
}

TEST_F(PairingStoreTest, DuplicateRequestReturnsTheSameRequest) {
  PairingStore s = open_store();
  Result<PairingOutcome> a = s.request_pairing(input_for(key_, "operator", {"operator.read"}), kT0);
  Result<PairingOutcome> b =
      s.request_pairing(input_for(key_, "operator", {"operator.read", "operator.write"}), kT0 + 10);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->created);
  EXPECT_FALSE(b->created);
  EXPECT_EQ(b->request.request_id, a->request.request_id);
  EXPECT_EQ(b->request.created_at_ms, kT0);
  EXPECT_EQ(b->request.scopes, (std::vector<std::string>{"operator.read", "operator.write"}));
  EXPECT_EQ(s.pending().size(), 1u);
  // Another role of the same device is a separate request.
  Result<PairingOutcome> c = s.request_pairing(input_for(key_, "node"), kT0 + 20);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->created);
  EXPECT_NE(c->request.request_id, a->request.request_id);
  EXPECT_EQ(s.pending().size(), 2u);
}

TEST_F(PairingStoreTest, RequestWithForeignOrBadKeyRefused) {
  PairingStore s = open_store();
  DeviceKey other = DeviceKey::generate();
  PairingInput in = input_for(key_);
  in.public_key = other.public_key_b64url();  // id of one key, key of another
  Result<PairingOutcome> r = s.request_pairing(in, kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(detail_code(r.error()), kDeviceIdMismatch);
  in.public_key = "short";
  EXPECT_FALSE(s.request_pairing(in, kT0).ok());
  EXPECT_FALSE(s.pair_directly(in, kT0).ok());
  EXPECT_TRUE(s.pending().empty());
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(PairingStoreTest, PemKeyIsStoredAsBase64Url) {
  PairingStore s = open_store();
  PairingInput in = input_for(key_);
  in.public_key = key_.public_key_pem();
  Result<PairedDevice> dev = s.pair_directly(in, kT0);
  ASSERT_TRUE(dev.ok()) << dev.error().message;
  EXPECT_EQ(dev->public_key, key_.public_key_b64url());
}

TEST_F(PairingStoreTest, TokenMintVerifyReplace) {
  PairingStore s = open_store();
  ASSERT_TRUE(s.pair_directly(input_for(key_, "node"), kT0).ok());
  Result<std::string> t1 = s.mint_token(key_.device_id(), "node", kT0 + 1);
  ASSERT_TRUE(t1.ok()) << t1.error().message;
  EXPECT_EQ(t1->size(), 43u);  // 32 bytes, base64url
  Result<TokenOwner> who = s.verify_token(*t1);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->device_id, key_.device_id());
  EXPECT_EQ(who->role, "node");

  // Only the hash is on disk.
  EXPECT_THAT(file_text(), Not(HasSubstr(*t1)));
  EXPECT_THAT(file_text(), HasSubstr(sha256_hex(*t1)));

  Result<std::string> t2 = s.mint_token(key_.device_id(), "node", kT0 + 2);
  ASSERT_TRUE(t2.ok());
  EXPECT_NE(*t2, *t1);
  Result<TokenOwner> old = s.verify_token(*t1);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(detail_code(old.error()), "AUTH_DEVICE_TOKEN_MISMATCH");
  EXPECT_TRUE(s.verify_token(*t2).ok());
  ASSERT_EQ(s.find_paired(key_.device_id())->tokens.size(), 1u);

  EXPECT_FALSE(s.verify_token("").ok());
  EXPECT_FALSE(s.verify_token(t2->substr(0, 42)).ok());
  EXPECT_FALSE(s.verify_token(sha256_hex(*t2)).ok());  // the stored hash is not a token
}

TEST_F(PairingStoreTest, TokensArePerRoleAndNeedPairing) {
  PairingStore s = open_store();
  Result<std::string> unpaired = s.mint_token(key_.device_id(), "node", kT0);
  ASSERT_FALSE(unpaired.ok());
  EXPECT_EQ(unpaired.error().code, ErrorCode::kNotPaired);
  ASSERT_TRUE(s.pair_directly(input_for(key_, "node"), kT0).ok());
  EXPECT_EQ(s.mint_token(key_.device_id(), "operator", kT0).error().code, ErrorCode::kNotPaired);
  ASSERT_TRUE(s.pair_directly(input_for(key_, "operator", {"operator.read"}), kT0).ok());
  Result<std::string> node_tok = s.mint_token(key_.device_id(), "node", kT0);
  Result<std::string> op_tok = s.mint_token(key_.device_id(), "operator", kT0);
  ASSERT_TRUE(node_tok.ok() && op_tok.ok());
  EXPECT_EQ(s.verify_token(*node_tok)->role, "node");
  EXPECT_EQ(s.verify_token(*op_tok)->role, "operator");
}

TEST_F(PairingStoreTest, RevokeRemovesDeviceAndTokens) {
  PairingStore s = open_store();
  ASSERT_TRUE(s.pair_directly(input_for(key_), kT0).ok());
  Result<std::string> tok = s.mint_token(key_.device_id(), "node", kT0);
  ASSERT_TRUE(tok.ok());
  ASSERT_TRUE(s.request_pairing(input_for(key_, "operator"), kT0).ok());

  Result<bool> gone = s.revoke(key_.device_id());
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(*gone);
  EXPECT_FALSE(s.verify_token(*tok).ok());
  EXPECT_FALSE(s.is_paired(key_.device_id(), key_.public_key_b64url(), "node"));
  EXPECT_TRUE(s.pending().empty());  // its pending requests go too
  EXPECT_FALSE(*s.revoke(key_.device_id()));

  PairingStore reopened = open_store();
  EXPECT_TRUE(reopened.paired().empty());
  EXPECT_FALSE(reopened.verify_token(*tok).ok());
}

TEST_F(PairingStoreTest, PersistsAcrossInstances) {
  DeviceKey requester = DeviceKey::generate();
  std::string token, request_id;
  {
    PairingStore s = open_store();
    ASSERT_TRUE(s.pair_directly(input_for(key_, "node"), kT0).ok());
    token = *s.mint_token(key_.device_id(), "node", kT0 + 1);
    ASSERT_TRUE(s.mark_seen(key_.device_id(), kT0 + 99).ok());
    request_id = s.request_pairing(input_for(requester, "node"), kT0 + 2)->request.request_id;
  }
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  PairingStore s = open_store();
  EXPECT_TRUE(s.is_paired(key_.device_id(), key_.public_key_b64url(), "node"));
  Result<TokenOwner> who = s.verify_token(token);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->device_id, key_.device_id());
  EXPECT_EQ(s.find_paired(key_.device_id())->last_seen_ms, kT0 + 99);
  ASSERT_EQ(s.pending().size(), 1u);
  EXPECT_EQ(s.pending()[0].request_id, request_id);
  EXPECT_EQ(s.pending()[0].remote_ip, "192.0.2.7");
  // The reloaded request can be approved.
  ASSERT_TRUE(s.approve(request_id, kT0 + 3).ok());
  EXPECT_TRUE(open_store().is_paired(requester.device_id(), requester.public_key_b64url(), "node"));
}

TEST_F(PairingStoreTest, CorruptFileIsAnError) {
  for (const std::string& bad :
       {std::string("{not json"), std::string("[]"),
        std::string(R"({"version":1,"paired":[{"deviceId":5,"publicKey":"x"}]})"),
        std::string(R"({"version":1,"pending":[{"requestId":"r"}]})"),
        std::string(R"({"version":1,"paired":"nope"})")}) {
    put(bad);
    Result<PairingStore> s = PairingStore::open(path_);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_THAT(s.error().message, HasSubstr(path_)) << bad;
    EXPECT_THAT(s.error().message, HasSubstr("move the file aside")) << bad;
    EXPECT_EQ(file_text(), bad);  // never reset
  }
}

TEST_F(PairingStoreTest, NewerFormatRefused) {
  put(R"({"version":2,"pending":[],"paired":[]})");
  Result<PairingStore> s = PairingStore::open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr("newer simpleclaw"));
}

TEST_F(PairingStoreTest, ListDoesNotLeakTokenHashes) {
  PairingStore s = open_store();
  ASSERT_TRUE(s.pair_directly(input_for(key_, "node"), kT0).ok());
  std::string token = *s.mint_token(key_.device_id(), "node", kT0 + 7);
  DeviceKey requester = DeviceKey::generate();
  ASSERT_TRUE(s.request_pairing(input_for(requester, "node"), kT0).ok());

  Json list = s.list(kT0);
  std::string text = list.dump();
  EXPECT_THAT(text, Not(HasSubstr(sha256_hex(token))));
  EXPECT_THAT(text, Not(HasSubstr(token)));
  EXPECT_THAT(text, Not(HasSubstr("hash")));
  ASSERT_EQ(list["pending"].size(), 1u);
  ASSERT_EQ(list["paired"].size(), 1u);
  const Json& p = list["pending"][0];
  EXPECT_EQ(p["deviceId"], requester.device_id());
  EXPECT_EQ(p["role"], "node");
  EXPECT_EQ(p["remoteIp"], "192.0.2.7");
  EXPECT_TRUE(p["requestId"].is_string());
  const Json& d = list["paired"][0];
  EXPECT_EQ(d["deviceId"], key_.device_id());
  EXPECT_EQ(d["roles"], Json::array({"node"}));
  EXPECT_EQ(d["tokens"], (Json::array({Json{{"role", "node"}, {"createdAtMs", kT0 + 7}}})));
}

TEST_F(PairingStoreTest, PendingCapDropsOldest) {
  PairingStore s = open_store();
  std::vector<std::string> ids;
  std::vector<std::string> devices;
  for (std::size_t i = 0; i < PairingStore::kMaxPending + 1; ++i) {
    DeviceKey k = DeviceKey::generate();
    Result<PairingOutcome> r = s.request_pairing(input_for(k), kT0 + static_cast<std::int64_t>(i));
    ASSERT_TRUE(r.ok()) << i;
    ids.push_back(r->request.request_id);
    devices.push_back(k.device_id());
  }
  ASSERT_EQ(s.pending().size(), PairingStore::kMaxPending);
  EXPECT_EQ(s.find_request(ids.front()), nullptr);
  EXPECT_NE(s.find_request(ids[1]), nullptr);
  EXPECT_NE(s.find_request(ids.back()), nullptr);
  EXPECT_FALSE(s.approve(ids.front(), kT0 + 200).ok());
  EXPECT_EQ(open_store().pending().size(), PairingStore::kMaxPending);
}

TEST_F(PairingStoreTest, PendingExpireAfterAnHour) {
  PairingStore s = open_store();
  std::string id = s.request_pairing(input_for(key_), kT0)->request.request_id;
  EXPECT_EQ(*s.expire(kT0 + PairingStore::kPendingTtlMs - 1), 0u);
  EXPECT_NE(s.find_request(id), nullptr);
  EXPECT_EQ(*s.expire(kT0 + PairingStore::kPendingTtlMs), 1u);
  EXPECT_EQ(s.find_request(id), nullptr);
  EXPECT_TRUE(open_store().pending().empty());  // persisted
}

TEST_F(PairingStoreTest, ExpiredRequestCannotBeApprovedAndIsRefiled) {
  PairingStore s = open_store();
  std::string id = s.request_pairing(input_for(key_), kT0)->request.request_id;
  std::int64_t later = kT0 + PairingStore::kPendingTtlMs + 1;
  Result<PairedDevice> late = s.approve(id, later);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(detail_code(late.error()), "PAIRING_REQUEST_NOT_FOUND");
  Result<PairingOutcome> again = s.request_pairing(input_for(key_), later);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->created);
  EXPECT_NE(again->request.request_id, id);
  EXPECT_EQ(s.pending().size(), 1u);
}

TEST_F(PairingStoreTest, FailedWriteLeavesStateUnchanged) {
  PairingStore s = open_store();
  std::string id = s.request_pairing(input_for(key_), kT0)->request.request_id;
  // The state directory becomes a plain file: every later write fails.
  std::filesystem::remove_all(dir_ + "/state");
  std::ofstream(dir_ + "/state") << "x";

  Result<PairedDevice> dev = s.approve(id, kT0 + 1);
  ASSERT_FALSE(dev.ok());
  EXPECT_THAT(dev.error().message, HasSubstr("cannot"));
  EXPECT_NE(s.find_request(id), nullptr);
  EXPECT_FALSE(s.is_paired(key_.device_id(), key_.public_key_b64url(), "node"));
  EXPECT_FALSE(s.pair_directly(input_for(key_), kT0).ok());
  EXPECT_TRUE(s.paired().empty());
  EXPECT_FALSE(s.reject(id).ok());
  EXPECT_EQ(s.pending().size(), 1u);
}

}  // namespace
}  // namespace simpleclaw::nodes

namespace simpleclaw::nodes {
namespace {

TEST(PairingSeen, LastSeenIsWrittenAtMostOnceAMinute) {
  std::string tmpl = ::testing::TempDir() + "sc_seen_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  std::string path = tmpl + "/devices.json";
  DeviceKey key = DeviceKey::generate();
  PairingInput in;
  in.device_id = key.device_id();
  in.public_key = key.public_key_b64url();
  in.role = "node";
  const std::int64_t t0 = 1'700'000'000'000;
  {
    PairingStore s = *PairingStore::open(path);
    ASSERT_TRUE(s.pair_directly(in, t0).ok());
    ASSERT_TRUE(s.mark_seen(key.device_id(), t0 + 100000).ok());  // written
    ASSERT_TRUE(s.mark_seen(key.device_id(), t0 + 130000).ok());  // memory only
    EXPECT_EQ(s.find_paired(key.device_id())->last_seen_ms, t0 + 130000);
    ASSERT_TRUE(s.mark_seen(key.device_id(), t0 + 170000).ok());  // a minute on: written
    ASSERT_TRUE(s.mark_seen(key.device_id(), t0 + 175000).ok());  // memory only
  }
  PairingStore again = *PairingStore::open(path);
  EXPECT_EQ(again.find_paired(key.device_id())->last_seen_ms, t0 + 170000);
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace simpleclaw::nodes

namespace simpleclaw::nodes {
namespace {

// Shared mode: the user a device was requested for survives approval and a reload, is
// listed, and a second role's pairing does not hand the device to someone else.
TEST_F(PairingStoreTest, TheUserADeviceWasPairedForIsKeptAcrossApprovalAndReload) {
  {
    PairingStore s = open_store();
    PairingInput in = input_for(key_, "operator", {"operator.read"});
    in.user = "alice";
    Result<PairingOutcome> req = s.request_pairing(in, kT0);
    ASSERT_TRUE(req.ok()) << req.error().message;
    EXPECT_EQ(req->request.to_json()["user"], "alice");
    ASSERT_TRUE(s.approve(req->request.request_id, kT0 + 1).ok());
    PairingInput other = input_for(key_, "node");
    other.user = "bob";
    ASSERT_TRUE(s.pair_directly(other, kT0 + 2).ok());
  }
  PairingStore s = open_store();
  const PairedDevice* d = s.find_paired(key_.device_id());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->user, "alice");
  EXPECT_EQ(s.list(kT0)["paired"][0]["user"], "alice");
  // An admin's device carries no user key at all.
  DeviceKey admin_key = DeviceKey::generate();
  ASSERT_TRUE(s.pair_directly(input_for(admin_key, "node"), kT0).ok());
  EXPECT_FALSE(s.find_paired(admin_key.device_id())->to_json().contains("user"));
}

}  // namespace
}  // namespace simpleclaw::nodes
