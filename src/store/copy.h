// Copying tables between two stores, whichever engines they are (`simpleclaw store
// migrate --to postgres`): resumable and idempotent, in key order, a batch of rows per
// transaction on the target.
//
// A copy stopped at any point (Ctrl-C, a lost connection) leaves the target holding a
// prefix of each table in key order, every batch whole; running it again starts after
// the target's largest key, and a row the target already has is skipped (ON CONFLICT DO
// NOTHING), never doubled. Text keys compare byte-wise on both engines (SQLite's BINARY,
// PostgreSQL's COLLATE "C" from store/pg_sql.h), so "after the largest key" means the
// same on both.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "store/db.h"

namespace simpleclaw::store {

struct TableSpec {
  const char* table;
  const char* key;   // the primary key column
  bool integer_key;  // an identity column on PostgreSQL (its sequence is moved on)
};

struct CopyProgress {
  std::string table;
  std::int64_t copied = 0;  // rows the target holds now
  std::int64_t total = 0;   // rows the source holds
};

// Copies the rows of `t` that `to` lacks; `progress` after each batch.
Status copy_table(Db& from, Db& to, const TableSpec& t, int batch_rows,
                  const std::function<void(const CopyProgress&)>& progress);

Result<std::int64_t> count_rows(Db& db, const std::string& table);

}  // namespace simpleclaw::store
