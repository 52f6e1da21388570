#include "tools/file_tools.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "base/fs.h"
#include "base/utf8.h"

namespace simpleclaw::tools {
namespace {

namespace fs = std::filesystem;

// realpath(3), "" when the path does not exist.
std::string real_or_empty(const std::string& p) { return real_path(p).value_or(""); }

Result<std::string> string_arg(const Json& args, const char* key, bool required = true) {
  if (!args.is_object()) return Error::invalid("arguments must be a JSON object");
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) {
    if (!required) return std::string();
    return Error::invalid(std::string("missing argument '") + key + "'");
  }
  if (!it->is_string())
    return Error::invalid(std::string("argument '") + key + "' must be a string");
  return it->get<std::string>();
}

// Opens an existing regular file inside the workspace for reading, never following a
// final symlink.
Result<int> open_read(const std::string& abs) {
  int fd = ::open(abs.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno_error("cannot open " + abs, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error::invalid(abs + " is not a regular file");
  }
  return fd;
}

Result<std::string> read_all(const std::string& abs, std::size_t cap, bool* truncated) {
  auto fd = open_read(abs);
  if (!fd.ok()) return fd.error();
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(*fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(*fd);
      return errno_error("cannot read " + abs, e);
    }
    if (n == 0) break;
    std::size_t take =
        std::min<std::size_t>(static_cast<std::size_t>(n), cap + 1 - std::min(cap + 1, out.size()));
    out.append(buf, take);
    if (out.size() > cap) break;
  }
  ::close(*fd);
  if (truncated) *truncated = out.size() > cap;
  if (out.size() > cap) out.resize(cap);
  return out;
}

Status write_all(const std::string& abs, std::string_view data) {
  // A temp file in the same directory, then rename: a reader never sees half a file, and
  // rename replaces a symlink itself rather than writing through it.
  std::string tmp = abs + ".sc-tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return errno_error("cannot write " + abs, errno);
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return errno_error("cannot write " + abs, e);
    }
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), abs.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return errno_error("cannot write " + abs, e);
  }
  return Ok{};
}

}  // namespace

Result<std::string> resolve_in_workspace(const std::string& workspace, std::string_view path,
                                         bool for_write, bool make_parents) {
  if (path.find('\0') != std::string_view::npos) return Error::invalid("path contains a NUL byte");
  std::string root = real_or_empty(workspace);
  if (root.empty()) return Error::not_found("the agent workspace " + workspace + " does not exist");
  std::string p(path);
  if (p.empty()) p = ".";
  fs::path rel(p);
  for (const auto& part : rel)
    if (part == "..")
      return Error::invalid("path '" + p + "' contains '..'; use a path inside the workspace");
  fs::path joined;
  if (rel.is_absolute()) {
    // Absolute paths are accepted only inside the workspace (as given or as resolved).
    std::string given = fs::path(workspace).lexically_normal().string();
    while (given.size() > 1 && given.back() == '/') given.pop_back();
    std::string norm = rel.lexically_normal().string();
    if (!path_within(norm, given) && !path_within(norm, root))
      return Error::invalid("path '" + p + "' is outside the workspace " + workspace);
    joined = rel.lexically_normal();
  } else {
    joined = (fs::path(root) / rel).lexically_normal();
  }
  std::string target = joined.string();
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  std::string resolved = real_or_empty(target);
  if (!resolved.empty()) {
    if (!path_within(resolved, root))
      return Error::invalid("path '" + p + "' leads outside the workspace (symlink to " + resolved +
                            ")");
    // A symlink inside the workspace pointing inside it: use the real target.
    return resolved;
  }
  if (!for_write) return Error::not_found("'" + p + "' does not exist in the workspace");
  struct stat lst {};
  if (::lstat(target.c_str(), &lst) == 0)  // a dangling symlink: never write through it
    return Error::invalid("path '" + p + "' is a symlink to a missing target; refusing to write");
  fs::path parent = fs::path(target).parent_path();
  std::string parent_real = real_or_empty(parent.string());
  if (parent_real.empty()) {
    if (!make_parents) return Error::not_found("directory of '" + p + "' does not exist");
    // Create each missing directory, checking that the deepest existing one is inside.
    fs::path existing = parent;
    while (real_or_empty(existing.string()).empty() && existing.has_parent_path() &&
           existing != existing.parent_path())
      existing = existing.parent_path();
    if (!path_within(real_or_empty(existing.string()), root))
      return Error::invalid("path '" + p + "' leads outside the workspace");
    if (auto s = make_dirs(parent.string(), 0755); !s.ok()) return s.error();
    parent_real = real_or_empty(parent.string());
  }
  if (parent_real.empty() || !path_within(parent_real, root))
    return Error::invalid("path '" + p + "' leads outside the workspace");
  return parent_real + "/" + fs::path(target).filename().string();
}

Result<std::string> read_tool(const std::string& workspace, const Json& args) {
  auto path = string_arg(args, "path");
  if (!path.ok()) return path.error();
  auto abs = resolve_in_workspace(workspace, *path, false);
  if (!abs.ok()) return abs.error();
  bool truncated = false;
  auto data = read_all(*abs, kMaxReadBytes, &truncated);
  if (!data.ok()) return data.error();
  if (!valid_utf8(*data)) {
    // Cut at the last whole sequence when the cap split one; otherwise it is binary.
    std::size_t bad = first_invalid_utf8(*data);
    if (!(truncated && bad + 4 > data->size()))
      return Error::invalid("'" + *path + "' is not a text file (invalid UTF-8 at byte " +
                            std::to_string(bad) + ")");
    data->resize(bad);
  }
  if (truncated)
    *data +=
        "\n[... truncated: the file is larger than " + std::to_string(kMaxReadBytes) + " bytes]";
  return std::move(data).value();
}

Result<std::string> write_tool(const std::string& workspace, const Json& args) {
  auto path = string_arg(args, "path");
  if (!path.ok()) return path.error();
  auto content = string_arg(args, "content");
  if (!content.ok()) return content.error();
  if (content->size() > kMaxWriteBytes)
    return Error::invalid("content is " + std::to_string(content->size()) +
                          " bytes; the limit is " + std::to_string(kMaxWriteBytes));
  auto abs = resolve_in_workspace(workspace, *path, true, true);
  if (!abs.ok()) return abs.error();
  struct stat st {};
  if (::stat(abs->c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return Error::invalid("'" + *path + "' exists and is not a regular file");
  if (auto s = write_all(*abs, *content); !s.ok()) return s.error();
  return "wrote " + std::to_string(content->size()) + " bytes to " + *path;
}

Result<std::string> edit_tool(const std::string& workspace, const Json& args) {
  auto path = string_arg(args, "path");
  if (!path.ok()) return path.error();
  auto old_text = string_arg(args, "old");
  if (!old_text.ok()) return old_text.error();
  auto new_text = string_arg(args, "new");
  if (!new_text.ok()) return new_text.error();
  if (old_text->empty()) return Error::invalid("'old' must not be empty");
  auto abs = resolve_in_workspace(workspace, *path, false);
  if (!abs.ok()) return abs.error();
  bool truncated = false;
  auto data = read_all(*abs, kMaxWriteBytes, &truncated);
  if (!data.ok()) return data.error();
  if (truncated) return Error::invalid("'" + *path + "' is larger than the edit limit");
  std::size_t at = data->find(*old_text);
  if (at == std::string::npos) return Error::not_found("'old' text not found in " + *path);
  if (data->find(*old_text, at + 1) != std::string::npos)
    return Error::invalid("'old' text occurs more than once in " + *path +
                          "; include more context so it is unique");
  data->replace(at, old_text->size(), *new_text);
  if (data->size() > kMaxWriteBytes)
    return Error::invalid("the edited file would exceed the size limit");
  if (auto s = write_all(*abs, *data); !s.ok()) return s.error();
  return "edited " + *path;
}

Result<std::string> ls_tool(const std::string& workspace, const Json& args) {
  auto path = string_arg(args, "path", false);
  if (!path.ok()) return path.error();
  auto abs = resolve_in_workspace(workspace, *path, false);
  if (!abs.ok()) return abs.error();
  std::error_code ec;
  if (!fs::is_directory(*abs, ec)) return Error::invalid("'" + *path + "' is not a directory");
  std::vector<std::string> lines;
  bool more = false;
  for (fs::directory_iterator it(*abs, ec), end; !ec && it != end; it.increment(ec)) {
    if (lines.size() >= kMaxListEntries) {
      more = true;
      break;
    }
    const fs::directory_entry& e = *it;
    std::string name = e.path().filename().string();
    std::error_code ec2;
    if (e.is_symlink(ec2)) {
      lines.push_back(name + " -> " + fs::read_symlink(e.path(), ec2).string());
    } else if (e.is_directory(ec2)) {
      lines.push_back(name + "/");
    } else {
      lines.push_back(name + " (" + std::to_string(e.file_size(ec2)) + " bytes)");
    }
  }
  if (ec) return errno_error("cannot list '" + *path + "'", ec.value());
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  if (more) out += "[... more than " + std::to_string(kMaxListEntries) + " entries]\n";
  if (out.empty()) out = "(empty directory)\n";
  return out;
}

}  // namespace simpleclaw::tools
