// PgWrites: the changes of one store batch, kept per table and turned into a handful of SQL
// statements, so a group commit of thousands of tasks is a few round trips.
//
// Semantics match RocksDB's WriteBatch, which the rest of tock is written against: within a
// batch the last change to a key wins (a Delete then a Put of the same due entry leaves it
// there). So each table keeps one pending operation per key, and deletes and upserts touch
// disjoint keys and may run in any order. The two range deletes (all attempts of a task, all
// msg-ids of a schedule) run first and drop the puts queued before them for the same owner.
//
// Except: a msg-id, a nonce and a taskNo are *inserted*, never overwritten. A second node
// firing the same schedule at the same time, a replayed nonce reaching another node, or two
// nodes creating one taskNo at once then fail the whole batch with Conflict (unique
// violation) instead of doubling a message, a request or a task.
//
// Thread-safety: none; one owner, like the batch it belongs to.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "storage/postgres/pg_connection.h"

namespace tock::pg {

// One column's value in a pending row.
struct ByteString {
  std::string bytes;
};
using Cell = std::variant<int64_t, double, bool, std::string, ByteString>;

// A table's shape as the batch sees it: key columns, then value columns.
struct TableShape {
  const char* name;
  std::vector<std::pair<const char*, const char*>> key;      // (column, SQL type)
  std::vector<std::pair<const char*, const char*>> value;    // (column, SQL type)
  bool insert_only = false;  // plain INSERT: a second write of a key is a Conflict
  const char* on_update = nullptr;  // an extra "col = expr" when an upsert updates a row
  // When set, an upsert updates an existing row only where this holds ("tasks.revision =
  // EXCLUDED.revision - 1"); a put it holds back fails the whole batch with Conflict.
  const char* update_guard = nullptr;
};

class PgWrites {
 public:
  // Queues a row (key cells then value cells, in the shape's order).
  void Put(const TableShape& table, std::vector<Cell> row);
  // Queues a row whose key cannot be in the table yet (a task's first write, under an id the
  // store has just handed out): a plain INSERT, without an upsert's arbiter-index probe and
  // speculative insertion, which made an insert of new tasks rows ~1.4x dearer to
  // PostgreSQL. A key that is there after all fails the batch with Conflict.
  void Insert(const TableShape& table, std::vector<Cell> row);
  void Delete(const TableShape& table, std::vector<Cell> key);
  // Deletes every row of `table` whose first key column equals `owner`.
  void DeleteAllOf(const TableShape& table, Cell owner);

  size_t Count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // The statements that apply the batch, in order, for the caller to run inside one
  // transaction (in one pipeline: none depends on another's result), and the puts under an
  // update_guard, whose row counts CheckGuards() verifies before the caller commits.
  struct Plan {
    struct Guard {
      size_t statement;  // index into statements
      int64_t rows;      // the rows it must change: every put, or one was held back
      const char* table;
    };
    std::vector<Connection::Statement> statements;
    std::vector<Guard> guards;
  };
  Plan Statements() const;
  // Conflict if a guarded put was held back (another node changed the row since it was
  // read). results[first + i] is the result of plan.statements[i].
  static Status CheckGuards(const Plan& plan, const std::vector<Rows>& results, size_t first);

 private:
  struct Op {
    bool put = false;
    bool fresh = false;       // a put whose key cannot exist yet (Insert)
    std::vector<Cell> cells;  // the whole row for a put, the key for a delete
  };
  struct Pending {
    const TableShape* shape = nullptr;
    std::map<std::string, Op> ops;        // by key
    std::vector<Cell> cleared;            // DeleteAllOf owners, in order
    std::set<std::string> cleared_keys;
  };
  Pending& TableOf(const TableShape& table);
  void QueuePut(const TableShape& table, std::vector<Cell> row, bool fresh);
  std::vector<Pending> tables_;  // in first-touched order
  size_t count_ = 0;
};

}  // namespace tock::pg
