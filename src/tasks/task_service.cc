// DESIGN
// Striped locks keep concurrent requests and deliveries from losing each other's updates
// without a global lock: task_locks_[id % 256] around every read-modify-write of one task
// (cancel, publish, attempt begin/finish, sweep). A stripe is held across the store write,
// which for cancel/publish is synced: two changes to tasks sharing a stripe wait one fsync
// each. Stripes are always taken in ascending index order, so batches cannot deadlock.
// Lock order: task stripes, then flight_mu_ (never the reverse).
//
// Creates need no lock: the committer thread is the only writer of new tasks whose taskNo
// the caller chose, and it checks each against storage and against the group it is
// building, in arrival order, before one synced write. A generated taskNo (a UUID) needs
// no check, so a synchronous Create without chosen taskNos writes on its own thread.
// (Schedule fires write their own messages, with taskNos "<schedule id>:<fire ms>" under
// the schedule's application.) One thread doing the group commit, rather than each request
// joining RocksDB's write group, is what lets a single-task create from the event loop cost
// no context switch of its own (issue 5: ~4 per create before).

#include "tasks/task_service.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <unordered_map>

#include "auth/signing.h"
#include "common/log.h"
#include "metrics/metrics.h"
#include "storage/store.h"
#include "tasks/due_loader.h"
#include "tasks/retry_policy.h"

namespace tock {

namespace {
// Metrics of the task service, all of them (process registry, metrics/metrics.h). Counters
// of transitions, counted once the write that makes them is done; storage holds no count
// of tasks by state (waiting ones are estimated by tock_due_index_entries, server.cc).
//   tock_tasks_created_total               new tasks: API creates and schedule messages
//   tock_tasks_finished_total{state}       waiting -> success | failed | cancelled
//   tock_tasks_published_total             publish: run now, or a new round after failed
//   tock_delivery_retries_total            retries scheduled after a failed attempt
struct TaskMetrics {
  metrics::Counter& created =
      metrics::Process().AddCounter("tock_tasks_created_total", "Tasks created.");
  metrics::Family<metrics::Counter>& finished = metrics::Process().AddCounterFamily(
      "tock_tasks_finished_total", "Tasks that reached a final state, by state.", {"state"});
  metrics::Counter& success = finished.With({"success"});
  metrics::Counter& failed = finished.With({"failed"});
  metrics::Counter& cancelled = finished.With({"cancelled"});
  metrics::Counter& published = metrics::Process().AddCounter(
      "tock_tasks_published_total", "Tasks run now or re-armed through publish.");
  metrics::Counter& retries = metrics::Process().AddCounter(
      "tock_delivery_retries_total", "Retries scheduled after a failed attempt.");
};

TaskMetrics& Metrics() {
  static TaskMetrics* const m = new TaskMetrics();
  return *m;
}
[[maybe_unused]] const bool kMetricsRegistered = (Metrics(), true);
}  // namespace

TaskService::TaskService(Store& store, DueLoader& loader, const Clock& clock,
                         TaskServiceOptions opts)
    : store_(store), loader_(loader), clock_(clock), opts_(opts),
      committer_([this] { CommitLoop(); }), recorder_([this] { RecordLoop(); }) {}

TaskService::~TaskService() {
  {
    std::lock_guard<std::mutex> l(create_mu_);
    create_stop_ = true;
  }
  create_cv_.notify_all();
  committer_.join();
  {
    std::lock_guard<std::mutex> l(record_mu_);
    record_stop_ = true;
  }
  record_cv_.notify_all();
  recorder_.join();
}

void TaskService::CreateAsync(const App& app, std::vector<TaskSpec> specs, CreateDone done,
                              std::optional<UsedNonce> nonce) {
  // Generated here, on the caller's thread, to keep the committer's serial work small:
  // a generated taskNo is new by construction and needs no check.
  std::vector<bool> chosen(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    chosen[i] = !specs[i].task_no.empty();
    if (!chosen[i]) specs[i].task_no = RandomUuid();
  }
  bool wake = false;
  {
    std::lock_guard<std::mutex> l(create_mu_);
    if (!create_stop_) {
      // Under load the committer is busy writing and finds this create when it is done.
      wake = committer_idle_;
      creates_.push_back(PendingCreate{app.app_key, std::move(specs), std::move(chosen),
                                       std::move(done), std::move(nonce)});
      done = nullptr;
    }
  }
  if (wake) create_cv_.notify_one();
  if (done) done(Status::Unavailable("shutting down"));
}

Result<std::vector<CreatedTask>> TaskService::Create(const App& app, std::vector<TaskSpec> specs) {
  const bool any_chosen = std::any_of(specs.begin(), specs.end(),
                                      [](const TaskSpec& s) { return !s.task_no.empty(); });
  if (!any_chosen) return CreateUnchecked(app, std::move(specs));
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

Result<std::vector<CreatedTask>> TaskService::CreateUnchecked(const App& app,
                                                              std::vector<TaskSpec> specs) {
  Result<uint64_t> first = store_.AllocateTaskIds(specs.size());
  if (!first.ok()) return first.status();
  uint64_t next_id = *first;
  const int64_t now = clock_.WallMs();
  const std::unique_ptr<Store::Batch> batch = store_.NewBatch();
  std::vector<TaskToArm> to_arm;
  std::vector<CreatedTask> out;
  to_arm.reserve(specs.size());
  out.reserve(specs.size());
  for (TaskSpec& spec : specs) {
    spec.task_no = RandomUuid();
    to_arm.push_back(AddCreateToBatch(*batch, app.app_key, std::move(spec), next_id++, now));
    out.push_back(CreatedTask{to_arm.back().id, false});
  }
  TOCK_RETURN_IF_ERROR(store_.Write(*batch, /*sync=*/true));
  for (const TaskToArm& t : to_arm) Arm(t);
  return out;
}

void TaskService::CommitLoop() {
  std::vector<PendingCreate> group;
  std::unique_lock<std::mutex> l(create_mu_);
  for (;;) {
    committer_idle_ = true;
    create_cv_.wait(l, [this] { return create_stop_ || !creates_.empty(); });
    committer_idle_ = false;
    if (creates_.empty()) return;  // stopping, and everything queued was written
    size_t tasks = 0, take = 0;
    while (take < creates_.size() && (take == 0 || tasks + creates_[take].specs.size() <= kMaxGroupTasks)) {
      tasks += creates_[take].specs.size();
      ++take;
    }
    group.assign(std::make_move_iterator(creates_.begin()),
                 std::make_move_iterator(creates_.begin() + static_cast<ptrdiff_t>(take)));
    creates_.erase(creates_.begin(), creates_.begin() + static_cast<ptrdiff_t>(take));
    l.unlock();
    CommitGroup(group);
    group.clear();
    l.lock();
  }
}

void TaskService::CommitGroup(std::vector<PendingCreate>& group) {
  // Pass 1, in arrival order: which specs are new. A taskNo seen earlier in the group (in
  // this create or an earlier one) or already stored is a duplicate of that task.
  struct Slot {
    size_t create, spec;
  };
  std::vector<std::vector<CreatedTask>> out(group.size());
  std::unordered_map<std::string, Slot> first_in_group;  // app + '\0' + taskNo
  std::vector<std::pair<Slot, Slot>> dups_in_group;     // (duplicate, first)
  size_t fresh = 0;
  Status failed;
  for (size_t ci = 0; ci < group.size() && failed.ok(); ++ci) {
    PendingCreate& c = group[ci];
    out[ci].resize(c.specs.size());
    for (size_t si = 0; si < c.specs.size(); ++si) {
      TaskSpec& s = c.specs[si];
      if (!c.chosen_no[si]) {
        ++fresh;
        continue;
      }
      auto [it, inserted] = first_in_group.emplace(c.app_key + '\0' + s.task_no, Slot{ci, si});
      if (!inserted) {
        out[ci][si].duplicate = true;
        dups_in_group.push_back({Slot{ci, si}, it->second});
        continue;
      }
      Result<std::optional<uint64_t>> existing = store_.FindTaskNo(c.app_key, s.task_no);
      if (!existing.ok()) {
        failed = existing.status();
        break;
      }
      if (existing->has_value()) {
        out[ci][si] = {**existing, true};
      } else {
        ++fresh;
      }
    }
  }

  // Pass 2: ids for the new tasks, their writes and the nonces, one synced batch.
  std::vector<TaskToArm> to_arm;
  const std::unique_ptr<Store::Batch> batch = store_.NewBatch();
  if (failed.ok() && fresh > 0) {
    Result<uint64_t> first = store_.AllocateTaskIds(fresh);
    if (!first.ok()) {
      failed = first.status();
    } else {
      uint64_t next_id = *first;
      const int64_t now = clock_.WallMs();
      to_arm.reserve(fresh);
      for (size_t ci = 0; ci < group.size(); ++ci) {
        for (size_t si = 0; si < group[ci].specs.size(); ++si) {
          if (out[ci][si].duplicate) continue;
          // Moved from: duplicates read only the id of the task they repeat.
          to_arm.push_back(AddCreateToBatch(*batch, group[ci].app_key,
                                            std::move(group[ci].specs[si]), next_id++, now));
          out[ci][si].id = to_arm.back().id;
        }
      }
    }
  }
  for (const PendingCreate& c : group) {
    if (c.nonce) batch->PutNonce(c.nonce->app_key, c.nonce->nonce, c.nonce->ts_s);
  }
  if (failed.ok() && batch->Count() > 0) failed = store_.Write(*batch, /*sync=*/true);
  if (!failed.ok()) {
    for (PendingCreate& c : group) c.done(failed);
    return;
  }
  for (auto& [dup, first] : dups_in_group) {
    out[dup.create][dup.spec].id = out[first.create][first.spec].id;
  }
  for (const TaskToArm& t : to_arm) Arm(t);
  for (size_t ci = 0; ci < group.size(); ++ci) group[ci].done(std::move(out[ci]));
}

TaskToArm TaskService::AddCreateToBatch(Store::Batch& batch, const std::string& app_key,
                                        TaskSpec spec, uint64_t id, int64_t now_ms) {
  Task t;
  t.id = id;
  t.app_key = app_key;
  t.task_no = std::move(spec.task_no);
  t.name = std::move(spec.name);
  t.content = std::move(spec.content);
  t.runtime_ms = t.next_run_ms = spec.runtime_ms;
  t.created_ms = now_ms;
  t.timeout_ms = spec.timeout_ms;
  t.schedule_id = std::move(spec.schedule_id);
  batch.PutTask(t);
  batch.PutDue(t.next_run_ms, t.id);
  batch.PutTaskNo(t.app_key, t.task_no, t.id);
  return TaskToArm{t.id, t.next_run_ms};
}

void TaskService::Arm(const TaskToArm& task) {
  Metrics().created.Inc();  // every new task passes here once, after its batch is written
  loader_.Arm(task.id, task.due_ms);
}

Result<Task> TaskService::LoadOwned(const App& app, uint64_t id) {
  Result<Task> t = store_.GetTask(id);
  // Another application's task is reported exactly like a missing one.
  if ((!t.ok() && t.status().code() == Code::kNotFound) || (t.ok() && t->app_key != app.app_key)) {
    return Status::NotFound("task " + std::to_string(id) + " not found");
  }
  return t;
}

bool TaskService::IsInFlight(uint64_t id) const {
  std::lock_guard<std::mutex> l(flight_mu_);
  return in_flight_.count(id) > 0;
}

Status TaskService::Cancel(const App& app, uint64_t id) {
  {
    std::lock_guard<std::mutex> l(TaskLock(id));
    Result<Task> r = LoadOwned(app, id);
    if (!r.ok()) return r.status();
    Task& t = *r;
    if (t.status != TaskStatus::kWaiting) {
      return Status::Conflict("task " + std::to_string(id) + " is already " +
                              TaskStatusName(t.status) + "; only a waiting task can be cancelled");
    }
    const int64_t now = clock_.WallMs();
    const std::unique_ptr<Store::Batch> b = store_.NewBatch();
    b->DeleteDue(t.next_run_ms, id);
    t.status = TaskStatus::kCancelled;
    t.finished_ms = now;
    t.next_run_ms = 0;
    b->PutTask(t);
    b->PutRetire(now + opts_.retention_ms, id);
    Status st = store_.Write(*b, /*sync=*/true);
    if (!st.ok()) return st;
    Metrics().cancelled.Inc();
    std::lock_guard<std::mutex> fl(flight_mu_);
    auto it = in_flight_.find(id);
    // Set under the task's lock: FinishAttempt trusts its ticket's copy of the task only
    // while this flag is clear. It also aborts the attempt in flight (best effort).
    if (it != in_flight_.end()) it->second->store(true);
  }
  loader_.Disarm(id);
  return Status::Ok();
}

Status TaskService::Publish(const App& app, uint64_t id) {
  int64_t due;
  {
    std::lock_guard<std::mutex> l(TaskLock(id));
    Result<Task> r = LoadOwned(app, id);
    if (!r.ok()) return r.status();
    Task& t = *r;
    if (IsInFlight(id)) {
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
        break;
      case TaskStatus::kFailed:
      case TaskStatus::kCancelled:
        // A new round of attempts, with the application's full retry budget.
        b->DeleteRetire(t.finished_ms + opts_.retention_ms, id);
        t.status = TaskStatus::kWaiting;
        t.round_start = t.round;
        t.finished_ms = 0;
        break;
    }
    t.next_run_ms = now;
    b->PutDue(now, id);
    b->PutTask(t);
    Status st = store_.Write(*b, /*sync=*/true);
    if (!st.ok()) return st;
    Metrics().published.Inc();
    due = now;
  }
  loader_.Arm(id, due);
  return Status::Ok();
}

Result<TaskDetail> TaskService::Detail(const App& app, uint64_t id) {
  Result<Task> r = LoadOwned(app, id);
  if (!r.ok()) return r.status();
  TaskDetail d;
  d.task = std::move(r).value();
  d.running = IsInFlight(id);
  Result<std::vector<Attempt>> attempts = store_.ListAttempts(id);
  if (!attempts.ok()) return attempts.status();
  d.attempts = std::move(attempts).value();
  return d;
}

Result<std::optional<AttemptTicket>> TaskService::BeginAttempt(uint64_t id, int64_t due_ms) {
  std::lock_guard<std::mutex> l(TaskLock(id));
  Result<Task> r = store_.GetTask(id);
  if (!r.ok()) {
    if (r.status().code() == Code::kNotFound) return std::optional<AttemptTicket>();
    return r.status();
  }
  if (r->status != TaskStatus::kWaiting || r->next_run_ms != due_ms) {
    return std::optional<AttemptTicket>();  // stale timer: cancelled, published, retried
  }
  auto flag = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard<std::mutex> fl(flight_mu_);
    if (!in_flight_.emplace(id, flag).second) return std::optional<AttemptTicket>();
  }
  AttemptTicket ticket;
  ticket.task = std::move(r).value();
  ticket.due_ms = due_ms;
  ticket.cancel = std::move(flag);
  return std::optional<AttemptTicket>(std::move(ticket));
}

void TaskService::AbandonAttempt(const AttemptTicket& ticket) {
  std::lock_guard<std::mutex> fl(flight_mu_);
  in_flight_.erase(ticket.task.id);
}

void TaskService::FinishAttempt(AttemptTicket ticket, const App& app, Attempt attempt,
                                int64_t not_before_ms) {
  bool wake;
  {
    std::unique_lock<std::mutex> l(record_mu_);
    record_done_cv_.wait(l, [this] { return records_.size() < kMaxPendingRecords; });
    records_.push_back({std::move(ticket), app.step_s, app.retry_total, std::move(attempt),
                        not_before_ms});
    ++records_queued_;
    // A recorder that is writing finds this group when it is done: no wake-up (a futex call
    // per delivery otherwise).
    wake = recorder_idle_;
  }
  if (wake) record_cv_.notify_one();
}

void TaskService::WaitForRecords() {
  std::unique_lock<std::mutex> l(record_mu_);
  const uint64_t target = records_queued_;
  record_done_cv_.wait(l, [&] { return records_written_ >= target; });
}

void TaskService::RecordLoop() {
  std::vector<PendingRecord> group;
  for (;;) {
    {
      std::unique_lock<std::mutex> l(record_mu_);
      recorder_idle_ = true;
      record_cv_.wait(l, [this] { return record_stop_ || !records_.empty(); });
      recorder_idle_ = false;
      if (records_.empty()) return;  // stopping, and everything is written
      group.swap(records_);
    }
    record_done_cv_.notify_all();  // room again for FinishAttempt callers held back
    WriteRecords(group);
    {
      std::lock_guard<std::mutex> l(record_mu_);
      records_written_ += group.size();
    }
    record_done_cv_.notify_all();
    group.clear();
  }
}

void TaskService::WriteRecords(std::vector<PendingRecord>& group) {
  // Every task of the group is locked (stripes in ascending order) for the read-modify-write
  // of its record, and all of them are written in one batch.
  std::vector<size_t> stripes;
  stripes.reserve(group.size());
  for (const PendingRecord& p : group) stripes.push_back(p.ticket.task.id % kStripes);
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> held;
  held.reserve(stripes.size());
  for (size_t i : stripes) held.emplace_back(task_locks_[i]);

  struct Effect {
    uint64_t id;
    std::optional<int64_t> rearm;
    metrics::Counter* transition = nullptr;  // counted once the write succeeded
  };
  std::vector<Effect> effects;
  effects.reserve(group.size());
  const std::unique_ptr<Store::Batch> b = store_.NewBatch();
  const int64_t now = clock_.WallMs();
  for (PendingRecord& p : group) {
    const uint64_t id = p.ticket.task.id;
    Effect& e = effects.emplace_back(Effect{id, std::nullopt, nullptr});
    // While the attempt was in flight, only Cancel (which raises the ticket's flag under the
    // task's lock) or shutdown could change the task: Publish refuses a task in flight and
    // the sweep takes finished tasks only. So with the flag clear the ticket's copy is
    // current and the read is saved; with it raised, read what Cancel wrote.
    Result<Task> r = p.ticket.cancel->load() ? store_.GetTask(id)
                                             : Result<Task>(std::move(p.ticket.task));
    if (!r.ok()) {
      // Deleted (not found): nothing to record. A read error: its due entry stays, so the
      // attempt repeats after a restart.
      if (r.status().code() != Code::kNotFound) {
        log::Error("tasks.record_failed", {{"task_id", id}, {"error", r.status().message()}});
      }
      continue;
    }
    Task& t = *r;
    Attempt& attempt = p.attempt;
    t.round += 1;
    t.elapsed_ms += attempt.duration_ms;
    attempt.task_id = id;
    attempt.number = t.round;
    b->PutAttempt(attempt);
    // Only a task still waiting on this very attempt moves on; one cancelled while the
    // attempt ran keeps its state and just gains the attempt's record.
    if (t.status == TaskStatus::kWaiting && t.next_run_ms == p.ticket.due_ms) {
      b->DeleteDue(p.ticket.due_ms, id);
      RetryDecision d;
      if (attempt.outcome != AttemptOutcome::kSuccess) {
        d = DecideRetry(p.step_s, p.retry_total, t.round - t.round_start, attempt.outcome, now);
        if (d.retry) d.next_run_ms = std::max(d.next_run_ms, p.not_before_ms);
      }
      if (d.retry) {
        t.next_run_ms = d.next_run_ms;
        b->PutDue(t.next_run_ms, id);
        e.rearm = t.next_run_ms;
        e.transition = &Metrics().retries;
      } else {
        t.status = attempt.outcome == AttemptOutcome::kSuccess ? TaskStatus::kSuccess
                                                               : TaskStatus::kFailed;
        t.next_run_ms = 0;
        t.finished_ms = now;
        b->PutRetire(now + opts_.retention_ms, id);
        e.transition = t.status == TaskStatus::kSuccess ? &Metrics().success : &Metrics().failed;
      }
    }
    b->PutTask(t);
  }
  const Status st = b->Count() > 0 ? store_.Write(*b, /*sync=*/false) : Status::Ok();
  held.clear();
  if (!st.ok()) {
    // The due entries stay, so these attempts repeat after a restart (same webhook-id).
    log::Error("tasks.record_failed",
               {{"attempts", static_cast<uint64_t>(group.size())}, {"error", st.message()}});
  }
  {
    std::lock_guard<std::mutex> fl(flight_mu_);
    for (const Effect& e : effects) in_flight_.erase(e.id);
  }
  if (!st.ok()) {
    // Their timers have fired and the loader is past them: without a rewind they would wait
    // for a restart. Handed over again once storage accepts writes (disk full), after the
    // erase above so the timer cannot find them still in flight. effects[i] is group[i].
    for (size_t i = 0; i < effects.size(); ++i) {
      loader_.Rewind(effects[i].id, group[i].ticket.due_ms);
    }
    return;
  }
  // Re-armed only once the task is out of flight, or its timer could find it still in flight.
  for (const Effect& e : effects) {
    if (e.transition != nullptr) e.transition->Inc();
    if (e.rearm) loader_.Arm(e.id, *e.rearm);
  }
}

Result<size_t> TaskService::SweepRetired(size_t limit) {
  const int64_t now = clock_.WallMs();
  std::vector<std::pair<int64_t, uint64_t>> due;
  Status s = store_.ScanRetire(INT64_MIN, now, [&](int64_t ms, uint64_t id) {
    due.emplace_back(ms, id);
    return due.size() < limit;
  });
  if (!s.ok()) return s;
  size_t removed = 0;
  for (auto [ms, id] : due) {
    std::lock_guard<std::mutex> l(TaskLock(id));
    const std::unique_ptr<Store::Batch> b = store_.NewBatch();
    b->DeleteRetire(ms, id);
    Result<Task> t = store_.GetTask(id);
    // A task re-armed by publish since it finished stays; only its stale entry goes.
    if (t.ok() && IsFinished(t->status) && t->finished_ms + opts_.retention_ms <= now) {
      b->DeleteTask(id);
      b->DeleteTaskNo(t->app_key, t->task_no);
      b->DeleteAttempts(id);
      ++removed;
    }
    Status st = store_.Write(*b, /*sync=*/false);
    if (!st.ok()) return st;
  }
  if (removed > 0) log::Info("retention.swept", {{"tasks", static_cast<uint64_t>(removed)}});
  return removed;
}

size_t TaskService::in_flight() const {
  std::lock_guard<std::mutex> fl(flight_mu_);
  return in_flight_.size();
}

void TaskService::CancelAllInFlight() {
  std::lock_guard<std::mutex> fl(flight_mu_);
  for (auto& [id, flag] : in_flight_) flag->store(true);
}

}  // namespace tock
