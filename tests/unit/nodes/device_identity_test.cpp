// Device identity: payload strings, base64url, public key forms, verify_device_proof's
// accept/reject rules, and DeviceKey persistence.
#include "nodes/device_identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "base/crypto.h"

namespace simpleclaw::nodes {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kNow = 1700000000000;
const std::string kNonce = "5b3e7a52-6f0e-4b8e-9a51-3f1c0c2d9e11";

// RFC 8032 §7.1 test 1 key, exported as PKCS#8 by Node's crypto; the signature below
// was made by Node (crypto.sign(null, payload, key)) over kNodePayload, the string
// OpenClaw's buildDeviceAuthPayloadV3 yields for these fields.
constexpr char kRfcPrivatePem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
constexpr char kRfcPublic[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr char kRfcDeviceId[] = "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9";
constexpr char kNodeSignature[] =
    "bnzdHEFFLTF8H0fv_Ex2B8xLJOwxZBkYO-N0QhwO1PAdoYwZIXk4mwekibnBIfv-86cQ-7y8kaXh9vEurRj6Dw";

SignedFields vector_fields() {
  SignedFields f;
  f.client_id = "openclaw-macos";
  f.client_mode = "ui";
  f.role = "operator";
  f.scopes = {"operator.admin", "operator.read"};
  f.token = "tok-123";
  f.platform = "  IOS  ";
  f.device_family = "  iPhone  ";
  return f;
}

SignedFields node_fields() {
  SignedFields f;
  f.client_id = "node-host";
  f.client_mode = "node";
  f.role = "node";
  f.scopes = {};
  f.token = "gateway-token";
  f.platform = "Linux";
  f.device_family = "server";
  return f;
}

std::string detail_code(const Status& s) {
  if (s.ok() || !s.error().details.is_object()) return "";
  return s.error().details.value("code", "");
}

std::string to_std_base64(std::string s) {  // base64url -> padded standard base64
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4) s += '=';
  return s;
}

// ---- payload strings ----

TEST(DevicePayload, V3ExactString) {
  EXPECT_EQ(device_payload_v3("dev-1", vector_fields(), kNow, "nonce-abc"),
            "v3|dev-1|openclaw-macos|ui|operator|operator.admin,operator.read|1700000000000|"
            "tok-123|nonce-abc|ios|iphone");
}

TEST(DevicePayload, V2ExactStringHasNineFields) {
  SignedFields f = vector_fields();
  f.token.clear();
  EXPECT_EQ(device_payload_v2("dev-1", f, kNow, "nonce-abc"),
            "v2|dev-1|openclaw-macos|ui|operator|operator.admin,operator.read|1700000000000||"
            "nonce-abc");
}

TEST(DevicePayload, EmptyMetadataKeepsItsSlots) {
  SignedFields f;
  f.client_id = "openclaw-ios";
  f.client_mode = "ui";
  f.role = "operator";
  f.scopes = {"operator.read"};
  EXPECT_EQ(device_payload_v3("dev-2", f, 1700000000001, "nonce-def"),
            "v3|dev-2|openclaw-ios|ui|operator|operator.read|1700000000001||nonce-def||");
}

TEST(DevicePayload, NoScopesIsAnEmptyField) {
  EXPECT_EQ(device_payload_v3("d", node_fields(), 5, "n"),
            "v3|d|node-host|node|node||5|gateway-token|n|linux|server");
}

TEST(DevicePayload, MetadataNormalisation) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"  MAC  ", "mac"},
      {"\t\nLinux\r\n", "linux"},
      {"", ""},
      {"   ", ""},
      {"\xC2\xA0iPad\xE3\x80\x80", "ipad"},        // NBSP and ideographic space are trimmed
      {"  \xC4\xB0OS  ", "\xC4\xB0os"},            // "İOS" -> "İos": only ASCII is lowercased
      {"Mac Studio", "mac studio"},                // inner spaces stay
      {"\xC0\xA0x\xC0\xA0", "\xC0\xA0x\xC0\xA0"},  // an overlong space is not a space
      {"\xE2\x80\x83ios\xE2\x80\xA8", "ios"},      // em space, line separator
      {"\xC3\x89T\xC3\x89", "\xC3\x89t\xC3\x89"},  // "ÉTÉ" -> "ÉtÉ"
  };
  for (const Case& c : cases) EXPECT_EQ(normalize_device_metadata(c.in), c.out) << c.in;
}

// ---- base64url ----

TEST(Base64Url, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 70; ++i) {
    std::string enc = base64url_encode(bytes);
    EXPECT_EQ(enc.find('='), std::string::npos);
    Result<std::string> dec = base64url_decode(enc);
    ASSERT_TRUE(dec.ok()) << enc;
    EXPECT_EQ(*dec, bytes);
    bytes += static_cast<char>((i * 97 + 251) & 0xff);
  }
}

TEST(Base64Url, AcceptsPaddingAndStandardAlphabet) {
  EXPECT_EQ(*base64url_decode("-_8"), "\xfb\xff");
  EXPECT_EQ(*base64url_decode("+/8="), "\xfb\xff");
  EXPECT_EQ(*base64url_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(*base64url_decode("Zm9vYg"), "foob");
}

TEST(Base64Url, RejectsGarbage) {
  for (const char* bad : {"a", "ab$c", "Zm9v YmFy", "Zm9vYg=", "=", "Zm9=vYg"})
    EXPECT_FALSE(base64url_decode(bad).ok()) << bad;
}

// ---- public keys ----

TEST(PublicKey, RawKeyFromBase64UrlPaddedAndPem) {
  DeviceKey key = DeviceKey::generate();
  ASSERT_EQ(key.public_key_raw().size(), 32u);
  EXPECT_EQ(key.public_key_b64url().size(), 43u);
  EXPECT_EQ(*raw_public_key(key.public_key_b64url()), key.public_key_raw());
  EXPECT_EQ(*raw_public_key(to_std_base64(key.public_key_b64url())), key.public_key_raw());
  std::string pem = key.public_key_pem();
  EXPECT_THAT(pem, HasSubstr("-----BEGIN PUBLIC KEY-----"));
  EXPECT_EQ(*raw_public_key(pem), key.public_key_raw());
  EXPECT_EQ(*normalize_public_key(pem), key.public_key_b64url());
}

TEST(PublicKey, DeviceIdIsHexSha256OfRawKey) {
  EXPECT_EQ(*device_id_for(kRfcPublic), kRfcDeviceId);
  DeviceKey key = DeviceKey::generate();
  EXPECT_EQ(key.device_id(), sha256_hex(key.public_key_raw()));
  EXPECT_EQ(*device_id_for(key.public_key_pem()), key.device_id());
  EXPECT_EQ(key.device_id().size(), 64u);
  EXPECT_EQ(key.device_id().find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(PublicKey, InvalidForms) {
  DeviceKey key = DeviceKey::generate();
  std::string short_key = base64url_encode(key.public_key_raw().substr(0, 16));
  std::string long_key = base64url_encode(key.public_key_raw() + "x");
  std::string bad_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  std::string private_pem = key.private_key_pem();  // a private key is not a public key
  std::string huge(5000, 'A');
  for (const std::string& bad : {std::string(), std::string("!!!not base64!!!"), short_key,
                                 long_key, bad_pem, private_pem, huge}) {
    Result<std::string> r = raw_public_key(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().details.value("code", ""), kDevicePublicKeyInvalid);
    EXPECT_THAT(r.error().message, HasSubstr("device public key invalid"));
    EXPECT_FALSE(device_id_for(bad).ok());
  }
}

// ---- Ed25519 against outside vectors ----

TEST(Ed25519, Rfc8032EmptyMessageVector) {
  const std::string sig(
      "\xe5\x56\x43\x00\xc3\x60\xac\x72\x90\x86\xe2\xcc\x80\x6e\x82\x8a\x84\x87\x7f\x1e\xb8\xe5"
      "\xd9\x74\xd8\x73\xe0\x65\x22\x49\x01\x55\x5f\xb8\x82\x15\x90\xa3\x3b\xac\xc6\x1e\x39\x70"
      "\x1c\xf9\xb4\x6b\xd2\x5b\xf5\xf0\x59\x5b\xbe\x24\x65\x51\x41\x43\x8e\x7a\x10\x0b",
      64);
  std::string raw = *raw_public_key(kRfcPublic);
  EXPECT_TRUE(ed25519_verify(raw, "", sig));
  EXPECT_FALSE(ed25519_verify(raw, "x", sig));
  Result<DeviceKey> key = DeviceKey::from_pem(kRfcPrivatePem);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->sign_raw(""), sig);  // Ed25519 is deterministic
}

TEST(Ed25519, SignatureMadeByNodeVerifiesAndMatchesOurs) {
  Result<DeviceKey> key = DeviceKey::from_pem(kRfcPrivatePem);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->public_key_b64url(), kRfcPublic);
  EXPECT_EQ(key->device_id(), kRfcDeviceId);
  std::string payload = device_payload_v3(kRfcDeviceId, vector_fields(), kNow, "nonce-abc");
  EXPECT_EQ(key->sign_b64url(payload), kNodeSignature);

  DeviceProof p{kRfcDeviceId, kRfcPublic, kNodeSignature, "nonce-abc", kNow};
  EXPECT_TRUE(verify_device_proof(p, vector_fields(), "nonce-abc", kNow + 1000).ok());
}

// ---- verify_device_proof ----

class VerifyProof : public ::testing::Test {
 protected:
  DeviceKey key_ = DeviceKey::generate();
  SignedFields fields_ = node_fields();
  DeviceProof proof_ = key_.prove(fields_, kNonce, kNow);

  Status verify(const DeviceProof& p, std::int64_t now = kNow) const {
    return verify_device_proof(p, fields_, kNonce, now);
  }
};

TEST_F(VerifyProof, FreshProofRoundTrips) {
  EXPECT_EQ(proof_.id, key_.device_id());
  EXPECT_EQ(proof_.public_key, key_.public_key_b64url());
  EXPECT_EQ(proof_.nonce, kNonce);
  EXPECT_EQ(proof_.signed_at_ms, kNow);
  Status s = verify(proof_);
  EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST_F(VerifyProof, V2PayloadAccepted) {
  DeviceProof p = proof_;
  p.signature = key_.sign_b64url(device_payload_v2(p.id, fields_, kNow, kNonce));
  EXPECT_TRUE(verify(p).ok());
}

TEST_F(VerifyProof, PemPublicKeyAccepted) {
  DeviceProof p = proof_;
  p.public_key = key_.public_key_pem();
  Status s = verify(p);
  EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST_F(VerifyProof, PaddedStandardBase64KeyAndSignatureAccepted) {
  DeviceProof p = proof_;
  p.public_key = to_std_base64(p.public_key);
  p.signature = to_std_base64(p.signature);
  EXPECT_TRUE(verify(p).ok());
}

TEST_F(VerifyProof, MetadataIsComparedNormalised) {
  SignedFields f = fields_;
  f.platform = " LINUX ";  // signed as "linux" either way
  EXPECT_TRUE(verify_device_proof(proof_, f, kNonce, kNow).ok());
}

TEST_F(VerifyProof, WrongNonce) {
  DeviceProof p = proof_;
  p.nonce = "another-nonce";
  Status s = verify(p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(detail_code(s), kDeviceNonceMismatch);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  // The proof's nonce is right but the connection's challenge was different.
  Status s2 = verify_device_proof(proof_, fields_, "challenge-of-another-socket", kNow);
  EXPECT_EQ(detail_code(s2), kDeviceNonceMismatch);
  EXPECT_THAT(s2.error().message, HasSubstr("connect.challenge"));
}

TEST_F(VerifyProof, MissingNonce) {
  DeviceProof p = proof_;
  p.nonce = "  ";
  EXPECT_EQ(detail_code(verify(p)), kDeviceNonceRequired);
}

TEST_F(VerifyProof, SignedAtWindow) {
  struct Case {
    std::int64_t offset;
    bool ok;
  } cases[] = {{-121000, false}, {121000, false}, {-120001, false}, {-120000, true},
               {120000, true},   {-119000, true}, {119000, true},   {0, true}};
  for (const Case& c : cases) {
    DeviceProof p = key_.prove(fields_, kNonce, kNow + c.offset);
    Status s = verify(p, kNow);
    EXPECT_EQ(s.ok(), c.ok) << c.offset;
    if (!c.ok) {
      EXPECT_EQ(detail_code(s), kDeviceSignatureStale) << c.offset;
      if (c.offset == 121000) {
        EXPECT_THAT(s.error().message, HasSubstr("121 s"));
      }
      EXPECT_THAT(s.error().message, HasSubstr(" s away from the gateway's clock")) << c.offset;
    }
  }
}

TEST_F(VerifyProof, ExtremeSignedAtDoesNotOverflow) {
  for (std::int64_t at : {std::numeric_limits<std::int64_t>::min(),
                          std::numeric_limits<std::int64_t>::max(), std::int64_t{0}}) {
    DeviceProof p = proof_;
    p.signed_at_ms = at;
    EXPECT_EQ(detail_code(verify(p)), kDeviceSignatureStale) << at;
  }
}

TEST_F(VerifyProof, FlippedSignatureByte) {
  std::string sig = *base64url_decode(proof_.signature);
  for (std::size_t i : {std::size_t{0}, std::size_t{31}, std::size_t{63}}) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    DeviceProof p = proof_;
    p.signature = base64url_encode(bad);
    EXPECT_EQ(detail_code(verify(p)), kDeviceSignatureInvalid) << i;
  }
}

TEST_F(VerifyProof, MalformedSignature) {
  for (const std::string& bad :
       {std::string(), std::string("***"), base64url_encode(std::string(63, 'a')),
        base64url_encode(std::string(65, 'a'))}) {
    DeviceProof p = proof_;
    p.signature = bad;
    EXPECT_EQ(detail_code(verify(p)), kDeviceSignatureInvalid) << bad;
  }
}

TEST_F(VerifyProof, SignatureByAnotherKey) {
  DeviceKey other = DeviceKey::generate();
  DeviceProof p = proof_;
  p.signature = other.sign_b64url(device_payload_v3(p.id, fields_, kNow, kNonce));
  Status s = verify(p);
  EXPECT_EQ(detail_code(s), kDeviceSignatureInvalid);
  EXPECT_THAT(s.error().message, HasSubstr("device signature invalid"));
}

TEST_F(VerifyProof, IdNotMatchingKey) {
  DeviceKey other = DeviceKey::generate();
  DeviceProof p = proof_;
  p.id = other.device_id();
  EXPECT_EQ(detail_code(verify(p)), kDeviceIdMismatch);
  // The other device's whole proof with our key swapped in: id mismatch too.
  DeviceProof q = other.prove(fields_, kNonce, kNow);
  q.public_key = key_.public_key_b64url();
  EXPECT_EQ(detail_code(verify(q)), kDeviceIdMismatch);
  // Upper-case hex is not the id.
  DeviceProof r = proof_;
  for (char& c : r.id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(detail_code(verify(r)), kDeviceIdMismatch);
}

TEST_F(VerifyProof, GarbageOrShortKey) {
  for (const std::string& bad :
       {std::string("%%%"), base64url_encode(key_.public_key_raw().substr(0, 31))}) {
    DeviceProof p = proof_;
    p.public_key = bad;
    Status s = verify(p);
    EXPECT_EQ(detail_code(s), kDevicePublicKeyInvalid) << bad;
    EXPECT_EQ(s.error().details.value("reason", ""), "device-public-key");
  }
}

TEST_F(VerifyProof, AnySignedFieldChangedAfterSigning) {
  auto mutate = [&](auto&& change) {
    SignedFields f = fields_;
    change(f);
    return detail_code(verify_device_proof(proof_, f, kNonce, kNow));
  };
  EXPECT_EQ(mutate([](SignedFields& f) { f.scopes = {"operator.admin"}; }),
            kDeviceSignatureInvalid);
  EXPECT_EQ(mutate([](SignedFields& f) { f.role = "operator"; }), kDeviceSignatureInvalid);
  EXPECT_EQ(mutate([](SignedFields& f) { f.token = "other-token"; }), kDeviceSignatureInvalid);
  EXPECT_EQ(mutate([](SignedFields& f) { f.client_id = "cli"; }), kDeviceSignatureInvalid);
  EXPECT_EQ(mutate([](SignedFields& f) { f.client_mode = "ui"; }), kDeviceSignatureInvalid);
  EXPECT_EQ(mutate([](SignedFields& f) { f.platform = "darwin"; }), kDeviceSignatureInvalid);
  EXPECT_EQ(mutate([](SignedFields& f) { f.device_family = "phone"; }), kDeviceSignatureInvalid);
  // signedAt is covered too: a proof re-dated inside the window no longer verifies.
  DeviceProof p = proof_;
  p.signed_at_ms += 1;
  EXPECT_EQ(detail_code(verify(p)), kDeviceSignatureInvalid);
}

TEST_F(VerifyProof, ScopeOrderMatters) {
  SignedFields f = fields_;
  f.scopes = {"a", "b"};
  DeviceProof p = key_.prove(f, kNonce, kNow);
  EXPECT_TRUE(verify_device_proof(p, f, kNonce, kNow).ok());
  f.scopes = {"b", "a"};
  EXPECT_EQ(detail_code(verify_device_proof(p, f, kNonce, kNow)), kDeviceSignatureInvalid);
}

// ---- DeviceKey persistence ----

class DeviceKeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "sc_devkey_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static unsigned mode_of(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  }
  std::string dir_;
};

TEST_F(DeviceKeyFile, LoadOrCreatePersists) {
  std::string path = dir_ + "/identity/keys/device.pem";
  Result<DeviceKey> first = DeviceKey::load_or_create(path);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(mode_of(dir_ + "/identity"), 0700u);
  EXPECT_EQ(mode_of(dir_ + "/identity/keys"), 0700u);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("-----BEGIN PRIVATE KEY-----"));
  // Nothing else left behind in the directory (no staging files).
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/identity/keys")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);

  Result<DeviceKey> second = DeviceKey::load_or_create(path);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->device_id(), first->device_id());
  EXPECT_EQ(second->public_key_b64url(), first->public_key_b64url());
  // The reloaded key signs proofs the first key's identity verifies.
  DeviceProof p = second->prove(node_fields(), kNonce, kNow);
  EXPECT_EQ(p.id, first->device_id());
  EXPECT_TRUE(verify_device_proof(p, node_fields(), kNonce, kNow).ok());
}

TEST_F(DeviceKeyFile, LooseModeIsTightened) {
  std::string path = dir_ + "/device.pem";
  ASSERT_TRUE(DeviceKey::load_or_create(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ASSERT_TRUE(DeviceKey::load_or_create(path).ok());
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST_F(DeviceKeyFile, CorruptFileIsAnErrorAndKept) {
  std::string path = dir_ + "/device.pem";
  std::ofstream(path) << "not a key\n";
  Result<DeviceKey> key = DeviceKey::load_or_create(path);
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(key.error().message, HasSubstr(path));
  EXPECT_THAT(key.error().message, HasSubstr("move it aside"));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "not a key\n");
}

TEST_F(DeviceKeyFile, NonEd25519PemRejected) {
  // An X25519 PKCS#8 key (RFC 8410 example): a valid key of the wrong type.
  constexpr char kX25519[] =
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VuBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
      "-----END PRIVATE KEY-----\n";
  Result<DeviceKey> key = DeviceKey::from_pem(kX25519);
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(key.error().message, HasSubstr("not an Ed25519"));
  EXPECT_FALSE(DeviceKey::from_pem("").ok());
}

TEST(DeviceKeyPem, PrivatePemRoundTrips) {
  DeviceKey key = DeviceKey::generate();
  Result<DeviceKey> again = DeviceKey::from_pem(key.private_key_pem());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->device_id(), key.device_id());
  EXPECT_EQ(again->sign_raw("payload"), key.sign_raw("payload"));
  EXPECT_NE(DeviceKey::generate().device_id(), key.device_id());
}

}  // namespace
}  // namespace simpleclaw::nodes
