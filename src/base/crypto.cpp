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
#pragma GCC diagnostic pop

std::string sha256_hex(std::string_view data) { return hex(sha256_raw(data)); }

bool secret_equal(std::string_view a, std::string_view b) {
  std::string ha = sha256_raw(a), hb = sha256_raw(b);
  return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

}  // namespace simpleclaw
