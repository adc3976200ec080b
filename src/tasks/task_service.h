// TaskService: the life of a task, from creation to its final state (the state machine), and
// the facade the API, the dispatcher and schedules call.
//
//   waiting --attempt ok--> success
//   waiting --attempt fails, retries left--> waiting (next_run_ms = retry time)
//   waiting --attempt fails, none left / 410--> failed
//   waiting --cancel--> cancelled          failed|cancelled --publish--> waiting (new round)
//   waiting --publish--> waiting (due now) failed --replay (bulk)--> waiting (new round)
//   success|cancelled|failed --delete--> gone
// "running" is not a stored state: an attempt in flight is tracked in memory (InFlight), and
// the task keeps its due-index entry until the attempt's outcome is written. So a crash
// during an attempt leaves the task due, and it is attempted again after restart
// (at-least-once).
//
// Every change to one task is a read-modify-write under that task's lock stripe (TaskLocks),
// written as one batch with its index entries. The parts, each in its own file:
//   tasks/group_committer.h   creates: its thread writes concurrent creates as one synced
//                             batch and alone resolves caller-chosen taskNos
//   tasks/outcome_recorder.h  attempt outcomes: its thread writes them in unsynced groups
//   tasks/in_flight.h         the attempts in flight and their cancel flags
//   tasks/task_locks.h        the lock stripes, and the lock order
//   tasks/retention.h         the sweep of tasks past their retention
//   tasks/new_task.h          a new task's writes, shared by every create path
//   tasks/task_writes.h       the index and removal writes every change shares
//   tasks/task_list.h         the task lists (GET /admin/tasks, /admin/failed)
// This file keeps the state machine itself: cancel, publish, replay, delete, detail,
// attempt begin.
//
// Threads: the service owns two threads, the committer's and the recorder's, started by the
// constructor (which does nothing else) and stopped by the destructor after what they have
// queued is written. All methods may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/app.h"
#include "model/task.h"
#include "model/task_list.h"
#include "storage/store.h"
#include "tasks/group_committer.h"
#include "tasks/in_flight.h"
#include "tasks/new_task.h"
#include "tasks/outcome_recorder.h"
#include "tasks/task_locks.h"

namespace tock {

class DueSource;

struct TaskServiceOptions {
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
};

class TaskService {
 public:
  // Starts the committer and recorder threads; the destructor writes what is still queued,
  // then stops them.
  TaskService(Store& store, DueSource& loader, const Clock& clock, TaskServiceOptions opts);
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  using CreateDone = GroupCommitter::CreateDone;
  // Creates all or none: the committer writes them, with the other creates waiting at that
  // moment, as one synced batch, then calls `done` on its own thread (so `done` must not
  // block) with one CreatedTask per spec, in order. A taskNo already used by the
  // application, or earlier in this or a concurrent create, yields the existing/first id
  // with duplicate = true. Returns at once; never calls `done` before returning.
  // `nonce`, when given, is written in the same batch (AppAuthenticator's defer_nonce).
  void CreateAsync(const App& app, std::vector<TaskSpec> specs, CreateDone done,
                   std::optional<UsedNonce> nonce = std::nullopt);
  // The same, waiting for the result. Without a caller-chosen taskNo there is nothing to
  // check, so the calling thread writes the batch itself (GroupCommitter::WriteUnchecked).
  Result<std::vector<CreatedTask>> Create(const App& app, std::vector<TaskSpec> specs);
  // Adds a new task's writes to `batch` (which the caller writes, e.g. together with a
  // schedule's fire): see AddNewTaskToBatch (tasks/new_task.h) for what it REQUIRES. After
  // the batch is written, pass the result to Arm().
  TaskToArm AddCreateToBatch(Store::Batch& batch, const std::string& app_key, TaskSpec spec,
                             uint64_t id, int64_t now_ms);
  // Hands a task written by AddCreateToBatch to the timers.
  void Arm(const TaskToArm& task);

  Status Cancel(const App& app, uint64_t id);
  // Runs a waiting task now, or replays a failed or cancelled one: it goes back to waiting,
  // due now, in a new round with the application's full retry budget (round_start = round);
  // its attempts are kept and numbered on. Conflict for a success or a task in flight.
  Status Publish(const App& app, uint64_t id);
  // Removes a finished task (success, cancelled, failed) with its attempts and taskNo, which
  // becomes free again. Conflict for a waiting or running task (cancel it first).
  Status Delete(const App& app, uint64_t id);
  Result<TaskDetail> Detail(const App& app, uint64_t id);
  // The task lists (tasks/task_list.h).
  Result<TaskListPage> List(const TaskListFilter& filter);
  Result<TaskListPage> ListFailed(const TaskListFilter& filter);
  // Replays, as Publish does, each task of `ids` that is still failed with a failure time in
  // [from_ms, to_ms) and not in flight; the others are skipped. All of them in one synced
  // batch, under their stripes (so keep `ids` to a few hundred). Returns how many replayed.
  Result<size_t> ReplayFailed(const std::vector<uint64_t>& ids, int64_t from_ms, int64_t to_ms);

  // --- the dispatcher's side -------------------------------------------------------------
  // A timer for (id, due_ms) fired. Returns a ticket when an attempt should run: the task
  // is waiting, due at due_ms, and not already in flight. nullopt for a stale timer.
  Result<std::optional<AttemptTicket>> BeginAttempt(uint64_t id, int64_t due_ms);
  // BeginAttempt for each (id, due_ms) of `due`, in order, with one store read for all of
  // them (one round trip on PostgreSQL, one MultiGet on RocksDB): the dispatcher begins a
  // burst in chunks. Their stripes are held together while they are read and checked, so
  // keep `due` to a few dozen. A failed read fails every one of them.
  std::vector<Result<std::optional<AttemptTicket>>> BeginAttempts(
      const std::vector<std::pair<uint64_t, int64_t>>& due);
  // Gives the attempt back without recording anything (shutdown, concurrency limit): the
  // due entry is untouched, so it runs again (after restart, or when re-armed).
  void AbandonAttempt(const AttemptTicket& ticket);
  // Records the attempt and moves the task on (success, retry, failed). Returns at once:
  // the recorder thread writes the outcomes of attempts that end close together as one
  // unsynced batch (a lost outcome only repeats a delivery, which webhook-id makes safe).
  // Until its outcome is written the task stays in flight, so it cannot begin again.
  // Blocks only while the recorder's queue is full (backpressure).
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
  Result<Task> LoadOwned(const App& app, uint64_t id);
  // Makes a failed or cancelled task waiting again, due now, in a new round; adds its writes.
  void AddReplay(Store::Batch& batch, Task& t, int64_t now);

  Store& store_;
  DueSource& loader_;
  const Clock& clock_;
  const TaskServiceOptions opts_;

  TaskLocks locks_;
  InFlight in_flight_;
  // Last: they use the members above, and are stopped (drained) before those go.
  GroupCommitter committer_;
  OutcomeRecorder recorder_;
};

}  // namespace tock
