// Random identifiers: OS-random bytes (OpenSSL RAND_bytes), base64(url), UUID v4, hex.
// Thread-safe.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace simpleclaw {

std::string random_bytes(std::size_t n);
std::string base64url(std::string_view bytes);  // no padding
std::string base64(std::string_view bytes);     // standard alphabet, padded (RFC 4648 §4)
// Strict standard-alphabet decoding: padding optional (but, when present, only where it
// belongs), no whitespace, no other characters, no bits left over in the last character.
// nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);
std::string hex(std::string_view bytes);
std::string uuid_v4();
std::string random_token();  // 32 random bytes, base64url (43 chars)

}  // namespace simpleclaw
