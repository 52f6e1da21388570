#include "base/crypto.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "base/ids.h"

namespace simpleclaw {

std::string sha256_raw(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

std::string sha256_hex(std::string_view data) { return hex(sha256_raw(data)); }

bool secret_equal(std::string_view a, std::string_view b) {
  std::string ha = sha256_raw(a), hb = sha256_raw(b);
  return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

}  // namespace simpleclaw
