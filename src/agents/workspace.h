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
// Paths: WorkspaceFile::path is the workspace as given (made absolute, not resolved) + "/" +
// name, so a symlinked workspace keeps its configured spelling. A workspace that does not
// exist yet reads as every file missing. A symlink inside the workspace pointing to a
// file inside it is followed (reads and writes go to its target); a broken symlink, a
// directory or a special file under an allowed name is refused. list_workspace_files
// never fails because of one unsafe file: it logs a warning and reports it missing.
// Errors: a refused name or file is kInvalidArgument; a failing disk (read, write, stat) is
// kIo.
//
// Blocking file I/O: call from a worker thread, not the loop. No shared state.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::agents {

inline constexpr std::size_t kMaxFileBytes = 2 * 1024 * 1024;

// The allowed names, in system-prompt order.
const std::vector<std::string_view>& workspace_file_names();
bool is_workspace_file_name(std::string_view name);

struct WorkspaceFile {
  std::string name;
  std::string path;  // absolute path (workspace + "/" + name)
  bool missing = true;
  std::int64_t size = 0;
  std::int64_t updated_at_ms = 0;
  std::string content;  // only filled by read_workspace_file
};

// Every allowed file, in order, with its metadata (missing=true when absent).
Result<std::vector<WorkspaceFile>> list_workspace_files(const std::string& workspace);
// One file with content. A missing file is not an error: missing=true, content "".
Result<WorkspaceFile> read_workspace_file(const std::string& workspace, std::string_view name);
// Writes one file; returns its new metadata (without content).
Result<WorkspaceFile> write_workspace_file(const std::string& workspace, std::string_view name,
                                           std::string_view content);

// agents.delete {deleteFiles:true}: removes the allowed files (a symlink is removed
// itself, never its target), then the workspace directory if that left it empty; other
// files are never touched. Returns the names removed. A missing workspace removes nothing.
Result<std::vector<std::string>> remove_workspace_files(const std::string& workspace);

// The system prompt: a fixed header naming the agent ("You are <name>, an assistant
// running in simpleclaw.\n"), then each present file whose content is not blank, in
// workspace_file_names() order, as "\n## <name>\n\n<content>\n", skipping files that
// cannot be read safely (a warning naming the file is logged, never fatal). The result is
// at most max_bytes: the file that does not fit is cut (at a UTF-8 boundary) and followed
// by "\n[truncated]\n", later files are left out.
std::string assemble_system_prompt(const std::string& workspace, std::string_view agent_name,
                                   std::size_t max_bytes = 256 * 1024);

}  // namespace simpleclaw::agents
