// Versioned, forward-only schema migrations. The schema version (SQLite: PRAGMA user_version;
// PostgreSQL: the simpleclaw_schema table) is the
// number of migrations applied; each pending one runs in its own transaction together
// with the version bump, so a crash or a failing step leaves the previous version intact.
// A database newer than this binary is refused rather than misread.
#pragma once
#include <span>
#include <string_view>

#include "store/db.h"

namespace simpleclaw::store {

struct Migration {
  int version;           // 1, 2, 3 ... in order, no gaps
  std::string_view sql;  // one or more statements
};

// Applies every migration with version > user_version. Returns the final version.
Result<int> migrate(Db& db, std::span<const Migration> migrations);

}  // namespace simpleclaw::store
