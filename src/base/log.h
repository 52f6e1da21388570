// Logging facade over spdlog. Human-readable lines go to stderr; JSON lines
// ({"ts","level","msg"}) go to a size-rotated file that `logs.tail` reads.
// init() is called once at start-up; the log functions are thread-safe (spdlog).
// Never pass a secret (token, password, API key) to a log call.
#pragma once
#include <spdlog/spdlog.h>

#include <cstddef>
#include <string>

namespace simpleclaw::log {

struct Options {
  std::string level = "info";  // trace|debug|info|warn|error
  std::string file;            // empty = no file sink
  std::size_t max_bytes = 10 * 1024 * 1024;  // rotate at this size
  std::size_t max_files = 5;                 // gateway.log.1 .. .5 kept
  bool to_stderr = true;
};

void init(const Options& opts);
void set_level(const std::string& level);
// Escapes a string for a JSON string body (no quotes added).
std::string json_escape(std::string_view s);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace simpleclaw::log
