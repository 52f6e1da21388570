#include "agents/workspace.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include "base/fs.h"
#include "base/log.h"
#include "base/utf8.h"

namespace simpleclaw::agents {
namespace {

constexpr std::string_view kTruncatedMarker = "\n[truncated]\n";

// A name as it may appear in an error message: control bytes escaped, long input cut.
std::string printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

std::string allowed_names() {
  std::string out;
  for (std::string_view n : workspace_file_names()) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string errno_text(int err) { return std::strerror(err); }

Status check_name(std::string_view name) {
  if (name.empty()) return Error::invalid("workspace file name is empty");
  if (name.find('\0') != std::string_view::npos || name.find('/') != std::string_view::npos ||
      name.find('\\') != std::string_view::npos || name.find("..") != std::string_view::npos)
    return Error::invalid("invalid workspace file name: " + printable(name) +
                          " (a bare file name is required)");
  if (!is_workspace_file_name(name))
    return Error::invalid("unknown workspace file: " + printable(name) +
                          " (allowed: " + allowed_names() + ")");
  return Ok{};
}

Status check_size(std::uint64_t size) {
  if (size > kMaxFileBytes)
    return Error::invalid("file too large: " + std::to_string(size) + " bytes (max " +
                          std::to_string(kMaxFileBytes) + ")");
  return Ok{};
}

// realpath(3); nullopt with errno set on failure.
std::optional<std::string> real_path(const std::string& path) {
  char* p = ::realpath(path.c_str(), nullptr);
  if (!p) return std::nullopt;
  std::string out(p);
  std::free(p);
  return out;
}

std::int64_t mtime_ms(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

struct Workspace {
  std::string shown;  // as configured, made absolute: the prefix of WorkspaceFile::path
  std::string real;   // realpath of it; "" when the directory does not exist (yet)
};

Result<Workspace> open_workspace(const std::string& workspace, bool create) {
  if (workspace.empty()) return Error::invalid("workspace path is empty");
  std::error_code ec;
  std::string shown = std::filesystem::absolute(workspace, ec).string();
  if (ec) return Error::io("cannot resolve workspace " + workspace + ": " + ec.message());
  while (shown.size() > 1 && shown.back() == '/') shown.pop_back();

  std::optional<std::string> real = real_path(shown);
  if (!real && errno == ENOENT) {
    if (!create) return Workspace{std::move(shown), ""};
    if (Status st = make_dirs(shown, 0700); !st) return st.error();
    real = real_path(shown);
  }
  if (!real) return Error::io("cannot resolve workspace " + shown + ": " + errno_text(errno));
  struct stat st;
  if (::stat(real->c_str(), &st) != 0)
    return Error::io("cannot stat workspace " + shown + ": " + errno_text(errno));
  if (!S_ISDIR(st.st_mode)) return Error::invalid("workspace is not a directory: " + shown);
  return Workspace{std::move(shown), std::move(*real)};
}

struct Target {
  bool missing = true;
  std::string real;  // resolved path of the existing file, inside the workspace
  struct stat st {};
};

// Where `name` lives on disk, refusing anything that is not a regular file inside the
// resolved workspace. `name` has passed check_name.
Result<Target> resolve_target(const Workspace& ws, std::string_view name) {
  Target t;
  if (ws.real.empty()) return t;
  std::string path = ws.real + "/" + std::string(name);
  struct stat lst;
  if (::lstat(path.c_str(), &lst) != 0) {
    if (errno == ENOENT) return t;
    return Error::io("cannot stat workspace file " + std::string(name) + ": " + errno_text(errno));
  }
  std::optional<std::string> real = real_path(path);
  if (!real) {
    if (errno == ENOENT && S_ISLNK(lst.st_mode))
      return Error::invalid("workspace file is a broken symlink: " + std::string(name));
    return Error::io("cannot resolve workspace file " + std::string(name) + ": " +
                     errno_text(errno));
  }
  std::string prefix = ws.real == "/" ? "/" : ws.real + "/";
  if (real->size() <= prefix.size() || real->compare(0, prefix.size(), prefix) != 0)
    return Error::invalid("workspace file escapes the workspace: " + std::string(name));
  if (::stat(real->c_str(), &t.st) != 0)
    return Error::io("cannot stat workspace file " + std::string(name) + ": " + errno_text(errno));
  if (S_ISDIR(t.st.st_mode))
    return Error::invalid("workspace file is a directory: " + std::string(name));
  if (!S_ISREG(t.st.st_mode))
    return Error::invalid("workspace file is not a regular file: " + std::string(name));
  t.missing = false;
  t.real = std::move(*real);
  return t;
}

Result<WorkspaceFile> read_one(const Workspace& ws, std::string_view name) {
  WorkspaceFile f;
  f.name = std::string(name);
  f.path = ws.shown + "/" + f.name;
  Result<Target> t = resolve_target(ws, name);
  if (!t) return t.error();
  if (t->missing) return f;
  if (Status st = check_size(static_cast<std::uint64_t>(t->st.st_size)); !st) return st.error();

  // The resolved path has no symlinks left: O_NOFOLLOW refuses one swapped in since.
  // O_NONBLOCK keeps a FIFO swapped in from blocking the open; fstat then refuses it.
  int fd = ::open(t->real.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error::io("cannot read workspace file " + f.name + ": " + errno_text(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error::invalid("workspace file is not a regular file: " + f.name);
  }
  // Read at most one byte past the cap, so a file that grew since the stat is caught.
  std::string content;
  char buf[64 * 1024];
  while (content.size() <= kMaxFileBytes) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Error::io("cannot read workspace file " + f.name + ": " + errno_text(err));
    }
    if (n == 0) break;
    content.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (Status s = check_size(content.size()); !s) return s.error();
  f.missing = false;
  f.size = static_cast<std::int64_t>(content.size());
  f.updated_at_ms = mtime_ms(st);
  f.content = std::move(content);
  return f;
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos;
}

}  // namespace

const std::vector<std::string_view>& workspace_file_names() {
  static const std::vector<std::string_view> kNames = {"AGENTS.md", "SOUL.md",     "IDENTITY.md",
                                                       "USER.md",   "TOOLS.md",    "HEARTBEAT.md",
                                                       "MEMORY.md", "BOOTSTRAP.md"};
  return kNames;
}

bool is_workspace_file_name(std::string_view name) {
  for (std::string_view n : workspace_file_names())
    if (n == name) return true;
  return false;
}

Result<std::vector<WorkspaceFile>> list_workspace_files(const std::string& workspace) {
  Result<Workspace> ws = open_workspace(workspace, false);
  if (!ws) return ws.error();
  std::vector<WorkspaceFile> out;
  for (std::string_view name : workspace_file_names()) {
    WorkspaceFile f;
    f.name = std::string(name);
    f.path = ws->shown + "/" + f.name;
    Result<Target> t = resolve_target(*ws, name);
    if (!t) {
      log::warn("workspace file {} listed as missing: {}", name, t.error().message);
    } else if (!t->missing) {
      f.missing = false;
      f.size = static_cast<std::int64_t>(t->st.st_size);
      f.updated_at_ms = mtime_ms(t->st);
    }
    out.push_back(std::move(f));
  }
  return out;
}

Result<WorkspaceFile> read_workspace_file(const std::string& workspace, std::string_view name) {
  if (Status st = check_name(name); !st) return st.error();
  Result<Workspace> ws = open_workspace(workspace, false);
  if (!ws) return ws.error();
  return read_one(*ws, name);
}

Result<WorkspaceFile> write_workspace_file(const std::string& workspace, std::string_view name,
                                           std::string_view content) {
  if (Status st = check_name(name); !st) return st.error();
  if (Status st = check_size(content.size()); !st) return st.error();
  Result<Workspace> ws = open_workspace(workspace, true);
  if (!ws) return ws.error();
  Result<Target> t = resolve_target(*ws, name);
  if (!t) return t.error();

  // An existing file keeps its permissions; a symlink inside the workspace is written
  // through (the rename replaces its target, never the link or anything outside).
  std::string target = t->missing ? ws->real + "/" + std::string(name) : t->real;
  unsigned mode = t->missing ? 0600 : static_cast<unsigned>(t->st.st_mode & 0777);
  if (Status st = write_file_atomic(target, content, mode); !st)
    return Error::io("cannot write workspace file " + std::string(name) + ": " +
                     st.error().message);

  WorkspaceFile f;
  f.name = std::string(name);
  f.path = ws->shown + "/" + f.name;
  struct stat st;
  if (::stat(target.c_str(), &st) != 0)
    return Error::io("cannot stat workspace file " + f.name + ": " + errno_text(errno));
  f.missing = false;
  f.size = static_cast<std::int64_t>(st.st_size);
  f.updated_at_ms = mtime_ms(st);
  return f;
}

Result<std::vector<std::string>> remove_workspace_files(const std::string& workspace) {
  Result<Workspace> ws = open_workspace(workspace, false);
  if (!ws) return ws.error();
  std::vector<std::string> removed;
  if (ws->real.empty()) return removed;
  for (std::string_view name : workspace_file_names()) {
    std::string path = ws->real + "/" + std::string(name);
    struct stat lst;
    if (::lstat(path.c_str(), &lst) != 0) continue;
    if (S_ISDIR(lst.st_mode)) continue;  // not ours to delete
    if (::unlink(path.c_str()) != 0)
      return Error::io("cannot delete workspace file " + std::string(name) + ": " +
                       errno_text(errno));
    removed.emplace_back(name);
  }
  // Only an empty directory goes: anything the user put there stays, and so does it.
  if (::rmdir(ws->real.c_str()) != 0 && errno != ENOTEMPTY && errno != EEXIST)
    log::warn("agents.delete: workspace {} kept: {}", ws->shown, errno_text(errno));
  return removed;
}

std::string assemble_system_prompt(const std::string& workspace, std::string_view agent_name,
                                   std::size_t max_bytes) {
  std::string name;
  for (char c : agent_name) name += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  std::string out = name.empty() ? "You are an assistant running in simpleclaw.\n"
                                 : "You are " + name + ", an assistant running in simpleclaw.\n";
  if (out.size() >= max_bytes) return std::string(utf8_prefix(out, max_bytes));

  Result<Workspace> ws = open_workspace(workspace, false);
  if (!ws) {
    log::warn("system prompt: workspace skipped: {}", ws.error().message);
    return out;
  }
  for (std::string_view file : workspace_file_names()) {
    Result<WorkspaceFile> f = read_one(*ws, file);
    if (!f) {
      log::warn("system prompt: workspace file {} skipped: {}", file, f.error().message);
      continue;
    }
    if (f->missing || is_blank(f->content)) continue;
    std::string head = "\n## " + f->name + "\n\n";
    if (out.size() + head.size() + f->content.size() + 1 <= max_bytes) {
      out += head;
      out += f->content;
      out += '\n';
      continue;
    }
    std::size_t room = max_bytes - out.size();
    if (room > head.size() + kTruncatedMarker.size()) {
      out += head;
      out += utf8_prefix(f->content, room - head.size() - kTruncatedMarker.size());
      out += kTruncatedMarker;
    } else if (room >= kTruncatedMarker.size()) {
      out += kTruncatedMarker;
    }
    log::debug("system prompt capped at {} bytes at workspace file {}", max_bytes, file);
    break;
  }
  return out;
}

}  // namespace simpleclaw::agents
