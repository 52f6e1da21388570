// An agent's workspace files (SPEC §5 Agents): the fixed set of markdown files that
// shape the agent (AGENTS.md, SOUL.md, IDENTITY.md, USER.md, TOOLS.md, HEARTBEAT.md,
// MEMORY.md, BOOTSTRAP.md), read and written by agents.files.* and assembled into the
// system prompt.
//
// Safety: only those names are accepted (exact, case-sensitive; no '/', no "..", no NUL);
// the resolved path (symlinks followed, via realpath of the workspace and of the file)
// must stay inside the workspace, so a symlink pointing outside is refused for both
// reading and writing; content is at most kMaxFileBytes. Writes are atomic (temp file +
// fsync + rename) and create the workspace directory (0700) when missing.
//
// Blocking file I/O: call from a worker thread, not the loop. No shared state.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace simpleclaw::agents {

inline constexpr std::size_t kMaxFileBytes = 2 * 1024 * 1024;

// The allowed names, in system-prompt order.
const std::vector<std::string_view>& workspace_file_names();
bool is_workspace_file_name(std::string_view name);

struct WorkspaceFile {
  std::string name;
  std::string path;          // absolute path (workspace + "/" + name)
  bool missing = true;
  std::int64_t size = 0;
  std::int64_t updated_at_ms = 0;
  std::string content;       // only filled by read_workspace_file
  Json to_json(bool with_content) const;  // {name, path, missing, size?, updatedAtMs?, content?}
};

// Every allowed file, in order, with its metadata (missing=true when absent).
Result<std::vector<WorkspaceFile>> list_workspace_files(const std::string& workspace);
// One file with content. A missing file is not an error: missing=true, content "".
Result<WorkspaceFile> read_workspace_file(const std::string& workspace, std::string_view name);
// Writes one file; returns its new metadata (without content).
Result<WorkspaceFile> write_workspace_file(const std::string& workspace, std::string_view name,
                                           std::string_view content);

// The system prompt: a fixed header naming the agent, then each present, non-empty
// file in workspace_file_names() order as "## <name>\n\n<content>\n", skipping files
// that cannot be read safely (the error is logged, never fatal). Total capped at
// max_bytes (later files truncated with a marker).
std::string assemble_system_prompt(const std::string& workspace, std::string_view agent_name,
                                   std::size_t max_bytes = 256 * 1024);

}  // namespace simpleclaw::agents
