// Small filesystem helpers with Result errors: whole-file read, atomic write
// (temp file + fsync + rename + directory fsync), private directories and files.
// Blocking; callers on the loop thread use them only for small files at start-up or
// for config writes (bounded, rare).
#pragma once
#include <string>
#include <string_view>

#include "base/result.h"

namespace simpleclaw {

Result<std::string> read_file(const std::string& path);
// Writes `data` to `path` atomically with the given mode; the file is either the old
// bytes or the new bytes, never a mix, even on power loss.
Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0600);
// mkdir -p with the given mode for every directory it creates.
Status make_dirs(const std::string& path, unsigned mode = 0700);
std::string home_dir();

}  // namespace simpleclaw
