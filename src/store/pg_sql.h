// The store's SQL on PostgreSQL: the store is written once in SQLite's dialect (kept to
// what both engines run), and these two pure functions carry it over.
//
//   translate  `?N` placeholders -> `$k`, numbered by first appearance: PostgreSQL must
//              infer every parameter's type, so the gaps SQLite allows (a statement that
//              uses ?1 and ?6 only) are closed up, and bind(N) goes through `slot`.
//   pg_ddl     the schema's column types: INTEGER -> BIGINT (milliseconds overflow
//              PostgreSQL's 32-bit INTEGER), INTEGER PRIMARY KEY AUTOINCREMENT -> an
//              identity column, BLOB -> BYTEA, TEXT -> TEXT COLLATE "C" (byte order, as
//              SQLite compares, whatever the database's locale).
// Quoted strings, quoted identifiers and comments are copied unchanged.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace simpleclaw::store {

struct PgStatement {
  std::string text;       // with $1..$n
  std::vector<int> slot;  // slot[N] = k for ?N (index 0 unused); 0 = ?N not used
  int params = 0;         // n
};

PgStatement translate(std::string_view sql);
std::string pg_ddl(std::string_view sql);

}  // namespace simpleclaw::store
