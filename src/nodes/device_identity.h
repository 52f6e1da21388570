// Device identity (SPEC §4 "Device identity"): Ed25519 keys, the signed connect payload
// and its verification, wire-compatible with OpenClaw protocol v4 clients.
//
// A device proves it holds a private key by signing a pipe-joined string built from the
// connect request and the server's connect.challenge nonce:
//   v3|deviceId|clientId|clientMode|role|scopesCSV|signedAtMs|token|nonce|platform|deviceFamily
//   v2|deviceId|clientId|clientMode|role|scopesCSV|signedAtMs|token|nonce   (older clients)
// `deviceId` is the lowercase hex SHA-256 of the raw 32-byte public key; keys and
// signatures travel as base64url. The server side (verify_device_proof) is pure: no I/O,
// time passed in. The client side (DeviceKey) holds an OpenSSL key and is what
// `simpleclaw node` and the tests use to connect.
//
// Threads: every free function is thread-safe. A DeviceKey is a value (move-only) that
// owns its EVP_PKEY; const methods may be called from several threads at once.
// Ed25519 goes through OpenSSL's EVP layer, which loads the provider machinery on first
// use (see base/crypto.cpp for why hashing avoids it): only connections that carry a
// device identity pay for it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/result.h"

typedef struct evp_pkey_st EVP_PKEY;  // <openssl/types.h>, kept out of this header

namespace simpleclaw::nodes {

// details.code values of device-auth failures. These are OpenClaw's ConnectErrorDetailCodes
// strings, so existing clients recognise them; the names here are ours.
inline constexpr const char kDeviceIdMismatch[] = "DEVICE_AUTH_DEVICE_ID_MISMATCH";
inline constexpr const char kDeviceNonceRequired[] = "DEVICE_AUTH_NONCE_REQUIRED";
inline constexpr const char kDeviceNonceMismatch[] = "DEVICE_AUTH_NONCE_MISMATCH";
inline constexpr const char kDeviceSignatureStale[] = "DEVICE_AUTH_SIGNATURE_EXPIRED";
inline constexpr const char kDeviceSignatureInvalid[] = "DEVICE_AUTH_SIGNATURE_INVALID";
inline constexpr const char kDevicePublicKeyInvalid[] = "DEVICE_AUTH_PUBLIC_KEY_INVALID";

inline constexpr std::int64_t kDeviceSignatureWindowMs = 120000;  // |now - signedAt| limit

// connect.params.device as sent by the client.
struct DeviceProof {
  std::string id;          // hex SHA-256 of the raw public key
  std::string public_key;  // base64url raw 32 bytes (padded/base64 tolerated) or PEM SPKI
  std::string signature;   // base64url of the 64-byte Ed25519 signature
  std::string nonce;       // must equal the connect.challenge nonce
  std::int64_t signed_at_ms = 0;
};

// The parts of the connect request that the signature covers.
struct SignedFields {
  std::string client_id;            // connect.params.client.id
  std::string client_mode;          // connect.params.client.mode
  std::string role;                 // resolved role ("operator" when absent)
  std::vector<std::string> scopes;  // as requested, in request order
  // The credential the client sent, as OpenClaw picks it: auth.token, else
  // auth.deviceToken, else auth.bootstrapToken, else "".
  std::string token;
  std::string platform;       // connect.params.client.platform (normalised when signed)
  std::string device_family;  // connect.params.client.deviceFamily (normalised when signed)
};

// OpenClaw's normalisation of platform/deviceFamily inside the payload: surrounding
// whitespace trimmed (the characters JavaScript's String.trim removes), then ASCII A-Z
// lowercased; other characters are left as they are ("  İOS " -> "İos").
std::string normalize_device_metadata(std::string_view value);

// The exact strings a client signs. Only platform and deviceFamily are normalised;
// every other field is used verbatim.
std::string device_payload_v3(const std::string& device_id, const SignedFields& f,
                              std::int64_t signed_at_ms, const std::string& nonce);
std::string device_payload_v2(const std::string& device_id, const SignedFields& f,
                              std::int64_t signed_at_ms, const std::string& nonce);

// base64url without padding. The decoder is liberal: it takes either alphabet (-_ or +/)
// and optional '=' padding, and rejects anything else.
std::string base64url_encode(std::string_view bytes);
Result<std::string> base64url_decode(std::string_view text);

// The raw 32-byte Ed25519 public key from base64url (or base64) text or a PEM
// "BEGIN PUBLIC KEY" (SPKI) block. Errors carry kDevicePublicKeyInvalid.
Result<std::string> raw_public_key(std::string_view public_key);
// Canonical form kept by the pairing store: base64url (no padding) of the raw key.
Result<std::string> normalize_public_key(std::string_view public_key);
// Lowercase hex SHA-256 of the raw key.
Result<std::string> device_id_for(std::string_view public_key);

// Ed25519 verification of `payload` against a raw 32-byte key and a raw signature.
bool ed25519_verify(std::string_view raw_key, std::string_view payload,
                    std::string_view raw_signature);

// Server-side check of a connect's device proof, in OpenClaw's order: usable public key,
// id derived from it, signedAt within `window_ms` of `now_ms`, nonce (trimmed) equal to
// the challenge nonce, then the signature over the v3 payload or, failing that, v2.
// Every error is INVALID_REQUEST with details {code: kDevice..., reason}.
Status verify_device_proof(const DeviceProof& p, const SignedFields& f,
                           std::string_view challenge_nonce, std::int64_t now_ms,
                           std::int64_t window_ms = kDeviceSignatureWindowMs);

// Client side: an Ed25519 key pair. Persisted as a PKCS#8 PEM private key.
class DeviceKey {
 public:
  // A new random key (kernel CSPRNG seed). Throws std::bad_alloc only if OpenSSL cannot
  // allocate the key object.
  static DeviceKey generate();
  // Parses a "BEGIN PRIVATE KEY" (PKCS#8) Ed25519 PEM.
  static Result<DeviceKey> from_pem(std::string_view pem);
  // Reads the key at `path`, or creates it (parent directories 0700, file 0600) when the
  // file does not exist. A file that exists but is not an Ed25519 key is an error, never
  // replaced. A key file readable by group/others is tightened to 0600.
  static Result<DeviceKey> load_or_create(const std::string& path);

  DeviceKey(DeviceKey&&) noexcept = default;
  DeviceKey& operator=(DeviceKey&&) noexcept = default;
  ~DeviceKey();

  const std::string& public_key_raw() const { return public_raw_; }  // 32 bytes
  std::string public_key_b64url() const;
  std::string public_key_pem() const;   // SPKI "BEGIN PUBLIC KEY"
  std::string private_key_pem() const;  // PKCS#8 "BEGIN PRIVATE KEY" (a secret)
  const std::string& device_id() const { return device_id_; }

  std::string sign_raw(std::string_view payload) const;  // 64 bytes
  std::string sign_b64url(std::string_view payload) const;
  // The whole connect.params.device for a connect: signs the v3 payload at `now_ms`.
  DeviceProof prove(const SignedFields& f, const std::string& nonce, std::int64_t now_ms) const;

 private:
  struct PkeyFree {
    void operator()(EVP_PKEY* k) const;
  };
  explicit DeviceKey(std::unique_ptr<EVP_PKEY, PkeyFree> key);

  std::unique_ptr<EVP_PKEY, PkeyFree> key_;
  std::string public_raw_;
  std::string device_id_;
};

}  // namespace simpleclaw::nodes
