// Store: the interface to tock's durable state. Storage is the truth; the timing wheel only
// indexes what is due soon. Callers persist first, then schedule.
//
// A store keeps these collections (model/ has the types; each backend chooses its layout,
// storage/rocksdb/keys.h is the embedded one's):
//   apps            App by app_key
//   tasks           Task by id, plus a unique (app_key, task_no) -> id index, read by
//                   exact taskNo or by taskNo prefix
//   task lists      the task-list indexes of model/task_list.h (issue 13): per application,
//                   (status, runtime_ms, id) of every task and (finished_ms, id) of the
//                   failed ones
//   due             (due_ms, id) pairs: waiting tasks and schedule timers (model/timer_id.h),
//                   scanned in (due_ms, id) order
//   attempts        Attempt by (task_id, number), listed in number order
//   retire          (expire_ms, task_id) pairs: finished tasks, scanned in time order
//   nonces          (app_key, nonce) -> timestamps_s, to refuse replays
//   schedules       Schedule by id, plus an index (app_key, created_ms, schedule_id) of the
//                   unexpired ones, a timer_id -> schedule_id map, and the messages already
//                   made per fire: (schedule_id, fire_ms) -> task_id
// Indexes are not derived by the store: callers put and delete each entry themselves, in
// the same batch as the record they index, so a backend may keep them as rows, columns or
// keys as it likes.
//
// Writes: every change goes through a Batch (NewBatch), applied by Write() all or nothing,
// so a task record, its due entry and its taskNo entry change together.
//
// Durability: Write(batch, /*sync=*/true) returns only once the batch survives a crash of
// the process and of the machine (an fsync'ed log, a committed transaction). sync=false may
// lose the last writes on a crash, never apply part of one batch. Concurrent synced writers
// may share one sync (group commit); callers rely on that for throughput.
//
// Errors: reads return NotFound only where a method says so; a failure of the backend is
// Unavailable (it may pass: disk full, database unreachable) or Internal (corruption, a bug).
// After a write fails, a store refuses writes (Unavailable) until it is sure nothing
// acknowledged was lost (a restart, or the backend's own recovery), and healthy() is false
// meanwhile (leveldb's bg_error_): a half-applied view of what was acknowledged is worse than
// a loud stop.
//
// Scans call a callback per entry on the calling thread, in the order stated, and stop early
// when it returns false. The callback must not call back into the store's writes.
//
// Thread-safety: every Store method may be called from any thread at the same time. A Batch
// has one owner and is not thread-safe. The store outlives every batch it made.
//
// Backends: storage/rocksdb/ (the embedded default). storage/open_store.h picks one.
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
#include "model/task_list.h"

namespace tock {

// Figures for metrics, sampled at scrape time. Counts are estimates; an engine figure a
// backend does not have stays 0.
struct StoreStats {
  uint64_t due_entries = 0;               // entries in the due index
  uint64_t tasks = 0;                     // task records, any state
  uint64_t table_bytes = 0;               // the engine's files on disk (RocksDB's SST files)
  uint64_t memtable_bytes = 0;            // writes buffered in memory (RocksDB's memtables)
  uint64_t pending_compaction_bytes = 0;  // what the engine must still rewrite
  bool writes_stopped = false;            // the engine stalls writes (RocksDB write stop)
};

class Store {
 public:
  // A set of changes applied atomically by Store::Write. Puts replace what the key held;
  // deletes of absent entries are no-ops. Not thread-safe: one owner.
  class Batch {
   public:
    Batch() = default;
    virtual ~Batch() = default;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    virtual void PutApp(const App& app) = 0;
    virtual void PutTask(const Task& task) = 0;
    virtual void DeleteTask(uint64_t id) = 0;
    virtual void PutTaskNo(std::string_view app_key, std::string_view task_no, uint64_t id) = 0;
    virtual void DeleteTaskNo(std::string_view app_key, std::string_view task_no) = 0;
    // The task's entries in the task-list indexes (model/task_list.h): put with every new
    // task; when its status (or finished_ms while failed) changes, delete the old entry and
    // put the new one; delete it with the task. A backend that derives them from the task
    // record itself (PostgreSQL's indexes on the tasks table) may ignore these calls.
    virtual void PutTaskIndex(const TaskIndexEntry& entry) = 0;
    virtual void DeleteTaskIndex(const TaskIndexEntry& entry) = 0;
    virtual void PutDue(int64_t due_ms, uint64_t id) = 0;
    virtual void DeleteDue(int64_t due_ms, uint64_t id) = 0;
    // A new attempt: a task never records two under one number (a shared store refuses a
    // second write of one with Conflict).
    virtual void PutAttempt(const Attempt& attempt) = 0;
    virtual void DeleteAttempts(uint64_t task_id) = 0;  // all of the task's attempts
    virtual void PutRetire(int64_t expire_ms, uint64_t id) = 0;
    virtual void DeleteRetire(int64_t expire_ms, uint64_t id) = 0;
    virtual void PutNonce(std::string_view app_key, std::string_view nonce, int64_t ts_s) = 0;
    virtual void DeleteNonce(std::string_view app_key, std::string_view nonce) = 0;
    virtual void PutSchedule(const Schedule& schedule) = 0;
    virtual void DeleteSchedule(std::string_view schedule_id) = 0;
    virtual void PutScheduleIndex(std::string_view app_key, int64_t created_ms,
                                  std::string_view schedule_id) = 0;
    virtual void DeleteScheduleIndex(std::string_view app_key, int64_t created_ms,
                                     std::string_view schedule_id) = 0;
    virtual void PutScheduleTimer(uint64_t timer_id, std::string_view schedule_id) = 0;
    virtual void DeleteScheduleTimer(uint64_t timer_id) = 0;
    virtual void PutMsgId(std::string_view schedule_id, int64_t fire_ms, uint64_t task_id) = 0;
    virtual void DeleteMsgIds(std::string_view schedule_id) = 0;  // all of the schedule's
    // Changes added so far (0: writing it would do nothing).
    virtual size_t Count() const = 0;
  };

  Store() = default;
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- writes ----------------------------------------------------------------------------
  // An empty batch for this store. Costs one allocation.
  virtual std::unique_ptr<Batch> NewBatch() = 0;
  // Applies the batch atomically; with sync, returns once it is durable (see above).
  // Unavailable while writes are refused. Conflict, with nothing applied, when a store shared
  // by several nodes finds a PutTask based on a stale read (Task::revision) or a nonce or
  // msg-id another node inserted first. REQUIRES: batch came from this store's NewBatch().
  virtual Status Write(Batch& batch, bool sync) = 0;
  // Reserves n consecutive task ids and returns the first. Ids are never reused, even
  // across crashes (the reservation is durable before any id is handed out); gaps are fine.
  virtual Result<uint64_t> AllocateTaskIds(uint64_t n) = 0;

  // --- tasks -----------------------------------------------------------------------------
  virtual Result<Task> GetTask(uint64_t id) = 0;  // NotFound if absent
  // The id of the application's task with this taskNo, or nullopt.
  virtual Result<std::optional<uint64_t>> FindTaskNo(std::string_view app_key,
                                                     std::string_view task_no) = 0;
  // The tasks with these ids that exist, in the order given (absent ids are left out).
  // One round trip for all of them where the backend can.
  virtual Result<std::vector<Task>> GetTasks(const std::vector<uint64_t>& ids) = 0;
  // Calls fn(ms, id) for the entries of one application's task-list index range, in the
  // range's order (model/task_list.h TaskIndexRange). Cost: one index seek, then one step
  // per entry.
  virtual Status ScanTaskIndex(const TaskIndexRange& range,
                               const std::function<bool(int64_t, uint64_t)>& fn) = 0;
  // Calls fn(task_no, id) for the application's taskNos that start with `prefix`, in
  // bytewise order (or its reverse), strictly after `after` when it is not empty.
  virtual Status ScanTaskNos(std::string_view app_key, std::string_view prefix,
                             std::string_view after, bool descending,
                             const std::function<bool(std::string_view, uint64_t)>& fn) = 0;
  // The task's attempts in number order (empty if none).
  virtual Result<std::vector<Attempt>> ListAttempts(uint64_t task_id) = 0;
  // Calls fn(ms, id) for each due entry with from_ms <= ms < to_ms, in (ms, id) order.
  virtual Status ScanDue(int64_t from_ms, int64_t to_ms,
                         const std::function<bool(int64_t, uint64_t)>& fn) = 0;
  // The same over the retire entries.
  virtual Status ScanRetire(int64_t from_ms, int64_t to_ms,
                            const std::function<bool(int64_t, uint64_t)>& fn) = 0;

  // --- applications and nonces -----------------------------------------------------------
  // Calls fn for every application, in app_key order.
  virtual Status ForEachApp(const std::function<void(App&&)>& fn) = 0;
  // Calls fn(app_key, nonce, ts_s) for every remembered nonce.
  virtual Status ForEachNonce(
      const std::function<void(std::string_view, std::string_view, int64_t)>& fn) = 0;

  // --- schedules (issue: schedules) ------------------------------------------------------
  virtual Result<Schedule> GetSchedule(std::string_view schedule_id) = 0;  // NotFound if absent
  // The schedule whose timer this is, or nullopt.
  virtual Result<std::optional<std::string>> FindScheduleTimer(uint64_t timer_id) = 0;
  // The message (task) made for the schedule's fire at fire_ms, or nullopt.
  virtual Result<std::optional<uint64_t>> FindMsgId(std::string_view schedule_id,
                                                    int64_t fire_ms) = 0;
  // The message (task) ids of the schedule, in fire-time order.
  virtual Result<std::vector<uint64_t>> ListMsgIds(std::string_view schedule_id) = 0;
  // Calls fn(created_ms, schedule_id) for the application's schedule-index entries in
  // (created_ms, schedule_id) order.
  virtual Status ScanScheduleIndex(std::string_view app_key,
                                   const std::function<bool(int64_t, std::string_view)>& fn) = 0;
  // Calls fn for each schedule with id >= from_id, in id order.
  virtual Status ScanSchedules(std::string_view from_id,
                               const std::function<bool(Schedule&&)>& fn) = 0;

  // --- operations ------------------------------------------------------------------------
  // False while writes are refused after a failure. Polling it may heal the store: a backend
  // whose failure can pass (disk full, lost connection) retries here, at a bounded rate.
  virtual bool healthy() const = 0;
  // Why writes are refused ("" while healthy).
  virtual std::string health_message() const = 0;
  // An online, consistent copy of the whole store into the new directory dir, which a later
  // `tock serve` can start from. A backend that cannot answers Invalid with what to use
  // instead (its own backup tools).
  virtual Status Backup(const std::string& dir) = 0;
  virtual StoreStats Stats() = 0;
};

}  // namespace tock
