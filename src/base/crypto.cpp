#include "base/crypto.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "base/ids.h"

namespace simpleclaw {

// OpenSSL's low-level SHA-256 on purpose: the EVP path loads the provider machinery
// (~2 MB RSS) on first use, which an idle gateway with TLS off never needs. The
// functions are deprecated in OpenSSL 3 but remain supported through 3.x.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
std::string sha256_raw(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(md, &ctx);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

// Built on the same low-level calls (HMAC() would load the EVP machinery).
std::string hmac_sha256(std::string_view key, std::string_view data) {
  constexpr std::size_t kBlock = 64;
  std::string k = key.size() > kBlock ? sha256_raw(key) : std::string(key);
  k.resize(kBlock, '\0');
  std::string ipad(kBlock, '\0'), opad(kBlock, '\0');
  for (std::size_t i = 0; i < kBlock; ++i) {
    ipad[i] = static_cast<char>(k[i] ^ 0x36);
    opad[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  unsigned char inner[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, ipad.data(), ipad.size());
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(inner, &ctx);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, opad.data(), opad.size());
  SHA256_Update(&ctx, inner, sizeof inner);
  SHA256_Final(md, &ctx);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}
#pragma GCC diagnostic pop

std::string sha256_hex(std::string_view data) { return hex(sha256_raw(data)); }

bool secret_equal(std::string_view a, std::string_view b) {
  std::string ha = sha256_raw(a), hb = sha256_raw(b);
  return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

}  // namespace simpleclaw
