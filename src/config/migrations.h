// Config format versions and the migrations between them.
//
// A config file says which format it is written in with `version:` (kConfigVersion
// today); a file without it is version 1, the format before versions existed. When a
// release renames or removes a key, the old name gets a Migration here instead of
// becoming an "unknown key" error: an upgrade must never keep a gateway down.
//
//   * at start and on every reload, parse() applies the migrations to the document in
//     memory (the file is not touched) and Parsed::migrated says what changed, which the
//     gateway logs as a warning with the fix;
//   * `simpleclaw doctor` reports it, and `doctor --fix` shows the file's diff and then
//     rewrites it (the old file kept beside it), editing the text in place so comments
//     and layout stay;
//   * a file with a newer version than this build knows is an error naming both versions
//     (at start the gateway then runs on its last-known-good copy, see runtime.cpp).
//
// Version 2 (issue 18): the two durations that were in seconds, unlike every other
// duration key, are in milliseconds: cron.default_timeout_seconds -> default_timeout_ms,
// hooks.mappings.<name>.timeout_seconds -> timeout_ms (values times 1000).
//
// Pure functions on values; any thread.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace simpleclaw::config {

inline constexpr int kConfigVersion = 2;

// One change made to a document: the key's old and new dotted paths ("" = removed), the
// value before and after, and a sentence for logs and doctor.
struct MigrationChange {
  std::string from_path, to_path;
  nlohmann::ordered_json old_value, new_value;
  std::string message;
};

struct Migrated {
  int from_version = kConfigVersion;  // what the document said (1 when it had no version)
  std::vector<MigrationChange> changes;
  std::string error;  // a version this build cannot read (newer, or not a number)
};

// Applies every migration from the document's version up to kConfigVersion, in place.
// `version` itself is left as it was (absent stays absent): the in-memory document only
// gains what the keys mean, and doctor --fix writes the version.
Migrated migrate(nlohmann::ordered_json& doc);

// One line for the log: what was migrated in `path` and the fix; "" when nothing was.
std::string migration_warning(const std::vector<MigrationChange>& changes, int file_version,
                              const std::string& path);

// doctor --fix: the file's text with the changes of migrate() made in place (keys renamed
// and values rewritten where they stand, `version: kConfigVersion` added or updated), so
// comments and layout stay; falls back to re-emitting the whole document when the text
// cannot be edited in place (a flow-style document). `text` must parse.
std::string migrate_text(const std::string& text);

}  // namespace simpleclaw::config
