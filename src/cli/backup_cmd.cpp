// `simpleclaw backup FILE` and `simpleclaw restore FILE` (store/backup.h has the format).
//
// backup: an online snapshot while the gateway serves. The session database is copied
// with SQLite's backup API (one consistent moment: every message acknowledged before it
// started is in it), then the other files of the state directory (token, devices,
// channel pairing and offsets, media, config.yaml when it lives there) are added, the
// file is checked and renamed into place: FILE is complete or absent.
//
// restore: refuses while a gateway holds the state directory (its lock), checks the
// backup, moves the current state aside (<state>/before-restore-<time>/: nothing is
// deleted), writes the database and files, then opens the result as the gateway would
// (migrations included) and compares its row counts with the backup's.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/clock.h"
#include "base/fs.h"
#include "cli/cli.h"
#include "gateway/runtime.h"
#include "sessions/store.h"
#include "store/backup.h"

namespace simpleclaw::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxFileBytes = 256ull << 20;  // one state file (media included)

// State files that are not state: the live database (copied through the backup API),
// the lock and runtime file of the running process, logs, leftovers of atomic writes.
bool skipped(const std::string& rel) {
  return rel.rfind("sessions.db", 0) == 0 || rel == "gateway.lock" || rel == "gateway.json" ||
         rel.rfind("logs/", 0) == 0 || rel.rfind("before-restore-", 0) == 0 ||
         (rel.size() > 4 && rel.compare(rel.size() - 4, 4, ".tmp") == 0);
}

Result<std::vector<store::BackupFile>> state_files(const std::string& state) {
  std::vector<store::BackupFile> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(state, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    std::string rel = fs::relative(it->path(), state, ec).string();
    if (ec || skipped(rel)) continue;
    if (it->file_size(ec) > kMaxFileBytes)
      return Error::invalid(it->path().string() + " is larger than 256 MB; not backing it up");
    auto bytes = read_file(it->path().string());
    if (!bytes.ok()) return bytes.error();
    struct stat st {};
    ::stat(it->path().c_str(), &st);
    out.push_back({rel, static_cast<int>(st.st_mode & 0777), std::move(bytes).value()});
  }
  if (ec) return Error::io("cannot read " + state + ": " + ec.message());
  return out;
}

std::string fact(const std::vector<std::pair<std::string, std::string>>& facts,
                 const std::string& key) {
  for (const auto& [k, v] : facts)
    if (k == key) return v;
  return "";
}

}  // namespace

int backup_command(const std::string& state_flag, const std::string& file) {
  auto t0 = std::chrono::steady_clock::now();
  const std::string state = gateway::resolve_state_dir(state_flag);
  const std::string db = state + "/sessions.db";
  if (::access(db.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "error: no state to back up: %s does not exist\n", db.c_str());
    return 1;
  }
  std::error_code ec;
  if (fs::exists(file, ec)) {
    std::fprintf(stderr, "error: %s already exists; choose a new file name\n", file.c_str());
    return 1;
  }
  const std::string tmp = file + ".partial";
  fs::remove(tmp, ec);
  auto fail = [&](const std::string& why) {
    fs::remove(tmp, ec);
    std::fprintf(stderr, "error: backup failed: %s\n", why.c_str());
    return 1;
  };
  if (auto s = store::copy_database(db, tmp); !s.ok()) return fail(s.error().message);
  auto files = state_files(state);
  if (!files.ok()) return fail(files.error().message);
  auto counts = store::table_counts(tmp);
  if (!counts.ok()) return fail(counts.error().message);
  std::vector<std::pair<std::string, std::string>> facts = *counts;
  facts.emplace_back("format", store::kBackupFormat);
  facts.emplace_back("createdAt", std::to_string(wall_now_ms()));
  facts.emplace_back("stateDir", state);
  std::size_t bytes = 0;
  for (const auto& f : *files) bytes += f.bytes.size();
  if (auto s = store::write_backup_extras(tmp, facts, *files); !s.ok())
    return fail(s.error().message);
  if (auto check = store::read_backup(tmp); !check.ok()) return fail(check.error().message);
  ::chmod(tmp.c_str(), 0600);  // it holds the token and channel secrets
  fs::rename(tmp, file, ec);
  if (ec) return fail("cannot rename " + tmp + ": " + ec.message());
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf("backed up %s to %s: %s sessions, %s messages, %zu files (%zu bytes) in %lld ms\n",
              state.c_str(), file.c_str(), fact(facts, "count.sessions").c_str(),
              fact(facts, "count.entries").c_str(), files->size(), bytes,
              static_cast<long long>(ms));
  return 0;
}

int restore_command(const std::string& state_flag, const std::string& file) {
  const std::string state = gateway::resolve_state_dir(state_flag);
  if (auto s = make_dirs(state, 0700); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.error().message.c_str());
    return 1;
  }
  // Held until the restore is done: a gateway started meanwhile waits for nothing, it
  // refuses to start (and one running now makes the restore refuse).
  auto lock = DirLock::acquire(state + "/gateway.lock");
  if (!lock.ok()) {
    std::fprintf(stderr,
                 "error: a gateway is running on %s (%s); stop it first (systemctl stop "
                 "simpleclaw, or SIGTERM), then restore. Nothing was changed.\n",
                 state.c_str(), lock.error().message.c_str());
    return 1;
  }
  auto backup = store::read_backup(file);
  if (!backup.ok()) {
    std::fprintf(stderr, "error: %s. Nothing was changed.\n", backup.error().message.c_str());
    return 1;
  }
  // The current state, moved aside whole (nothing is deleted).
  std::error_code ec;
  const std::string aside = state + "/before-restore-" + std::to_string(wall_now_ms());
  for (const auto& e : fs::directory_iterator(state, ec)) {
    std::string name = e.path().filename().string();
    if (name == "gateway.lock" || name == "logs" || name.rfind("before-restore-", 0) == 0) continue;
    fs::create_directories(aside, ec);
    fs::rename(e.path(), aside + "/" + name, ec);
    if (ec) {
      std::fprintf(stderr, "error: cannot move %s aside: %s\n", e.path().c_str(),
                   ec.message().c_str());
      return 1;
    }
  }
  const std::string tmp = state + "/sessions.db.restoring";
  fs::remove(tmp, ec);
  if (auto s = store::copy_database(file, tmp); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.error().message.c_str());
    return 1;
  }
  if (auto s = store::strip_backup_extras(tmp); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.error().message.c_str());
    return 1;
  }
  fs::rename(tmp, state + "/sessions.db", ec);
  for (const store::BackupFile& f : backup->files) {
    fs::path rel(f.path);
    if (rel.is_absolute() || f.path.find("..") != std::string::npos) {
      std::fprintf(stderr, "warning: skipping %s (outside the state directory)\n", f.path.c_str());
      continue;
    }
    fs::path dest = fs::path(state) / rel;
    fs::create_directories(dest.parent_path(), ec);
    ::chmod(dest.parent_path().c_str(), 0700);
    if (auto s = write_file_atomic(dest.string(), f.bytes, f.mode & 0777); !s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.error().message.c_str());
      return 1;
    }
  }
  // As the gateway will open it: migrations run, then the counts must match.
  {
    auto opened = sessions::SessionStore::open(state + "/sessions.db");
    if (!opened.ok()) {
      std::fprintf(stderr, "error: the restored database does not open: %s\n",
                   opened.error().message.c_str());
      return 1;
    }
  }
  auto counts = store::table_counts(state + "/sessions.db");
  if (!counts.ok()) {
    std::fprintf(stderr, "error: %s\n", counts.error().message.c_str());
    return 1;
  }
  for (const auto& [k, v] : *counts) {
    std::string want = fact(backup->facts, k);
    if (!want.empty() && want != v) {
      std::fprintf(stderr, "error: restored %s = %s, the backup recorded %s\n", k.c_str(),
                   v.c_str(), want.c_str());
      return 1;
    }
  }
  std::printf("restored %s into %s: %s sessions, %s messages, %zu files, verified%s\n",
              file.c_str(), state.c_str(), fact(backup->facts, "count.sessions").c_str(),
              fact(backup->facts, "count.entries").c_str(), backup->files.size(),
              fs::exists(aside) ? ("; the previous state is in " + aside).c_str() : "");
  return 0;
}

}  // namespace simpleclaw::cli
