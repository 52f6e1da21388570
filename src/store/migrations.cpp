#include "store/migrations.h"

#include <string>

#include "store/pg_sql.h"

namespace simpleclaw::store {

Result<int> migrate(Db& db, std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1)
      return Error::internal("migration list is not 1..N in order (bug)", "STORE_ERROR");
  }
  const auto latest = static_cast<std::int64_t>(migrations.size());
  // One migration per transaction, each under the schema lock with the version read
  // again inside it: gateways starting together against one PostgreSQL database apply
  // each migration once, and the others find it done.
  for (;;) {
    Transaction tx(db);
    if (!tx.began().ok()) return tx.began().error();
    if (auto s = db.lock_schema(); !s.ok()) return s.error();
    auto current = db.schema_version();
    if (!current.ok()) return current.error();
    if (*current > latest)
      return Error::make(ErrorCode::kInternal,
                         "database " + db.path() + " has schema version " +
                             std::to_string(*current) + ", newer than this simpleclaw supports (" +
                             std::to_string(latest) + "); upgrade simpleclaw",
                         "STORE_ERROR");
    if (*current == latest) {
      if (auto s = tx.commit(); !s.ok()) return s.error();
      return static_cast<int>(latest);
    }
    const std::int64_t v = *current + 1;
    const Migration& m = migrations[static_cast<std::size_t>(v - 1)];
    const std::string sql = db.engine() == Engine::kPostgres ? pg_ddl(m.sql) : std::string(m.sql);
    if (auto s = db.exec(sql); !s.ok())
      return Error::make(s.error().code,
                         "migration " + std::to_string(v) + " failed: " + s.error().message,
                         "STORE_ERROR");
    if (auto s = db.set_schema_version(v); !s.ok()) return s.error();
    if (auto s = tx.commit(); !s.ok()) return s.error();
  }
}

}  // namespace simpleclaw::store
