// The config file on disk: read with its hash, compare-and-swap writes that validate
// first and replace the file atomically (mode 0600), and config.patch on top of them.
// Blocking file I/O on small files; callers decide the thread.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "base/crypto.h"
#include "base/fs.h"
#include "config/config.h"
#include "config/yaml_json.h"

namespace simpleclaw::config {
namespace {

struct Current {
  bool exists = false;
  std::string raw;
  std::string hash;
};

Result<Current> read_current(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Current{};
    return Error::io("cannot access " + path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return Error::invalid("cannot read " + path + ": is a directory");
  Result<std::string> raw = read_file(path);
  if (!raw) return raw.error();
  Current c;
  c.exists = true;
  c.hash = sha256_hex(*raw);
  c.raw = std::move(raw.value());
  return c;
}

Error conflict_error() {
  return Error::conflict("config changed since last load; re-run config.get and retry",
                         "CONFIG_CONFLICT");
}

std::string parent_dir(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return {};
  return path.substr(0, slash);
}

}  // namespace

FileState read_state(const std::string& path) {
  FileState st;
  st.path = path;
  Result<Current> cur = read_current(path);
  if (!cur) {
    st.exists = true;  // there is something we cannot read: never mistake it for defaults
    st.error = cur.error().message;
    return st;
  }
  st.exists = cur->exists;
  st.raw = cur->exists ? std::move(cur->raw) : std::string(default_text());
  st.hash = std::move(cur->hash);
  return st;
}

Result<WriteResult> write_checked(const std::string& path, std::string_view new_text,
                                  const std::string& base_hash, const EnvLookup& env) {
  Result<Current> cur = read_current(path);
  if (!cur) return cur.error();
  if (cur->exists && cur->hash != base_hash) return conflict_error();
  Parsed parsed = parse(new_text, env);
  if (!parsed.ok()) return invalid_config_error(parsed.issues);
  if (std::string dir = parent_dir(path); !dir.empty()) {
    Status made = make_dirs(dir, 0700);
    if (!made) return made.error();
  }
  Status written = write_file_atomic(path, new_text, 0600);
  if (!written) return written.error();
  WriteResult out;
  out.state.path = path;
  out.state.exists = true;
  out.state.raw = std::string(new_text);
  out.state.hash = sha256_hex(new_text);
  out.config = std::move(parsed.config);
  return out;
}

namespace {

// The file's own document (${VARS} unexpanded, key order kept), edited, then written
// through write_checked against `base_hash`.
Result<WriteResult> edit_current(const std::string& path, const Current& cur,
                                 const std::string& base_hash, const DocEdit& edit,
                                 const EnvLookup& env) {
  auto text = edit_text(cur.exists ? std::string_view(cur.raw) : default_text(), edit);
  if (!text.ok()) return text.error();
  return write_checked(path, *text, base_hash, env);
}

}  // namespace

Result<WriteResult> patch_checked(const std::string& path, const Json& patch,
                                  const std::string& base_hash, const EnvLookup& env) {
  if (!patch.is_object()) return Error::invalid("config.patch raw must be a JSON object");
  Result<Current> cur = read_current(path);
  if (!cur) return cur.error();
  if (cur->exists && cur->hash != base_hash) return conflict_error();
  return edit_current(path, *cur, base_hash, merge_edit(patch), env);
}

Result<WriteResult> edit_checked(const std::string& path, const DocEdit& edit,
                                 const EnvLookup& env) {
  Result<Current> cur = read_current(path);
  if (!cur) return cur.error();
  return edit_current(path, *cur, cur->hash, edit, env);
}

Result<WriteResult> edit_agents_checked(const std::string& path, const AgentsEdit& edit,
                                        const EnvLookup& env) {
  return edit_checked(path, agents_edit(edit), env);
}

nlohmann::ordered_json* agent_entry(nlohmann::ordered_json& list, std::string_view id) {
  for (nlohmann::ordered_json& a : list)
    if (a.is_object() && a.value("id", "") == id) return &a;
  return nullptr;
}

}  // namespace simpleclaw::config
