// OutcomeRecorder: records attempt outcomes and moves their tasks on (success, retry,
// failed). The outcomes of attempts that end close together are written as one unsynced
// batch (a lost outcome only repeats a delivery, which webhook-id makes safe), so the
// workers sending callbacks never wait on storage.
//
// Until its outcome is written a task stays in flight (InFlight), so it cannot begin again;
// once written, it leaves flight and only then is a retry re-armed.
//
// Threads: owns one thread, the recorder, between Start() and Stop(). Record() and
// WaitForRecords() may be called from any thread. record_mu_ guards the queue and the
// counters below and is never held while writing. The recorder takes the task stripes of a
// whole group (TaskLocks::LockAll) around its read-modify-write, then InFlight's mutex.
//
// Owned by TaskService, which starts it at construction and stops it at destruction.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "metrics/metrics.h"
#include "model/app.h"
#include "model/task.h"
#include "storage/store.h"
#include "tasks/in_flight.h"
#include "tasks/task_locks.h"

namespace tock {

class DueSource;

class OutcomeRecorder {
 public:
  OutcomeRecorder(Store& store, DueSource& loader, const Clock& clock, TaskLocks& locks,
                  InFlight& in_flight, int64_t retention_ms);
  ~OutcomeRecorder();  // Stop()
  OutcomeRecorder(const OutcomeRecorder&) = delete;
  OutcomeRecorder& operator=(const OutcomeRecorder&) = delete;

  // Starts the recorder thread. REQUIRES: not started before.
  void Start();
  // Writes every outcome queued, then joins the thread. Idempotent.
  void Stop();

  // Queues the attempt's outcome and returns. Blocks only while kMaxPendingRecords outcomes
  // wait to be written (backpressure). not_before_ms > 0 (a receiver's Retry-After): a retry
  // waits at least until then.
  void Record(AttemptTicket ticket, const App& app, Attempt attempt, int64_t not_before_ms);
  // Blocks until every outcome queued before the call is written (or its write failed,
  // which is logged).
  void WaitForRecords();

 private:
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

  // What writing one outcome does once the batch is written.
  struct Effect {
    uint64_t id = 0;
    std::optional<int64_t> rearm;            // the retry's due time
    metrics::Counter* transition = nullptr;  // counted once the write succeeded
  };

  void RecordLoop();
  // Writes one group of outcomes as one batch, then re-arms retries.
  void WriteRecords(std::vector<PendingRecord>& group);
  // Builds and writes the group's batch; fills *effects (effects[i] is group[i]'s). The
  // first pass trusts the tickets' copies of the tasks where it may (see the .cc);
  // `reread` reads every task from the store (after a stale write). REQUIRES: every task of
  // the group locked.
  Status WriteBatch(std::vector<PendingRecord>& group, bool reread, std::vector<Effect>* effects);

  Store& store_;
  DueSource& loader_;
  const Clock& clock_;
  TaskLocks& locks_;
  InFlight& in_flight_;
  const int64_t retention_ms_;

  std::mutex record_mu_;
  std::condition_variable record_cv_;       // records_ gained an entry, or stopping
  std::condition_variable record_done_cv_;  // a group was taken or written
  std::vector<PendingRecord> records_;      // GUARDED_BY(record_mu_)
  uint64_t records_queued_ = 0;             // GUARDED_BY(record_mu_): ever handed over
  uint64_t records_written_ = 0;            // GUARDED_BY(record_mu_): ever written (or failed)
  bool record_stop_ = false;                // GUARDED_BY(record_mu_)
  bool recorder_idle_ = false;              // GUARDED_BY(record_mu_): waiting on record_cv_
  std::thread recorder_;
};

}  // namespace tock
