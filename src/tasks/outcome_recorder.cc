// DESIGN
// The recorder swaps the whole queue out under record_mu_ and writes it as one group, so a
// burst of outcomes costs one batch and one lock round per group, not per attempt. A
// Record() call wakes the recorder only when it is idle (a futex call per delivery
// otherwise). Every task of the group is locked (stripes in ascending order) for the
// read-modify-write of its record, and all of them are written in one unsynced batch.
//
// While an attempt was in flight, only Cancel (which raises the ticket's flag under the
// task's lock) or shutdown could change its task: Publish refuses a task in flight and the
// sweep takes finished tasks only. So with the flag clear the ticket's copy of the task is
// current and the read is saved.

#include "tasks/outcome_recorder.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/log.h"
#include "common/thread_name.h"
#include "metrics/metrics.h"
#include "tasks/due_source.h"
#include "tasks/retry_policy.h"
#include "tasks/stale_write.h"
#include "tasks/task_metrics.h"
#include "tasks/task_writes.h"

namespace tock {

OutcomeRecorder::OutcomeRecorder(Store& store, DueSource& loader, const Clock& clock,
                                 TaskLocks& locks, InFlight& in_flight, int64_t retention_ms)
    : store_(store), loader_(loader), clock_(clock), locks_(locks), in_flight_(in_flight),
      retention_ms_(retention_ms) {}

OutcomeRecorder::~OutcomeRecorder() { Stop(); }

void OutcomeRecorder::Start() {
  recorder_ = std::thread([this] {
    NameThisThread("tock-recorder");
    RecordLoop();
  });
}

void OutcomeRecorder::Stop() {
  {
    std::lock_guard<std::mutex> l(record_mu_);
    record_stop_ = true;
  }
  record_cv_.notify_all();
  if (recorder_.joinable()) recorder_.join();
}

void OutcomeRecorder::Record(AttemptTicket ticket, const App& app, Attempt attempt,
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

void OutcomeRecorder::WaitForRecords() {
  std::unique_lock<std::mutex> l(record_mu_);
  const uint64_t target = records_queued_;
  record_done_cv_.wait(l, [&] { return records_written_ >= target; });
}

void OutcomeRecorder::RecordLoop() {
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

void OutcomeRecorder::WriteRecords(std::vector<PendingRecord>& group) {
  // Every task of the group is locked (stripes in ascending order) for the read-modify-write
  // of its record, and all of them are written in one batch.
  std::vector<std::unique_lock<std::mutex>> held =
      locks_.LockAll(group, [](const PendingRecord& p) { return p.ticket.task.id; });
  std::vector<Effect> effects;
  Status st;
  for (int tries = 1;; ++tries) {
    // Refused as stale: another node changed one of the tasks (a cancel) while its attempt
    // ran here. Nothing was written; read them all and decide again.
    st = WriteBatch(group, /*reread=*/tries > 1, &effects);
    if (!IsStaleWrite(st) || tries == kStaleWriteTries) break;
  }
  held.clear();
  if (!st.ok()) {
    // The due entries stay, so these attempts repeat after a restart (same webhook-id).
    log::Error("tasks.record_failed",
               {{"attempts", static_cast<uint64_t>(group.size())}, {"error", st.message()}});
  }
  in_flight_.EndAll(effects, [](const Effect& e) { return e.id; });
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

Status OutcomeRecorder::WriteBatch(std::vector<PendingRecord>& group, bool reread,
                                   std::vector<Effect>* effects) {
  effects->clear();
  effects->reserve(group.size());
  const std::unique_ptr<Store::Batch> b = store_.NewBatch();
  const int64_t now = clock_.WallMs();
  for (PendingRecord& p : group) {
    const uint64_t id = p.ticket.task.id;
    Effect& e = effects->emplace_back(Effect{id, std::nullopt, nullptr});
    // While the attempt was in flight, only Cancel (which raises the ticket's flag under the
    // task's lock) or shutdown could change the task in this process: Publish refuses a task
    // in flight and the sweep takes finished tasks only. So with the flag clear the ticket's
    // copy is current and the read is saved; with it raised, read what Cancel wrote. Another
    // node's change shows as a stale write, and the next pass rereads.
    // The copy is moved from (only a first pass uses it); its id, a plain integer, stays.
    Result<Task> r = reread || p.ticket.cancel->load() ? store_.GetTask(id)
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
    const TaskIndexEntry indexed = IndexEntryOf(t);
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
      if (p.ticket.probe && attempt.outcome != AttemptOutcome::kSuccess &&
          attempt.outcome != AttemptOutcome::kGone) {
        // A failed probe: the task keeps the retries it had (its round starts one attempt
        // later) and is due again at once (or at the Retry-After), so the next probe finds
        // it; the application's pause keeps it from running otherwise.
        t.round_start += 1;
        d.retry = true;
        d.next_run_ms = std::max(now, p.not_before_ms);
      } else if (attempt.outcome != AttemptOutcome::kSuccess) {
        d = DecideRetry(p.step_s, p.retry_total, t.round - t.round_start, attempt.outcome, now);
        if (d.retry) d.next_run_ms = std::max(d.next_run_ms, p.not_before_ms);
      }
      if (d.retry) {
        t.next_run_ms = d.next_run_ms;
        b->PutDue(t.next_run_ms, id);
        e.rearm = t.next_run_ms;
        e.transition = &GetTaskMetrics().retries;
      } else {
        t.status = attempt.outcome == AttemptOutcome::kSuccess ? TaskStatus::kSuccess
                                                               : TaskStatus::kFailed;
        t.next_run_ms = 0;
        t.finished_ms = now;
        b->PutRetire(now + retention_ms_, id);
        e.transition = t.status == TaskStatus::kSuccess ? &GetTaskMetrics().success
                                                        : &GetTaskMetrics().failed;
      }
    }
    MoveTaskIndex(*b, indexed, t);  // a finish moves it; a retry leaves it
    b->PutTask(t);
  }
  return b->Count() > 0 ? store_.Write(*b, /*sync=*/false) : Status::Ok();
}

}  // namespace tock
