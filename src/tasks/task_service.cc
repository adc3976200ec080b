// DESIGN
// The state machine's own changes (cancel, publish, attempt begin) are read-modify-writes of
// one task under its lock stripe (tasks/task_locks.h has the lock order); creates and
// outcomes go through the committer and the recorder, whose headers explain their threads.
// Cancel and publish write synced while holding the stripe: two changes to tasks sharing a
// stripe wait one fsync each. The stripe serialises this process only: on a store shared by
// nodes, a write whose read another node made stale is refused (tasks/stale_write.h) and the
// change is read and decided again.

#include "tasks/task_service.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>

#include "tasks/due_source.h"
#include "tasks/retention.h"
#include "tasks/stale_write.h"
#include "tasks/task_list.h"
#include "tasks/task_writes.h"
#include "tasks/task_metrics.h"

namespace tock {

TaskService::TaskService(Store& store, DueSource& loader, const Clock& clock,
                         TaskServiceOptions opts)
    : store_(store), loader_(loader), clock_(clock), opts_(opts),
      committer_(store, loader, clock),
      recorder_(store, loader, clock, locks_, in_flight_, opts.retention_ms) {
  committer_.Start();
  recorder_.Start();
}

TaskService::~TaskService() {
  committer_.Stop();
  recorder_.Stop();
}

void TaskService::CreateAsync(const App& app, std::vector<TaskSpec> specs, CreateDone done,
                              std::optional<UsedNonce> nonce) {
  committer_.Submit(app.app_key, std::move(specs), std::move(done), std::move(nonce));
}

Result<std::vector<CreatedTask>> TaskService::Create(const App& app, std::vector<TaskSpec> specs) {
  const bool any_chosen = std::any_of(specs.begin(), specs.end(),
                                      [](const TaskSpec& s) { return !s.task_no.empty(); });
  if (!any_chosen) return committer_.WriteUnchecked(app.app_key, std::move(specs));
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<std::vector<CreatedTask>>> result;
  CreateAsync(app, std::move(specs), [&](Result<std::vector<CreatedTask>> r) {
    std::lock_guard<std::mutex> l(mu);
    result.emplace(std::move(r));
    cv.notify_one();
  });
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return result.has_value(); });
  return std::move(*result);
}

TaskToArm TaskService::AddCreateToBatch(Store::Batch& batch, const std::string& app_key,
                                        TaskSpec spec, uint64_t id, int64_t now_ms) {
  return AddNewTaskToBatch(batch, app_key, std::move(spec), id, now_ms);
}

void TaskService::Arm(const TaskToArm& task) { ArmNewTask(loader_, task); }

Result<Task> TaskService::LoadOwned(const App& app, uint64_t id) {
  Result<Task> t = store_.GetTask(id);
  // Another application's task is reported exactly like a missing one.
  if ((!t.ok() && t.status().code() == Code::kNotFound) || (t.ok() && t->app_key != app.app_key)) {
    return Status::NotFound("task " + std::to_string(id) + " not found");
  }
  return t;
}

Status TaskService::Cancel(const App& app, uint64_t id) {
  {
    std::lock_guard<std::mutex> l(locks_.For(id));
    for (int tries = 1;; ++tries) {
      Result<Task> r = LoadOwned(app, id);
      if (!r.ok()) return r.status();
      Task& t = *r;
      if (t.status != TaskStatus::kWaiting) {
        return Status::Conflict("task " + std::to_string(id) + " is already " +
                                TaskStatusName(t.status) +
                                "; only a waiting task can be cancelled");
      }
      const int64_t now = clock_.WallMs();
      const std::unique_ptr<Store::Batch> b = store_.NewBatch();
      const TaskIndexEntry indexed = IndexEntryOf(t);
      b->DeleteDue(t.next_run_ms, id);
      t.status = TaskStatus::kCancelled;
      t.finished_ms = now;
      t.next_run_ms = 0;
      MoveTaskIndex(*b, indexed, t);
      b->PutTask(t);
      b->PutRetire(now + opts_.retention_ms, id);
      Status st = store_.Write(*b, /*sync=*/true);
      if (IsStaleWrite(st) && tries < kStaleWriteTries) continue;  // read it again
      if (!st.ok()) return st;
      break;
    }
    GetTaskMetrics().cancelled.Inc();
    // Raised under the task's lock: the recorder trusts its ticket's copy of the task only
    // while this flag is clear. It also aborts the attempt in flight (best effort).
    in_flight_.Cancel(id);
  }
  loader_.Disarm(id);
  return Status::Ok();
}

Status TaskService::Publish(const App& app, uint64_t id) {
  int64_t due;
  {
    std::lock_guard<std::mutex> l(locks_.For(id));
    for (int tries = 1;; ++tries) {
      Result<Task> r = LoadOwned(app, id);
      if (!r.ok()) return r.status();
      Task& t = *r;
      if (in_flight_.Contains(id)) {
        return Status::Conflict("task " + std::to_string(id) + " is running");
      }
      const int64_t now = clock_.WallMs();
      const std::unique_ptr<Store::Batch> b = store_.NewBatch();
      switch (t.status) {
        case TaskStatus::kSuccess:
        case TaskStatus::kRunning:
          return Status::Conflict("task " + std::to_string(id) + " is already " +
                                  TaskStatusName(t.status));
        case TaskStatus::kWaiting:
          b->DeleteDue(t.next_run_ms, id);
          t.next_run_ms = now;
          b->PutDue(now, id);
          b->PutTask(t);
          break;
        case TaskStatus::kFailed:
        case TaskStatus::kCancelled:
          AddReplay(*b, t, now);
          break;
      }
      Status st = store_.Write(*b, /*sync=*/true);
      if (IsStaleWrite(st) && tries < kStaleWriteTries) continue;  // read it again
      if (!st.ok()) return st;
      due = now;
      break;
    }
    GetTaskMetrics().published.Inc();
  }
  loader_.Arm(id, due);
  return Status::Ok();
}

void TaskService::AddReplay(Store::Batch& batch, Task& t, int64_t now) {
  // A new round of attempts, with the application's full retry budget; the attempts so far
  // stay and the next one is numbered after them.
  const TaskIndexEntry indexed = IndexEntryOf(t);
  batch.DeleteRetire(t.finished_ms + opts_.retention_ms, t.id);
  t.status = TaskStatus::kWaiting;
  t.round_start = t.round;
  t.finished_ms = 0;
  t.next_run_ms = now;
  batch.PutDue(now, t.id);
  MoveTaskIndex(batch, indexed, t);
  batch.PutTask(t);
}

Status TaskService::Delete(const App& app, uint64_t id) {
  std::lock_guard<std::mutex> l(locks_.For(id));
  Result<Task> r = LoadOwned(app, id);
  if (!r.ok()) return r.status();
  if (!IsFinished(r->status) || in_flight_.Contains(id)) {
    return Status::Conflict("task " + std::to_string(id) + " is " +
                            (in_flight_.Contains(id) ? "running" : TaskStatusName(r->status)) +
                            "; only a finished task can be deleted (cancel it first)");
  }
  const std::unique_ptr<Store::Batch> b = store_.NewBatch();
  AddTaskRemoval(*b, *r);
  b->DeleteRetire(r->finished_ms + opts_.retention_ms, id);
  return store_.Write(*b, /*sync=*/true);
}

Result<size_t> TaskService::ReplayFailed(const std::vector<uint64_t>& ids, int64_t from_ms,
                                         int64_t to_ms) {
  std::vector<TaskToArm> armed;
  {
    std::vector<std::unique_lock<std::mutex>> held =
        locks_.LockAll(ids, [](uint64_t id) { return id; });
    for (int tries = 1;; ++tries) {
      armed.clear();
      Result<std::vector<Task>> tasks = store_.GetTasks(ids);
      if (!tasks.ok()) return tasks.status();
      const int64_t now = clock_.WallMs();
      const std::unique_ptr<Store::Batch> b = store_.NewBatch();
      for (Task& t : *tasks) {
        // Read under the stripe: one replayed (or replayed and failed again) since the
        // caller listed it is skipped, so a replay never runs a task twice.
        if (t.status != TaskStatus::kFailed || t.finished_ms < from_ms ||
            t.finished_ms >= to_ms || in_flight_.Contains(t.id)) {
          continue;
        }
        AddReplay(*b, t, now);
        armed.push_back(TaskToArm{t.id, now});
      }
      if (armed.empty()) return size_t{0};
      Status st = store_.Write(*b, /*sync=*/true);
      if (IsStaleWrite(st) && tries < kStaleWriteTries) continue;  // another node's change
      TOCK_RETURN_IF_ERROR(st);
      break;
    }
  }
  for (const TaskToArm& a : armed) {
    GetTaskMetrics().published.Inc();
    loader_.Arm(a.id, a.due_ms);
  }
  return armed.size();
}

Result<TaskListPage> TaskService::List(const TaskListFilter& filter) {
  return ListTasks(store_, in_flight_, filter);
}

Result<TaskListPage> TaskService::ListFailed(const TaskListFilter& filter) {
  return ListFailedTasks(store_, in_flight_, filter);
}

Result<TaskDetail> TaskService::Detail(const App& app, uint64_t id) {
  Result<Task> r = LoadOwned(app, id);
  if (!r.ok()) return r.status();
  TaskDetail d;
  d.task = std::move(r).value();
  d.running = in_flight_.Contains(id);
  Result<std::vector<Attempt>> attempts = store_.ListAttempts(id);
  if (!attempts.ok()) return attempts.status();
  d.attempts = std::move(attempts).value();
  return d;
}

Result<std::optional<AttemptTicket>> TaskService::BeginAttempt(uint64_t id, int64_t due_ms) {
  return std::move(BeginAttempts({{id, due_ms}}).front());
}

std::vector<Result<std::optional<AttemptTicket>>> TaskService::BeginAttempts(
    const std::vector<std::pair<uint64_t, int64_t>>& due) {
  std::vector<Result<std::optional<AttemptTicket>>> out;
  out.reserve(due.size());
  auto held = locks_.LockAll(due, [](const auto& d) { return d.first; });
  std::vector<uint64_t> ids;
  ids.reserve(due.size());
  for (const auto& d : due) ids.push_back(d.first);
  Result<std::vector<Task>> read = store_.GetTasks(ids);
  if (!read.ok()) {
    for (size_t i = 0; i < due.size(); ++i) out.emplace_back(read.status());
    return out;
  }
  // GetTasks keeps the order given and leaves out the absent ones.
  std::vector<Task>& tasks = *read;
  size_t next = 0;
  for (const auto& [id, due_ms] : due) {
    if (next >= tasks.size() || tasks[next].id != id) {
      out.emplace_back(std::nullopt);  // gone (deleted, retired)
      continue;
    }
    Task& task = tasks[next++];
    InFlight::Flag flag;
    // A stale timer (cancelled, published, retried) or one already in flight begins nothing.
    if (task.status == TaskStatus::kWaiting && task.next_run_ms == due_ms) {
      flag = in_flight_.Begin(id);
    }
    if (flag == nullptr) {
      out.emplace_back(std::nullopt);
      continue;
    }
    AttemptTicket ticket;
    ticket.task = std::move(task);
    ticket.due_ms = due_ms;
    ticket.cancel = std::move(flag);
    out.emplace_back(std::optional<AttemptTicket>(std::move(ticket)));
  }
  return out;
}

void TaskService::AbandonAttempt(const AttemptTicket& ticket) { in_flight_.End(ticket.task.id); }

void TaskService::FinishAttempt(AttemptTicket ticket, const App& app, Attempt attempt,
                                int64_t not_before_ms) {
  recorder_.Record(std::move(ticket), app, std::move(attempt), not_before_ms);
}

void TaskService::WaitForRecords() { recorder_.WaitForRecords(); }

Result<size_t> TaskService::SweepRetired(size_t limit) {
  return SweepRetiredTasks(store_, clock_, locks_, opts_.retention_ms, limit);
}

size_t TaskService::in_flight() const { return in_flight_.size(); }

void TaskService::CancelAllInFlight() { in_flight_.CancelAll(); }

}  // namespace tock
