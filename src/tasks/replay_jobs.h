// ReplayJobs: "replay every failed delivery that matches" as a server-side job
// (POST /admin/failed/replay, GET /admin/failed/replay/{jobId}), safe on 100 000 tasks.
//
// A job replays the tasks of its applications whose failure time is in [from_ms, to_ms),
// capped at the job's creation time, so a task that fails again after its replay is not
// the job's to replay again (no loop). It walks the failed-at index (model/task_list.h) in
// chunks of kChunk tasks: each chunk is one TaskService::ReplayFailed call (the chunk's
// stripes, one synced batch), then the next chunk starts after the last entry read. So no
// lock or transaction spans the job, memory holds one chunk, and each replay re-reads its
// task under its stripe: a task replayed meanwhile (by hand or by another job) is skipped,
// never run twice.
//
// Asked twice: a second job with the same filter while the first is queued or running is the
// first (its id comes back). Jobs live in memory: after a restart the ids are gone (404),
// and asking again replays what is still failed. The last kKeptJobs jobs stay readable.
//
// Threads: owns one worker thread between Start() and Stop(); jobs run one after another,
// in the order asked. Submit() and Get() may be called from any thread; mu_ guards the jobs
// and is never held while the worker calls the store or the task service.
// Owned by the server; REQUIRES: the store and the task service outlive it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/store.h"

namespace tock {

class TaskService;

struct ReplayFilter {
  std::vector<std::string> app_keys;  // one application, or every registered one
  int64_t from_ms = INT64_MIN;        // failure time: from_ms <= finished_ms < to_ms
  int64_t to_ms = INT64_MAX;
  friend bool operator==(const ReplayFilter&, const ReplayFilter&) = default;
};

// A job as GET /admin/failed/replay/{jobId} shows it.
struct ReplayJobView {
  enum class State : uint8_t { kQueued, kRunning, kDone, kFailed, kStopped };
  std::string id;
  State state = State::kQueued;
  ReplayFilter filter;
  int64_t created_ms = 0;
  int64_t cutoff_ms = 0;   // failures from this time on are not the job's (= created_ms)
  int64_t finished_ms = 0;
  std::optional<uint64_t> total;  // matching tasks counted when the job began; unset before
  uint64_t done = 0;              // tasks handled so far: replayed + skipped
  uint64_t replayed = 0;
  uint64_t skipped = 0;           // no longer failed, or running, when their chunk came
  std::string error;              // why it failed
};
const char* ReplayStateName(ReplayJobView::State s);

class ReplayJobs {
 public:
  static constexpr size_t kChunk = 256;     // tasks per ReplayFailed call (one batch)
  static constexpr size_t kKeptJobs = 64;   // finished jobs kept for GET

  ReplayJobs(Store& store, TaskService& tasks, const Clock& clock);
  ~ReplayJobs();  // Stop()
  ReplayJobs(const ReplayJobs&) = delete;
  ReplayJobs& operator=(const ReplayJobs&) = delete;

  void Start();
  // Stops between two chunks (the job in progress ends "stopped"), then joins. Idempotent.
  void Stop();

  // Queues a job, or returns the queued or running one with the same filter (*existing).
  ReplayJobView Submit(ReplayFilter filter, bool* existing);
  std::optional<ReplayJobView> Get(const std::string& id) const;

 private:
  void Loop();
  void Run(const std::string& id);
  // Counts the job's matching tasks (a key-only walk of its index ranges).
  Result<uint64_t> Count(const ReplayJobView& job);
  // Replays the job's tasks of one application, chunk by chunk.
  Status RunApp(const std::string& id, const ReplayJobView& job, const std::string& app_key);
  void Update(const std::string& id, const std::function<void(ReplayJobView&)>& fn);
  bool stopping() const;

  Store& store_;
  TaskService& tasks_;
  const Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, ReplayJobView> jobs_;  // GUARDED_BY(mu_)
  std::deque<std::string> queue_;              // GUARDED_BY(mu_): ids not begun
  std::deque<std::string> finished_;           // GUARDED_BY(mu_): oldest first
  uint64_t seq_ = 0;                           // GUARDED_BY(mu_)
  bool stop_ = false;                          // GUARDED_BY(mu_)
  std::thread worker_;
};

}  // namespace tock
