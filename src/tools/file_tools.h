// The file tools agents call (SPEC §8): read {path}, write {path, content}, edit {path,
// old, new}, ls {path?}. Every path is confined to the agent's workspace: NUL bytes and
// `..` components are refused, an absolute path must lie inside the workspace, and the
// real path (symlinks resolved) of the target — or, for a new file, of its parent
// directory — must too. The final open uses O_NOFOLLOW, so a symlink swapped in after the
// check is not followed.
//
// Blocking (filesystem calls): the tool runner calls these on its worker pool, never on
// the loop thread. Pure otherwise: no state, any thread.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw::tools {

inline constexpr std::size_t kMaxReadBytes = 256 * 1024;        // read returns at most this
inline constexpr std::size_t kMaxWriteBytes = 4 * 1024 * 1024;  // write/edit file size cap
inline constexpr std::size_t kMaxListEntries = 1000;

// The absolute path `path` names inside `workspace`, checked as above. for_write: the
// file may not exist yet (its parent directory must, inside the workspace, unless
// make_parents creates the missing ones).
Result<std::string> resolve_in_workspace(const std::string& workspace, std::string_view path,
                                         bool for_write, bool make_parents = false);

// Each returns the text for the model, or an error whose message says what to fix.
Result<std::string> read_tool(const std::string& workspace, const Json& args);
Result<std::string> write_tool(const std::string& workspace, const Json& args);
Result<std::string> edit_tool(const std::string& workspace, const Json& args);
Result<std::string> ls_tool(const std::string& workspace, const Json& args);

}  // namespace simpleclaw::tools
