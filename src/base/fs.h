// Small filesystem helpers with Result errors: whole-file read, atomic write
// (temp file + fsync + rename + directory fsync), private directories and files.
// Blocking; callers on the loop thread use them only for small files at start-up or
// for config writes (bounded, rare).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw {

// A failed system call as a typed error, "<what>: <strerror(err)>": ENOENT and ENOTDIR are
// kNotFound, EEXIST kConflict, anything else kIo (a permission or disk problem is the
// machine's, never the request's).
Error errno_error(const std::string& what, int err);

Result<std::string> read_file(const std::string& path);
// Writes `data` to `path` atomically with the given mode; the file is either the old
// bytes or the new bytes, never a mix, even on power loss.
Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0600);
// mkdir -p with the given mode for every directory it creates.
Status make_dirs(const std::string& path, unsigned mode = 0700);
std::string home_dir();
// "." and ".." and repeated slashes collapsed, without touching the filesystem:
// "/a/./b/../c//d" -> "/a/c/d"; a relative path comes back absolute ("a" -> "/a").
std::string lexical_normal(const std::string& path);
// realpath(3): absolute, symlinks resolved; nullopt when it does not exist.
std::optional<std::string> real_path(const std::string& path);
// `path` is `root` or below it, both absolute and normalised: "/a/b" is within "/a", not
// within "/ab". Root "/" holds every path, an empty root none.
bool path_within(std::string_view path, std::string_view root);

// One owner of a directory at a time: an exclusive flock() on `path`, held until this
// object dies. The kernel drops the lock when the process ends however it ends (even
// SIGKILL), so there is never a stale lock to clean up; the file holds the owner's pid
// only for the message a second process gets. Not copyable; movable.
class DirLock {
 public:
  // Fails ("... pid N ...", detail code LOCKED) while another process holds it.
  static Result<DirLock> acquire(const std::string& path);
  DirLock(DirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DirLock& operator=(DirLock&& o) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace simpleclaw
