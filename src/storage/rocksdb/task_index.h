// The task-list indexes on RocksDB (keys.h `task_index`, model/task_list.h): a task's
// entries as WriteBatch operations, range reads in either direction, and the one-time fill
// of a schema-1 directory. Used by rocksdb_store.cc only; RocksDB's headers stay in the .cc.
//
// Cost per task: one key (app_key ‖ 0x00 ‖ status ‖ runtime_ms ‖ id, ~34 bytes with a 16-byte
// app key, empty value) written with its create; a change of status deletes it and puts
// another; a failed task has a second key (kind 0x10, by failure time). A retry changes
// neither. Reads: one seek per range, then one step per entry.
//
// Thread-safety: functions of their arguments; the DB is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "model/task_list.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace tock {

// Adds the puts (put = true) or deletes of the entry's keys to `batch`.
void AddTaskIndexWrites(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf,
                        const TaskIndexEntry& entry, bool put);

// Calls fn(key, value) for the keys of `cf` in [lower, upper), ascending or descending, and
// strictly after `after` in that order when it is not empty; stops when fn returns false.
Status ScanKeyRange(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& lower,
                    const std::string& upper, bool descending, const std::string& after,
                    const std::function<bool(std::string_view, std::string_view)>& fn);

// Store::ScanTaskIndex over the task_index column family.
Status ScanTaskIndexRange(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                          const TaskIndexRange& range,
                          const std::function<bool(int64_t, uint64_t)>& fn);

// Store::ScanTaskNos over the task_no column family.
Status ScanTaskNoPrefix(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                        std::string_view app_key, std::string_view prefix,
                        std::string_view after, bool descending,
                        const std::function<bool(std::string_view, uint64_t)>& fn);

// Writes the index entries of every task in `tasks` into `index` (schema 1 -> 2), in
// unsynced batches of a few thousand tasks, so memory stays bounded; the caller raises the
// schema version with a synced write afterwards. Returns the number of tasks indexed.
Result<uint64_t> FillTaskIndex(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* tasks,
                               rocksdb::ColumnFamilyHandle* index);

}  // namespace tock
