// Hashing and secret comparison (OpenSSL). Thread-safe.
#pragma once
#include <string>
#include <string_view>

namespace simpleclaw {

std::string sha256_hex(std::string_view data);
std::string sha256_raw(std::string_view data);
// HMAC-SHA256 (RFC 2104), the raw 32-byte tag.
std::string hmac_sha256(std::string_view key, std::string_view data);
// Constant time in the contents and independent of where the inputs differ: both sides
// are hashed first, so even the length of the secret does not leak through timing.
bool secret_equal(std::string_view a, std::string_view b);

}  // namespace simpleclaw
