// Store: tock's only durable state, one RocksDB database in the data directory with one
// column family per kind of record (layout in storage/rocksdb/keys.h).
//
// Storage is the truth; the timing wheel only indexes what is due soon. Callers persist
// first, then schedule. Writes go through a Batch so that a task record, its due-index
// entry and its taskNo entry change together or not at all.
//
// Durability: Write(batch, /*sync=*/true) returns only after the write-ahead log is synced.
// Concurrent synced writers are group-committed by RocksDB's write queue, so many requests
// share one fsync.
//
// Failure: after any write fails, the store keeps refusing writes (Unavailable) until
// restart, and healthy() turns false (as leveldb's bg_error_), because a half-applied view
// of what was acknowledged is worse than a loud stop. Except disk full: writes are refused
// (Unavailable, "disk full: ...") only until space is freed; the store resumes by itself,
// without a restart, on a later Write() or healthy() (store.cc explains how).
//
// Thread-safety: every method may be called from any thread. RocksDB headers stay in
// store.cc; nothing here pulls them in.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/app.h"
#include "model/schedule.h"
#include "model/task.h"

namespace tock {

struct StoreOptions {
  size_t block_cache_bytes = 64u << 20;
  size_t write_buffer_bytes = 32u << 20;    // one memtable of one column family
  size_t memtable_budget_bytes = 64u << 20; // all memtables together (a flush beyond it)
  int max_open_files = 1000;                 // RocksDB's table files kept open at most
  // The write-ahead log kept at most before the oldest memtables are flushed: what a
  // restart after kill -9 must replay (~80 MB/s here), so it bounds recovery time.
  size_t max_wal_bytes = 8u << 20;
};

class Store {
 public:
  class Impl;

  // A set of changes applied atomically by Store::Write. Not thread-safe; one owner.
  class Batch {
   public:
    explicit Batch(Store& store);
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    void PutApp(const App& app);
    void PutTask(const Task& task);
    void DeleteTask(uint64_t id);
    void PutTaskNo(std::string_view app_key, std::string_view task_no, uint64_t id);
    void DeleteTaskNo(std::string_view app_key, std::string_view task_no);
    void PutDue(int64_t due_ms, uint64_t id);
    void DeleteDue(int64_t due_ms, uint64_t id);
    void PutAttempt(const Attempt& attempt);
    void DeleteAttempts(uint64_t task_id);  // all of the task's attempts
    void PutRetire(int64_t expire_ms, uint64_t id);
    void DeleteRetire(int64_t expire_ms, uint64_t id);
    void PutNonce(std::string_view app_key, std::string_view nonce, int64_t ts_s);
    void DeleteNonce(std::string_view app_key, std::string_view nonce);
    void PutSchedule(const Schedule& schedule);
    void DeleteSchedule(std::string_view schedule_id);
    void PutScheduleIndex(std::string_view app_key, int64_t created_ms,
                          std::string_view schedule_id);
    void DeleteScheduleIndex(std::string_view app_key, int64_t created_ms,
                             std::string_view schedule_id);
    void PutScheduleTimer(uint64_t timer_id, std::string_view schedule_id);
    void DeleteScheduleTimer(uint64_t timer_id);
    void PutMsgId(std::string_view schedule_id, int64_t fire_ms, uint64_t task_id);
    void DeleteMsgIds(std::string_view schedule_id);  // all of the schedule's msg-id entries
    size_t Count() const;

   private:
    friend class Store;
    struct Rep;
    std::unique_ptr<Rep> rep_;
  };

  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const StoreOptions& opts);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies the batch atomically; with sync, returns after the WAL is on disk.
  Status Write(Batch& batch, bool sync);

  // Reserves n consecutive task ids and returns the first. Ids are never reused, even
  // across crashes: a block of ids is reserved on disk (synced) before any is handed out.
  Result<uint64_t> AllocateTaskIds(uint64_t n);

  Result<Task> GetTask(uint64_t id);                       // NotFound if absent
  Result<std::optional<uint64_t>> FindTaskNo(std::string_view app_key, std::string_view task_no);
  Result<std::vector<Attempt>> ListAttempts(uint64_t task_id);
  Status ForEachApp(const std::function<void(App&&)>& fn);

  // Calls fn(ms, id) for each index entry with from_ms <= ms < to_ms, in (ms, id) order, and
  // stops early when fn returns false.
  Status ScanDue(int64_t from_ms, int64_t to_ms,
                 const std::function<bool(int64_t, uint64_t)>& fn);
  Status ScanRetire(int64_t from_ms, int64_t to_ms,
                    const std::function<bool(int64_t, uint64_t)>& fn);
  // Calls fn(app_key, nonce, ts_s) for every remembered nonce.
  Status ForEachNonce(
      const std::function<void(std::string_view, std::string_view, int64_t)>& fn);

  // Schedules (issue: schedules).
  Result<Schedule> GetSchedule(std::string_view schedule_id);  // NotFound if absent
  Result<std::optional<std::string>> FindScheduleTimer(uint64_t timer_id);
  Result<std::optional<uint64_t>> FindMsgId(std::string_view schedule_id, int64_t fire_ms);
  // The message (task) ids of the schedule, in fire-time order.
  Result<std::vector<uint64_t>> ListMsgIds(std::string_view schedule_id);
  // Calls fn(created_ms, schedule_id) for the application's schedule_index entries in
  // creation order; stops early when fn returns false.
  Status ScanScheduleIndex(std::string_view app_key,
                           const std::function<bool(int64_t, std::string_view)>& fn);
  // Calls fn for each schedule record with id >= from_id, in id order; stops early when fn
  // returns false.
  Status ScanSchedules(std::string_view from_id, const std::function<bool(Schedule&&)>& fn);

  // Counts of index entries (approximate; RocksDB's estimate) for metrics.
  uint64_t EstimateDueEntries();
  uint64_t EstimateTasks();

  // False while writes are refused after a failure; the message says why. While the disk is
  // full this also tries (at most every 500 ms) to resume, so polling it heals the store.
  bool healthy() const;
  std::string health_message() const;

  // An online, consistent copy of the database (RocksDB Checkpoint) into a new directory.
  Status Checkpoint(const std::string& dir);

  // A RocksDB property summed over column families ("rocksdb.total-sst-files-size"...).
  uint64_t IntProperty(std::string_view name);

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tock
