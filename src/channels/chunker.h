// Splits a reply into messages a platform accepts (Telegram 4096, Discord 2000, ...).
// Breaks at a paragraph, else a line, else a space, else anywhere, never inside a UTF-8
// character; the separator at a break is dropped. Pure; any thread.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace simpleclaw::channels {

// Chunks of at most `limit` bytes (limit >= 8). Empty text gives no chunk.
std::vector<std::string> chunk_text(std::string_view text, std::size_t limit);

}  // namespace simpleclaw::channels
