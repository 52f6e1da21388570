#include "base/ids.h"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>

namespace simpleclaw {

// The kernel CSPRNG (getrandom(2)) rather than OpenSSL's DRBG: same quality, and it
// does not pull OpenSSL's provider machinery (~2 MB RSS) into a gateway that has TLS off.
std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed");  // no entropy: nothing safe to do
    }
    got += static_cast<std::size_t>(r);
  }
  return out;
}

namespace {

// RFC 4648 encoding with `alpha`'s last two characters; `pad` adds the '=' padding.
std::string encode64(std::string_view in, const char* alpha, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    for (int shift : {18, 12, 6, 0}) out += alpha[(v >> shift) & 63];
  }
  const std::size_t left = in.size() - i;  // 0, 1 or 2 bytes
  if (left == 0) return out;
  unsigned v = (b(i) << 16) | (left == 2 ? b(i + 1) << 8 : 0u);
  out += alpha[(v >> 18) & 63];
  out += alpha[(v >> 12) & 63];
  if (left == 2) out += alpha[(v >> 6) & 63];
  if (pad) out.append(3 - left, '=');
  return out;
}

}  // namespace

std::string base64url(std::string_view in) {
  return encode64(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false);
}

std::string base64(std::string_view in) {
  return encode64(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true);
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 == 0 && !text.empty()) {
    // Up to two '=' at the very end, and only there.
    std::size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    text.remove_suffix(pad);
  }
  if (text.size() % 4 == 1) return std::nullopt;  // no whole byte in the last group
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Canonical form: the bits of the last character that make no byte must be zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string hex(std::string_view in) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(in.size() * 2);
  for (unsigned char c : in) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string uuid_v4() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string h = hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string random_token() { return base64url(random_bytes(32)); }

}  // namespace simpleclaw
