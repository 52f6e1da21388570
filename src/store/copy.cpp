#include "store/copy.h"

#include <vector>

namespace simpleclaw::store {

Result<std::int64_t> count_rows(Db& db, const std::string& table) {
  auto st = db.prepare("SELECT count(*) FROM " + table);  // a table name from TableSpec
  if (!st.ok()) return st.error();
  auto row = st->step();
  if (!row.ok()) return row.error();
  return *row ? st->int64(0) : 0;
}

namespace {

// The target's largest key, as text ("" when it holds no row yet).
Result<std::string> largest_key(Db& to, const TableSpec& t) {
  auto st = to.prepare(std::string("SELECT max(") + t.key + ") FROM " + t.table);
  if (!st.ok()) return st.error();
  auto row = st->step();
  if (!row.ok()) return row.error();
  return *row && !st->is_null(0) ? st->text(0) : std::string();
}

}  // namespace

Status copy_table(Db& from, Db& to, const TableSpec& t, int batch_rows,
                  const std::function<void(const CopyProgress&)>& progress) {
  auto total = count_rows(from, t.table);
  if (!total.ok()) return total.error();
  auto have = count_rows(to, t.table);
  if (!have.ok()) return have.error();
  CopyProgress p{t.table, *have, *total};
  const std::string key = t.key;
  const std::string order = " ORDER BY " + key + " LIMIT " + std::to_string(batch_rows);
  std::string after;  // the last key copied: the next batch starts past it
  if (auto k = largest_key(to, t); !k.ok())
    return k.error();
  else
    after = *k;
  std::string insert;  // made from the first batch's column names
  for (;;) {
    auto sel = after.empty() ? from.prepare(std::string("SELECT * FROM ") + t.table + order)
                             : from.prepare(std::string("SELECT * FROM ") + t.table + " WHERE " +
                                            key + " > ?1" + order);
    if (!sel.ok()) return sel.error();
    if (!after.empty()) {
      if (t.integer_key)
        sel->bind(1, static_cast<std::int64_t>(std::stoll(after)));
      else
        sel->bind(1, after);
    }
    std::vector<std::vector<std::optional<std::string>>> rows;
    int key_col = -1;
    for (;;) {
      auto r = sel->step();
      if (!r.ok()) return r.error();
      if (!*r) break;
      const int n = sel->columns();
      if (insert.empty()) {
        std::string cols, marks;
        for (int c = 0; c < n; ++c) {
          cols += (c ? ", " : "") + sel->column_name(c);
          marks += (c ? ", ?" : "?") + std::to_string(c + 1);
        }
        insert = std::string("INSERT INTO ") + t.table + " (" + cols + ") VALUES (" + marks +
                 ") ON CONFLICT DO NOTHING";
      }
      if (key_col < 0)
        for (int c = 0; c < n; ++c)
          if (sel->column_name(c) == key) key_col = c;
      std::vector<std::optional<std::string>> row(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c)
        if (!sel->is_null(c)) row[static_cast<std::size_t>(c)] = sel->text(c);
      rows.push_back(std::move(row));
    }
    sel->reset();
    if (rows.empty()) break;
    if (key_col < 0) return Error::internal(std::string("no column ") + key + " in " + t.table);
    Transaction tx(to);
    if (!tx.began().ok()) return tx.began().error();
    auto ins = to.prepare(insert);
    if (!ins.ok()) return ins.error();
    for (const auto& row : rows) {
      for (std::size_t c = 0; c < row.size(); ++c) {
        if (row[c])
          ins->bind(static_cast<int>(c + 1), *row[c]);
        else
          ins->bind_null(static_cast<int>(c + 1));
      }
      if (auto s = ins->run(); !s.ok()) return s.error();
      ins->reset();
    }
    ins = Stmt();
    if (auto s = tx.commit(); !s.ok()) return s.error();
    after = *rows.back()[static_cast<std::size_t>(key_col)];
    auto now = count_rows(to, t.table);
    if (!now.ok()) return now.error();
    p.copied = *now;
    if (progress) progress(p);
  }
  // Rows inserted with their ids leave PostgreSQL's identity sequence behind them.
  if (t.integer_key && to.engine() == Engine::kPostgres) {
    auto s =
        to.exec(std::string("SELECT setval(pg_get_serial_sequence('") + t.table + "', '" + key +
                "'), coalesce((SELECT max(" + key + ") FROM " + t.table + "), 0) + 1, false)");
    if (!s.ok()) return s;
  }
  if (progress && p.copied == *have) progress(p);  // nothing was left to copy
  return Ok{};
}

}  // namespace simpleclaw::store
