// The task-list indexes (issue 13) as plain values: what each index keeps per task, one
// range of an index as a store reads it, and a listing's filter and page. No encodings
// (storage/rocksdb/keys.h has the RocksDB store's keys; the PostgreSQL store indexes the
// tasks table's own columns, storage/postgres/schema.cc migration 2).
//
// Two indexes, both per application:
//   by due     (app_key, status, runtime_ms, id): every stored task. runtime_ms is the due
//              time asked for, which never changes, so a retry does not move the entry;
//              only a change of status does.
//   failed at  (app_key, finished_ms, id): failed tasks only, by the time they failed.
// Plus the taskNo index the store has always kept, (app_key, task_no) -> id, read by prefix.
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "model/task.h"

namespace tock {

// The fields of a task the indexes are keyed on. A caller that changes any of them moves
// the task's entries: DeleteTaskIndex(old) and PutTaskIndex(new) in the same batch.
struct TaskIndexEntry {
  std::string app_key;
  uint64_t id = 0;
  TaskStatus status = TaskStatus::kWaiting;
  int64_t runtime_ms = 0;
  int64_t finished_ms = 0;  // read for failed tasks only

  friend bool operator==(const TaskIndexEntry&, const TaskIndexEntry&) = default;
};

inline TaskIndexEntry IndexEntryOf(const Task& t) {
  return TaskIndexEntry{t.app_key, t.id, t.status, t.runtime_ms, t.finished_ms};
}

// A position in an index: the (ms, id) of an entry. Ids are unique, so a position names one
// entry, and "after it" is well defined in either direction.
struct IndexPos {
  int64_t ms = 0;
  uint64_t id = 0;
  friend bool operator==(const IndexPos&, const IndexPos&) = default;
};

// One range of one application's entries in an index, in (ms, id) order or its reverse.
struct TaskIndexRange {
  enum class Kind : uint8_t {
    kByDue,     // entries of `status` (stored states only), ms = runtime_ms
    kFailedAt,  // failed tasks, ms = finished_ms
  };
  Kind kind = Kind::kByDue;
  std::string app_key;
  TaskStatus status = TaskStatus::kWaiting;  // kByDue only; never kRunning
  int64_t from_ms = std::numeric_limits<int64_t>::min();  // from_ms <= ms < to_ms
  int64_t to_ms = std::numeric_limits<int64_t>::max();
  bool descending = true;
  std::optional<IndexPos> after;  // start strictly after this entry (in scan order)
  // How many entries the caller expects to take: a backend may read this many ahead.
  size_t read_ahead = 256;
};

// What GET /admin/tasks and /admin/failed ask for.
struct TaskListFilter {
  enum class State : uint8_t { kAny, kWaiting, kRunning, kSuccess, kCancelled, kFailed };
  // The applications to list: one, or (the API's "every application") each registered one;
  // their ranges are merged, so a page costs a seek per application and state.
  std::vector<std::string> app_keys;
  State state = State::kAny;
  std::string task_no_prefix;  // REQUIRES exactly one application when not empty
  int64_t from_ms = std::numeric_limits<int64_t>::min();  // due (tasks) or failure (failed)
  int64_t to_ms = std::numeric_limits<int64_t>::max();    //   time: from_ms <= t < to_ms
  bool descending = true;  // latest first
  std::string cursor;      // "" for the first page; else a page's next_cursor
  size_t limit = 50;
};

// One listed task. running: an attempt is in flight on this node now.
struct ListedTask {
  Task task;
  bool running = false;
  std::string last_error;  // failed listings: the last attempt's reason in words
};

struct TaskListPage {
  std::vector<ListedTask> tasks;
  std::string next_cursor;  // "" when there is nothing after this page
  // Index entries read to make this page (the cost, for the log and the bench).
  size_t examined = 0;
};

}  // namespace tock
