#include "nodes/device_identity.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <new>

#include "base/crypto.h"
#include "base/fs.h"
#include "base/ids.h"

namespace simpleclaw::nodes {
namespace {

constexpr std::size_t kRawKeySize = 32;
constexpr std::size_t kSignatureSize = 64;
// A PEM SPKI Ed25519 key is ~113 bytes; anything far larger is not a key. Rejecting it
// early keeps OpenSSL's parsers away from large hostile inputs.
constexpr std::size_t kMaxPublicKeyText = 4096;

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Never prompt on a terminal for a PEM passphrase (OpenSSL's default callback does).
int no_passphrase(char*, int, int, void*) { return 0; }

BioPtr read_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

Error device_error(const char* code, const char* reason, std::string message) {
  Error e = Error::invalid(std::move(message));
  e.details = Json{{"code", code}, {"reason", reason}};
  return e;
}

Error public_key_error(std::string why) {
  return device_error(kDevicePublicKeyInvalid, "device-public-key",
                      "device public key invalid: " + why +
                          "; send the raw 32-byte Ed25519 public key as base64url (or a PEM "
                          "public key), and recreate the device identity if it is corrupt");
}

// One UTF-8 code point at s[i]: its value and length; a malformed byte is (byte, 1).
std::pair<char32_t, std::size_t> decode_at(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t len = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xe  ? 3
                    : (c >> 3) == 0x1e ? 4
                                       : 0;
  if (len == 0 || i + len > s.size()) return {c, 1};
  if (len == 1) return {c, 1};
  char32_t cp = c & (0x7f >> len);
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return {c, 1};
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  constexpr char32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len]) return {c, 1};  // overlong: not the character it spells
  return {cp, len};
}

// The WhiteSpace and LineTerminator code points of ECMAScript, which String.trim strips.
constexpr char32_t kJsSpaces[] = {0x09,   0x0a,   0x0b,   0x0c,   0x0d,   0x20,   0xa0,
                                  0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff};
bool js_space(char32_t c) {
  return (c >= 0x2000 && c <= 0x200a) ||
         std::find(std::begin(kJsSpaces), std::end(kJsSpaces), c) != std::end(kJsSpaces);
}

std::string_view js_trim(std::string_view s) {
  std::size_t begin = 0;
  while (begin < s.size()) {
    auto [cp, len] = decode_at(s, begin);
    if (!js_space(cp)) break;
    begin += len;
  }
  std::size_t end = s.size();
  while (end > begin) {
    std::size_t start = end - 1;  // back up to the first byte of the last code point
    while (start > begin && end - start < 4 &&
           (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80)
      --start;
    auto [cp, len] = decode_at(s, start);
    if (start + len != end || !js_space(cp)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    if (i) out += ',';
    out += scopes[i];
  }
  return out;
}

// v2 and the first nine fields of v3 are the same apart from the version tag.
std::string payload_head(const char* version, const std::string& device_id, const SignedFields& f,
                         std::int64_t signed_at_ms, const std::string& nonce) {
  std::string out = version;
  for (const std::string* part : {&device_id, &f.client_id, &f.client_mode, &f.role}) {
    out += '|';
    out += *part;
  }
  out += '|';
  out += join_scopes(f.scopes);
  out += '|';
  out += std::to_string(signed_at_ms);
  out += '|';
  out += f.token;
  out += '|';
  out += nonce;
  return out;
}

std::int8_t b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<std::int8_t>(c - 'A');
  if (c >= 'a' && c <= 'z') return static_cast<std::int8_t>(c - 'a' + 26);
  if (c >= '0' && c <= '9') return static_cast<std::int8_t>(c - '0' + 52);
  if (c == '-' || c == '+') return 62;
  if (c == '_' || c == '/') return 63;
  return -1;
}

}  // namespace

std::string normalize_device_metadata(std::string_view value) {
  std::string out(js_trim(value));
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string device_payload_v3(const std::string& device_id, const SignedFields& f,
                              std::int64_t signed_at_ms, const std::string& nonce) {
  std::string out = payload_head("v3", device_id, f, signed_at_ms, nonce);
  out += '|';
  out += normalize_device_metadata(f.platform);
  out += '|';
  out += normalize_device_metadata(f.device_family);
  return out;
}

std::string device_payload_v2(const std::string& device_id, const SignedFields& f,
                              std::int64_t signed_at_ms, const std::string& nonce) {
  return payload_head("v2", device_id, f, signed_at_ms, nonce);
}

std::string base64url_encode(std::string_view data) { return base64url(data); }

Result<std::string> base64url_decode(std::string_view text) {
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  std::string_view body = text.substr(0, text.size() - pad);
  if (body.size() % 4 == 1) return Error::invalid("invalid base64url: truncated input");
  if (pad && (body.size() + pad) % 4 != 0) return Error::invalid("invalid base64url: bad padding");
  std::string out;
  out.reserve(body.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : body) {
    std::int8_t v = b64_value(c);
    if (v < 0) return Error::invalid("invalid base64url: unexpected character");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

Result<std::string> raw_public_key(std::string_view public_key) {
  if (public_key.empty()) return public_key_error("device.publicKey is empty");
  if (public_key.size() > kMaxPublicKeyText)
    return public_key_error("device.publicKey is " + std::to_string(public_key.size()) +
                            " characters long");
  if (public_key.find("-----BEGIN") != std::string_view::npos) {
    BioPtr bio = read_bio(public_key);
    PkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, &no_passphrase, nullptr) : nullptr,
                &EVP_PKEY_free);
    if (!key) {
      ERR_clear_error();
      return public_key_error("the PEM block is not a public key");
    }
    if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519)
      return public_key_error("the PEM public key is not an Ed25519 key");
    std::string raw(kRawKeySize, '\0');
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                    &len) != 1 ||
        len != kRawKeySize) {
      ERR_clear_error();
      return public_key_error("the PEM public key could not be read");
    }
    return raw;
  }
  Result<std::string> raw = base64url_decode(public_key);
  if (!raw) return public_key_error("device.publicKey is not base64url");
  if (raw->size() != kRawKeySize)
    return public_key_error("device.publicKey decodes to " + std::to_string(raw->size()) +
                            " bytes, not 32");
  return raw;
}

Result<std::string> normalize_public_key(std::string_view public_key) {
  Result<std::string> raw = raw_public_key(public_key);
  if (!raw) return raw.error();
  return base64url(*raw);
}

Result<std::string> device_id_for(std::string_view public_key) {
  Result<std::string> raw = raw_public_key(public_key);
  if (!raw) return raw.error();
  return sha256_hex(*raw);
}

bool ed25519_verify(std::string_view raw_key, std::string_view payload,
                    std::string_view raw_signature) {
  if (raw_key.size() != kRawKeySize || raw_signature.size() != kSignatureSize) return false;
  PkeyPtr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(raw_key), raw_key.size()),
      &EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  bool ok = key && ctx &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), bytes(raw_signature), raw_signature.size(), bytes(payload),
                             payload.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

Status verify_device_proof(const DeviceProof& p, const SignedFields& f,
                           std::string_view challenge_nonce, std::int64_t now_ms,
                           std::int64_t window_ms) {
  Result<std::string> raw = raw_public_key(p.public_key);
  if (!raw) return raw.error();
  if (p.id != sha256_hex(*raw))
    return device_error(kDeviceIdMismatch, "device-id-mismatch",
                        "device identity mismatch: device.id must be the lowercase hex SHA-256 "
                        "of the raw public key in device.publicKey");
  // 128-bit: signedAt comes off the wire and may be any 64-bit value.
  __int128 skew = static_cast<__int128>(now_ms) - static_cast<__int128>(p.signed_at_ms);
  if (skew < 0) skew = -skew;
  if (skew > window_ms) {
    std::string away = skew > static_cast<__int128>(1) << 62
                           ? std::string("very far")
                           : std::to_string(static_cast<long long>(skew) / 1000) + " s";
    return device_error(
        kDeviceSignatureStale, "device-signature-stale",
        "device signature expired: device.signedAt is " + away +
            " away from the gateway's clock (allowed: " + std::to_string(window_ms / 1000) +
            " s); sign at connect time and check the device's clock");
  }
  std::string_view nonce = js_trim(p.nonce);
  if (nonce.empty())
    return device_error(kDeviceNonceRequired, "device-nonce-missing",
                        "device nonce required: sign the nonce of this connection's "
                        "connect.challenge event and send it as device.nonce");
  if (nonce != challenge_nonce)
    return device_error(kDeviceNonceMismatch, "device-nonce-mismatch",
                        "device nonce mismatch: device.nonce must be the nonce of this "
                        "connection's connect.challenge event; sign again with it");
  Result<std::string> sig = base64url_decode(p.signature);
  if (sig && sig->size() == kSignatureSize) {
    std::string n(nonce);
    if (ed25519_verify(*raw, device_payload_v3(p.id, f, p.signed_at_ms, n), *sig) ||
        ed25519_verify(*raw, device_payload_v2(p.id, f, p.signed_at_ms, n), *sig))
      return Ok{};
  }
  return device_error(kDeviceSignatureInvalid, "device-signature",
                      "device signature invalid: device.signature must be the base64url Ed25519 "
                      "signature, by the device key, of "
                      "v3|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce|"
                      "platform|deviceFamily built from this connect request");
}

// ---- DeviceKey ----

void DeviceKey::PkeyFree::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

DeviceKey::DeviceKey(std::unique_ptr<EVP_PKEY, PkeyFree> key) : key_(std::move(key)) {
  public_raw_.assign(kRawKeySize, '\0');
  std::size_t len = public_raw_.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(public_raw_.data()),
                                  &len) != 1)
    throw std::bad_alloc();  // an Ed25519 key always has one: only allocation can fail
  device_id_ = sha256_hex(public_raw_);
}

DeviceKey::~DeviceKey() = default;

DeviceKey DeviceKey::generate() {
  std::string seed = random_bytes(kRawKeySize);
  EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed), seed.size());
  OPENSSL_cleanse(seed.data(), seed.size());
  if (!k) throw std::bad_alloc();
  return DeviceKey(std::unique_ptr<EVP_PKEY, PkeyFree>(k));
}

Result<DeviceKey> DeviceKey::from_pem(std::string_view pem) {
  BioPtr bio = read_bio(pem);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, &no_passphrase, nullptr) : nullptr);
  if (!key) {
    ERR_clear_error();
    return Error::invalid("not a PEM private key");
  }
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519)
    return Error::invalid("the PEM private key is not an Ed25519 key");
  return DeviceKey(std::move(key));
}

Result<DeviceKey> DeviceKey::load_or_create(const std::string& path) {
  auto corrupt = [&](const std::string& why) {
    // A damaged file on disk, not a bad request.
    return Error::io("device key " + path + " is unusable (" + why +
                     "); move it aside to create a new device identity (this device "
                     "will then have to be paired with the gateway again)");
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) return corrupt("not a regular file");
    if ((st.st_mode & 077) != 0) ::chmod(path.c_str(), 0600);  // a private key: owner only
    Result<std::string> pem = read_file(path);
    if (!pem) return pem.error();
    Result<DeviceKey> key = from_pem(*pem);
    if (!key) return corrupt(key.error().message);
    return key;
  }
  if (errno != ENOENT) return errno_error("cannot read device key " + path, errno);

  std::filesystem::path target(path);
  if (target.has_parent_path()) {
    if (Status s = make_dirs(target.parent_path().string(), 0700); !s) return s.error();
  }
  DeviceKey key = generate();
  std::string pem = key.private_key_pem();
  // Written under a temporary name, then hard-linked into place: link(2) fails if `path`
  // appeared meanwhile (another process creating its identity at the same moment), and
  // then that key wins, so both processes end up with the same identity.
  std::string staging = path + ".new-" + hex(random_bytes(6));
  Status written = write_file_atomic(staging, pem, 0600);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!written) return written.error();
  int linked = ::link(staging.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(staging.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return load_or_create(path);
    return errno_error("cannot create device key " + path, link_errno);
  }
  return key;
}

std::string DeviceKey::public_key_b64url() const { return base64url(public_raw_); }

std::string DeviceKey::public_key_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) throw std::bad_alloc();
  return bio_contents(bio.get());
}

std::string DeviceKey::private_key_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted.
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw std::bad_alloc();
  std::string out = bio_contents(bio.get());
  return out;
}

std::string DeviceKey::sign_raw(std::string_view payload) const {
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::string sig(kSignatureSize, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(payload),
                     payload.size()) != 1)
    throw std::bad_alloc();  // Ed25519 signing cannot fail otherwise
  sig.resize(len);
  return sig;
}

std::string DeviceKey::sign_b64url(std::string_view payload) const {
  return base64url(sign_raw(payload));
}

DeviceProof DeviceKey::prove(const SignedFields& f, const std::string& nonce,
                             std::int64_t now_ms) const {
  DeviceProof p;
  p.id = device_id_;
  p.public_key = public_key_b64url();
  p.nonce = nonce;
  p.signed_at_ms = now_ms;
  p.signature = sign_b64url(device_payload_v3(p.id, f, now_ms, nonce));
  return p;
}

}  // namespace simpleclaw::nodes
