// Usage aggregates over the transcripts (usage.cost, sessions.usage*): the token counts
// each assistant entry already carries (entries.input_tokens/output_tokens/model/
// created_at), summed by SQL per calendar day, model and (optionally) session key. Prices
// are not known here: the caller multiplies the token sums by the configured prices.
//
// Days are calendar days, not 86400-second slices: SQLite's date() names each entry's day
// in UTC, in the gateway's local time zone ('localtime': the process's TZ, DST included)
// or at a fixed UTC offset. The caller computes the matching range bounds.
//
// Threading: DbWorker thread only (free functions over the store's connection). Every
// result is bounded: at most `max_rows` grouped rows (then `truncated`).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "simpleclaw/result.h"
#include "store/db.h"

namespace simpleclaw::sessions {

enum class DayZone : std::uint8_t { kUtc, kLocal, kOffset };

struct UsageQuery {
  std::int64_t start_ms = 0, end_ms = 0;  // created_at in [start_ms, end_ms]
  DayZone zone = DayZone::kLocal;
  int offset_minutes = 0;    // kOffset: east of UTC
  std::string agent_id;      // "" = every agent
  std::string owner;         // shared mode: only this user's namespace ("" = everyone)
  std::string key;           // one session key ("" = every session)
  bool per_session = false;  // group by session key too (sessions.usage)
  int max_rows = 50000;
};

// Tokens of one (session key, day, model): entries with a token count.
struct UsageRow {
  std::string key;    // "" unless per_session
  std::string day;    // YYYY-MM-DD
  std::string model;  // "provider/model" as the run used it ("" = unknown)
  std::int64_t input = 0, output = 0, entries = 0;
  std::int64_t first_at = 0, last_at = 0;
};

// Messages of one (session key, day, role): every entry, with or without tokens.
struct MessageRow {
  std::string key, day, role;  // role: user | assistant | tool
  std::int64_t count = 0;
  std::int64_t tool_calls = 0;  // assistant entries that called tools
  std::int64_t errors = 0;      // error entries and failed tool results
  std::int64_t first_at = 0, last_at = 0;
};

struct ToolRow {
  std::string key, tool;
  std::int64_t count = 0;
};

struct UsageData {
  std::vector<UsageRow> usage;
  std::vector<MessageRow> messages;  // per_session only
  std::vector<ToolRow> tools;        // per_session only
  bool truncated = false;            // a query hit max_rows
};

Result<UsageData> load_usage(store::Db& db, const UsageQuery& q);

// One entry of a session's transcripts (every sessionId the key had), newest first.
struct UsageEntry {
  std::int64_t created_at = 0;
  std::string role, text, model, tool_name;
  std::int64_t input = 0, output = 0;
  bool has_tool_calls = false;
};
// `only_tokens`: entries with a token count (the time series); else every entry (logs).
// At most `limit` newest, returned oldest first; `text_max` bytes of text each (UTF-8).
Result<std::vector<UsageEntry>> session_entries(store::Db& db, const std::string& key,
                                                bool only_tokens, int limit, std::size_t text_max);

}  // namespace simpleclaw::sessions
