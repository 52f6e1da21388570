#include "channels/chunker.h"

#include <algorithm>

namespace simpleclaw::channels {
namespace {

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The largest cut <= limit that does not split a UTF-8 character.
std::size_t char_boundary(std::string_view s, std::size_t limit) {
  std::size_t cut = limit;
  while (cut > 0 && cut < s.size() && continuation(static_cast<unsigned char>(s[cut]))) --cut;
  return cut == 0 ? limit : cut;  // a run of continuation bytes: invalid UTF-8, cut anyway
}

std::string_view trim_breaks(std::string_view s) {
  while (!s.empty() && (s.front() == '\n' || s.front() == ' ')) s.remove_prefix(1);
  return s;
}

}  // namespace

std::vector<std::string> chunk_text(std::string_view text, std::size_t limit) {
  limit = std::max<std::size_t>(limit, 8);
  std::vector<std::string> out;
  text = trim_breaks(text);
  while (!text.empty()) {
    if (text.size() <= limit) {
      out.emplace_back(text);
      break;
    }
    std::string_view window = text.substr(0, limit);
    std::size_t cut = std::string_view::npos, skip = 0;
    // Prefer the latest natural break that still leaves a reasonably full chunk.
    if (auto p = window.rfind("\n\n"); p != std::string_view::npos && p >= limit / 2) {
      cut = p, skip = 2;
    } else if (p = window.rfind('\n'); p != std::string_view::npos && p >= limit / 3) {
      cut = p, skip = 1;
    } else if (p = window.rfind(' '); p != std::string_view::npos && p >= limit / 3) {
      cut = p, skip = 1;
    } else {
      cut = char_boundary(text, limit);
    }
    std::string_view piece = text.substr(0, cut);
    while (!piece.empty() && (piece.back() == ' ' || piece.back() == '\n')) piece.remove_suffix(1);
    if (!piece.empty()) out.emplace_back(piece);
    text = trim_breaks(text.substr(cut + skip));
  }
  return out;
}

}  // namespace simpleclaw::channels
