#include "storage/postgres/pg_batch.h"

#include <charconv>

#include "storage/postgres/pg_connection.h"

namespace tock::pg {
namespace {

// A key's identity for deduplication: each cell's text, NUL-separated with a type tag.
void AppendKeyPart(std::string& out, const Cell& c) {
  switch (c.index()) {
    case 0: out += 'i'; out += std::to_string(std::get<int64_t>(c)); break;
    case 1: out += 'd'; out += std::to_string(std::get<double>(c)); break;
    case 2: out += std::get<bool>(c) ? "bt" : "bf"; break;
    case 3: out += 's'; out += std::get<std::string>(c); break;
    default: out += 'b'; out += std::get<ByteString>(c).bytes; break;
  }
  out += '\0';
}

std::string KeyOf(const std::vector<Cell>& cells, size_t n) {
  std::string key;
  for (size_t i = 0; i < n && i < cells.size(); ++i) AppendKeyPart(key, cells[i]);
  return key;
}

void AddToArray(ArrayLiteral& a, const Cell& c) {
  switch (c.index()) {
    case 0: a.Int(std::get<int64_t>(c)); break;
    case 1: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof(buf), std::get<double>(c));
      a.Text(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
      break;
    }
    case 2: a.Text(std::get<bool>(c) ? "t" : "f"); break;
    case 3: a.Text(std::get<std::string>(c)); break;
    default: a.Bytes(std::get<ByteString>(c).bytes); break;
  }
}

using Columns = std::vector<std::pair<const char*, const char*>>;

// "unnest($1::bigint[], $2::text[]) AS x(a, b)" for `cols`, parameters from `first`.
std::string Unnest(const Columns& cols, int first) {
  std::string s = "unnest(";
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i > 0) s += ", ";
    s += "$" + std::to_string(first + static_cast<int>(i)) + "::" + cols[i].second + "[]";
  }
  s += ") AS x(";
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i > 0) s += ", ";
    s += cols[i].first;
  }
  return s + ")";
}

// `sql` with one array parameter per column, built from `rows`.
Connection::Statement WithArrays(std::string sql, size_t columns,
                                 const std::vector<const std::vector<Cell>*>& rows) {
  std::vector<ArrayLiteral> arrays(columns);
  for (const auto* row : rows) {
    for (size_t c = 0; c < columns; ++c) AddToArray(arrays[c], (*row)[c]);
  }
  Connection::Statement st{std::move(sql), Params()};
  for (const ArrayLiteral& a : arrays) st.params.Text(a.Finish());
  return st;
}

}  // namespace

PgWrites::Pending& PgWrites::TableOf(const TableShape& table) {
  for (Pending& p : tables_) {
    if (p.shape == &table) return p;
  }
  tables_.emplace_back();
  tables_.back().shape = &table;
  return tables_.back();
}

void PgWrites::Put(const TableShape& table, std::vector<Cell> row) {
  QueuePut(table, std::move(row), /*fresh=*/false);
}

void PgWrites::Insert(const TableShape& table, std::vector<Cell> row) {
  QueuePut(table, std::move(row), /*fresh=*/true);
}

void PgWrites::QueuePut(const TableShape& table, std::vector<Cell> row, bool fresh) {
  Pending& p = TableOf(table);
  std::string key = KeyOf(row, table.key.size());  // before the row is moved from
  p.ops[key] = Op{true, fresh, std::move(row)};
  ++count_;
}

void PgWrites::Delete(const TableShape& table, std::vector<Cell> key) {
  Pending& p = TableOf(table);
  std::string id = KeyOf(key, table.key.size());  // before the key is moved from
  p.ops[id] = Op{false, false, std::move(key)};
  ++count_;
}

void PgWrites::DeleteAllOf(const TableShape& table, Cell owner) {
  Pending& p = TableOf(table);
  std::string prefix;
  AppendKeyPart(prefix, owner);
  // What was queued for this owner before is superseded, as in a WriteBatch.
  for (auto it = p.ops.lower_bound(prefix);
       it != p.ops.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    it = p.ops.erase(it);
  }
  if (p.cleared_keys.insert(prefix).second) p.cleared.push_back(std::move(owner));
  ++count_;
}

PgWrites::Plan PgWrites::Statements() const {
  Plan plan;
  for (const Pending& p : tables_) {
    const TableShape& t = *p.shape;
    const std::string table = t.name;
    if (!p.cleared.empty()) {
      Columns owner{t.key[0]};
      std::vector<std::vector<Cell>> owners;
      for (const Cell& c : p.cleared) owners.push_back({c});
      std::vector<const std::vector<Cell>*> rows;
      for (const auto& o : owners) rows.push_back(&o);
      std::string sql = "DELETE FROM " + table + " t USING " + Unnest(owner, 1) + " WHERE t." +
                        t.key[0].first + " = x." + t.key[0].first;
      plan.statements.push_back(WithArrays(std::move(sql), 1, rows));
    }
    std::vector<const std::vector<Cell>*> deletes, puts, fresh;
    for (const auto& [key, op] : p.ops) {
      (!op.put ? deletes : op.fresh ? fresh : puts).push_back(&op.cells);
    }
    if (!deletes.empty()) {
      std::string sql = "DELETE FROM " + table + " t USING " + Unnest(t.key, 1) + " WHERE ";
      for (size_t i = 0; i < t.key.size(); ++i) {
        if (i > 0) sql += " AND ";
        sql += std::string("t.") + t.key[i].first + " = x." + t.key[i].first;
      }
      plan.statements.push_back(WithArrays(std::move(sql), t.key.size(), deletes));
    }
    if (fresh.empty() && puts.empty()) continue;  // e.g. a delivery only deletes its due row
    Columns all = t.key;
    all.insert(all.end(), t.value.begin(), t.value.end());
    std::string cols;
    for (size_t i = 0; i < all.size(); ++i) {
      if (i > 0) cols += ", ";
      cols += all[i].first;
    }
    const std::string insert =
        "INSERT INTO " + table + " (" + cols + ") SELECT " + cols + " FROM " + Unnest(all, 1);
    if (!fresh.empty()) plan.statements.push_back(WithArrays(insert, all.size(), fresh));
    if (!puts.empty()) {
      std::string sql = insert;
      if (!t.insert_only) {
        sql += " ON CONFLICT (";
        for (size_t i = 0; i < t.key.size(); ++i) {
          if (i > 0) sql += ", ";
          sql += t.key[i].first;
        }
        if (t.value.empty()) {
          sql += ") DO NOTHING";
        } else {
          sql += ") DO UPDATE SET ";
          for (size_t i = 0; i < t.value.size(); ++i) {
            if (i > 0) sql += ", ";
            sql += std::string(t.value[i].first) + " = EXCLUDED." + t.value[i].first;
          }
          if (t.on_update != nullptr) sql += std::string(", ") + t.on_update;
          if (t.update_guard != nullptr) sql += std::string(" WHERE ") + t.update_guard;
        }
      }
      if (t.update_guard != nullptr) {
        plan.guards.push_back({plan.statements.size(), static_cast<int64_t>(puts.size()), t.name});
      }
      plan.statements.push_back(WithArrays(std::move(sql), all.size(), puts));
    }
  }
  return plan;
}

Status PgWrites::CheckGuards(const Plan& plan, const std::vector<Rows>& results,
                             size_t first) {
  for (const Plan::Guard& g : plan.guards) {
    const int64_t affected = results.at(first + g.statement).affected();
    if (affected != g.rows) {
      return Status::Conflict(std::to_string(g.rows - affected) + " row(s) of " + g.table +
                              " were changed by another node since they were read");
    }
  }
  return Status::Ok();
}

}  // namespace tock::pg
