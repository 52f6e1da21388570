// Online backup of a SQLite database and the single-file backup format of
// `simpleclaw backup` / `restore` (src/cli/backup_cmd.cpp).
//
// copy_database uses SQLite's backup API inside one read transaction: a consistent
// snapshot of everything committed when it started, taken while other processes (the
// running gateway) keep writing; the copy is a self-contained file (journal_mode DELETE).
//
// A backup file is that snapshot of the session database plus two tables of its own:
//   simpleclaw_backup        key/value facts: format, createdAt, counts to verify against
//   simpleclaw_backup_files  the other files of the state directory (path, mode, bytes)
// so one file is the whole state, checked with PRAGMA integrity_check, and readable with
// any SQLite tool.
//
// Threading: any thread; these open their own connections.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::store {

inline constexpr const char* kBackupFormat = "simpleclaw-backup-1";

// Copies `src` to a new file `dst` (which must not exist), consistently, while `src` may
// be written by others. Retries while the source is busy (bounded).
Status copy_database(const std::string& src, const std::string& dst);

struct BackupFile {
  std::string path;  // relative to the state directory
  int mode = 0600;
  std::string bytes;
};

// Adds the backup tables to the database at `path` (a copy made by copy_database).
Status write_backup_extras(const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& facts,
                           const std::vector<BackupFile>& files);

struct BackupContents {
  std::vector<std::pair<std::string, std::string>> facts;
  std::vector<BackupFile> files;
};
// Opens a backup read-only and checks it: integrity_check ok and the format fact present.
// Errors say what is wrong with the file.
Result<BackupContents> read_backup(const std::string& path);
// Rows per table of the session database ("count.sessions" -> "12", ...): recorded in a
// backup and compared after a restore.
Result<std::vector<std::pair<std::string, std::string>>> table_counts(const std::string& path);
// Removes the backup tables from a copy of a backup (what remains is a session database).
Status strip_backup_extras(const std::string& path);

}  // namespace simpleclaw::store
