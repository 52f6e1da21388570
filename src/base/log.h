// Logging facade over spdlog. Human-readable lines go to stderr; JSON lines
// ({"time","level","message"}, OpenClaw's names) go to a size-rotated file that `logs.tail` reads.
// init() is called once at start-up; the log functions are thread-safe (spdlog).
// Never pass a secret (token, password, API key) to a log call.
#pragma once
#include <spdlog/spdlog.h>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace simpleclaw::log {

struct Options {
  std::string level = "info";                // trace|debug|info|warn|error
  std::string file;                          // empty = no file sink
  std::size_t max_bytes = 10 * 1024 * 1024;  // rotate at this size
  std::size_t max_files = 5;                 // gateway.1.log .. gateway.5.log kept
  bool to_stderr = true;
};

void init(const Options& opts);
void set_level(const std::string& level);
// Escapes a string for a JSON string body (no quotes added).
std::string json_escape(std::string_view s);

// A structured diagnostic record: one info line on stderr ("<event> <summary>") and, in
// the JSON log file, {"time","level","message","event":<event>,...fields} so that logs.tail
// readers can filter on it (channel connect/disconnect/stuck/restart, plugin restarts).
// `fields` must be a JSON object (its keys never overwrite time/level/message/event) and must
// not hold secrets. Thread-safe.
void event(std::string_view name, const nlohmann::json& fields, std::string_view summary,
           spdlog::level::level_enum level = spdlog::level::info);

// The same structured record with `message` as the whole text (no "<event> " prefix), for
// lines whose wording users and scripts already know ("startup: config — ...").
void record(std::string_view name, const nlohmann::json& fields, std::string_view message,
            spdlog::level::level_enum level = spdlog::level::info);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace simpleclaw::log
