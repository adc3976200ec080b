// TaskService: the life of a task, from creation to its final state.
//
//   waiting --attempt ok--> success
//   waiting --attempt fails, retries left--> waiting (next_run_ms = retry time)
//   waiting --attempt fails, none left / 410--> failed
//   waiting --cancel--> cancelled          failed|cancelled --publish--> waiting (new round)
//   waiting --publish--> waiting (due now)
// "running" is not a stored state: an attempt in flight is tracked in memory, and the task
// keeps its due-index entry until the attempt's outcome is written. So a crash during an
// attempt leaves the task due, and it is attempted again after restart (at-least-once).
//
// Every change to one task is a read-modify-write under that task's lock stripe, written
// as one batch with its index entries. Two threads of its own write in groups:
// - the committer writes the creates that arrive close together as one synced batch, and
//   only then answers them, so a create is durable before its caller hears of it; it alone
//   resolves taskNos, so two creates with the same taskNo yield one task without locks;
// - the recorder writes attempt outcomes the same way, unsynced (a lost outcome only
//   repeats a delivery, which webhook-id makes safe), so the workers sending callbacks never
//   wait on storage.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/app.h"
#include "model/task.h"
#include "storage/store.h"

namespace tock {

class DueLoader;

// A task written by a caller's batch, to hand to the timers once the batch is written.
struct TaskToArm {
  uint64_t id = 0;
  int64_t due_ms = 0;
};

// What the dispatcher holds while an attempt is in flight.
struct AttemptTicket {
  Task task;
  int64_t due_ms = 0;
  std::shared_ptr<std::atomic<bool>> cancel;  // set by Cancel() or shutdown
};

struct TaskServiceOptions {
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
};

class TaskService {
 public:
  // Starts the committer and recorder threads; the destructor writes what is still queued,
  // then stops them.
  TaskService(Store& store, DueLoader& loader, const Clock& clock, TaskServiceOptions opts);
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  using CreateDone = std::function<void(Result<std::vector<CreatedTask>>)>;
  // Creates all or none: the committer writes them, with the other creates waiting at that
  // moment, as one synced batch, then calls `done` on its own thread (so `done` must not
  // block) with one CreatedTask per spec, in order. A taskNo already used by the
  // application, or earlier in this or a concurrent create, yields the existing/first id
  // with duplicate = true. Returns at once; never calls `done` before returning.
  // `nonce`, when given, is written in the same batch (AppAuthenticator's defer_nonce).
  void CreateAsync(const App& app, std::vector<TaskSpec> specs, CreateDone done,
                   std::optional<UsedNonce> nonce = std::nullopt);
  // The same, waiting for the result. Without a caller-chosen taskNo there is nothing to
  // check, so the calling thread writes the batch itself (synced) instead of the committer:
  // large batches from several threads then insert into RocksDB's memtables side by side
  // and share fsyncs through its group commit. (One committer inserting every task of
  // 1000-task batches one after another cut bulk enqueue from ~220 000/s to ~150 000/s.)
  Result<std::vector<CreatedTask>> Create(const App& app, std::vector<TaskSpec> specs);
  // The one piece of code that builds a new task's writes: its record, due entry and taskNo
  // entry, added to `batch` (which the caller writes, e.g. together with a schedule's fire).
  // REQUIRES: `id` comes from Store::AllocateTaskIds; spec.task_no is not empty and not in
  // use by the application. After the batch is written, pass the result to Arm().
  TaskToArm AddCreateToBatch(Store::Batch& batch, const std::string& app_key, TaskSpec spec,
                             uint64_t id, int64_t now_ms);
  // Hands a task written by AddCreateToBatch to the timers.
  void Arm(const TaskToArm& task);

  Status Cancel(const App& app, uint64_t id);
  Status Publish(const App& app, uint64_t id);
  Result<TaskDetail> Detail(const App& app, uint64_t id);

  // --- the dispatcher's side -------------------------------------------------------------
  // A timer for (id, due_ms) fired. Returns a ticket when an attempt should run: the task
  // is waiting, due at due_ms, and not already in flight. nullopt for a stale timer.
  Result<std::optional<AttemptTicket>> BeginAttempt(uint64_t id, int64_t due_ms);
  // Gives the attempt back without recording anything (shutdown, concurrency limit): the
  // due entry is untouched, so it runs again (after restart, or when re-armed).
  void AbandonAttempt(const AttemptTicket& ticket);
  // Records the attempt and moves the task on (success, retry, failed). Returns at once:
  // the recorder thread writes the outcomes of attempts that end close together as one
  // unsynced batch (a lost outcome only repeats a delivery, which webhook-id makes safe).
  // Until its outcome is written the task stays in flight, so it cannot begin again.
  // Blocks only while kMaxPendingRecords outcomes wait to be written (backpressure).
  // not_before_ms > 0 (a receiver's Retry-After): a retry waits at least until then.
  void FinishAttempt(AttemptTicket ticket, const App& app, Attempt attempt,
                     int64_t not_before_ms = 0);
  // Blocks until every outcome handed to FinishAttempt before the call is written (or its
  // write failed, which is logged).
  void WaitForRecords();

  // Removes tasks finished longer than the retention ago (at most `limit`); returns count.
  Result<size_t> SweepRetired(size_t limit);

  size_t in_flight() const;
  // Cancels every attempt in flight (shutdown).
  void CancelAllInFlight();

 private:
  static constexpr size_t kStripes = 256;
  std::mutex& TaskLock(uint64_t id) { return task_locks_[id % kStripes]; }
  Result<Task> LoadOwned(const App& app, uint64_t id);
  bool IsInFlight(uint64_t id) const;

  // A create waiting for the committer.
  struct PendingCreate {
    std::string app_key;
    std::vector<TaskSpec> specs;
    std::vector<bool> chosen_no;  // per spec: the caller chose its taskNo (so check it)
    CreateDone done;
    std::optional<UsedNonce> nonce;
  };
  // The committer takes whole creates until a group holds this many tasks.
  static constexpr size_t kMaxGroupTasks = 8192;
  Result<std::vector<CreatedTask>> CreateUnchecked(const App& app, std::vector<TaskSpec> specs);
  void CommitLoop();
  // Resolves taskNos and ids for one group, writes it synced, arms it, answers every create.
  void CommitGroup(std::vector<PendingCreate>& group);

  // An attempt's outcome waiting for the recorder.
  struct PendingRecord {
    AttemptTicket ticket;
    int32_t step_s = 0;       // the application's retry policy
    int32_t retry_total = 0;
    Attempt attempt;
    int64_t not_before_ms = 0;
  };
  // Room for the outcomes of a burst of attempts ending together (the delivery engine holds
  // up to --max-in-flight); a full queue makes the engine's loop thread wait.
  static constexpr size_t kMaxPendingRecords = 32768;
  void RecordLoop();
  // Writes one group of outcomes as one batch, then re-arms retries.
  void WriteRecords(std::vector<PendingRecord>& group);

  Store& store_;
  DueLoader& loader_;
  const Clock& clock_;
  const TaskServiceOptions opts_;

  std::array<std::mutex, kStripes> task_locks_;    // serialise changes to one task

  mutable std::mutex flight_mu_;
  std::unordered_map<uint64_t, std::shared_ptr<std::atomic<bool>>> in_flight_;  // GUARDED_BY

  std::mutex create_mu_;
  std::condition_variable create_cv_;     // creates_ gained an entry, or stopping
  std::vector<PendingCreate> creates_;    // GUARDED_BY(create_mu_)
  bool committer_idle_ = false;           // GUARDED_BY(create_mu_): waiting on create_cv_
  bool create_stop_ = false;              // GUARDED_BY(create_mu_)

  std::mutex record_mu_;
  std::condition_variable record_cv_;       // records_ gained an entry, or stopping
  std::condition_variable record_done_cv_;  // a group was written
  std::vector<PendingRecord> records_;      // GUARDED_BY(record_mu_)
  uint64_t records_queued_ = 0;             // GUARDED_BY(record_mu_): ever handed over
  uint64_t records_written_ = 0;            // GUARDED_BY(record_mu_): ever written (or failed)
  bool record_stop_ = false;                // GUARDED_BY(record_mu_)
  bool recorder_idle_ = false;              // GUARDED_BY(record_mu_): waiting on record_cv_
  std::thread committer_;                   // last: started once the members above exist
  std::thread recorder_;
};

}  // namespace tock
