#include "store/migrations.h"

#include <string>

namespace simpleclaw::store {

Result<int> migrate(Db& db, std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1)
      return Error::internal("migration list is not 1..N in order (bug)", "STORE_ERROR");
  }
  auto current = db.user_version();
  if (!current.ok()) return current.error();
  const auto latest = static_cast<std::int64_t>(migrations.size());
  if (*current > latest)
    return Error::make(ErrorCode::kInternal,
                       "database " + db.path() + " has schema version " + std::to_string(*current) +
                           ", newer than this simpleclaw supports (" + std::to_string(latest) +
                           "); upgrade simpleclaw",
                       "STORE_ERROR");
  for (std::int64_t v = *current + 1; v <= latest; ++v) {
    const Migration& m = migrations[static_cast<std::size_t>(v - 1)];
    Transaction tx(db);
    if (!tx.began().ok()) return tx.began().error();
    if (auto s = db.exec(m.sql); !s.ok())
      return Error::make(s.error().code,
                         "migration " + std::to_string(v) + " failed: " + s.error().message,
                         "STORE_ERROR");
    if (auto s = db.set_user_version(v); !s.ok()) return s.error();
    if (auto s = tx.commit(); !s.ok()) return s.error();
  }
  return static_cast<int>(latest);
}

}  // namespace simpleclaw::store
