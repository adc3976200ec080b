// DueLoader: moves due-index entries from the store into the timing wheel as time advances,
// so the wheel holds only the near horizon and memory does not grow with tasks waiting far
// in the future. Start-up reads only [earliest, now + horizon), not the whole index.
//
// Invariant (the watermark W, a (due_ms, id) key): every due entry with key < W has been
// handed to the wheel, or was written after the loader passed it and is then handed over by
// Arm(). The loader raises W *before* it scans up to the new W, and Arm() reads W *after*
// the entry is written, so no entry falls between the two: either Arm() sees the new W and
// schedules the entry itself, or the write happened before the raise and the scan sees it.
// An entry may reach the wheel twice; the wheel keeps one timer per id, and the dispatcher
// ignores a timer whose due time no longer matches the task.
//
// A scan hands over at most max_batch entries at a time (a backlog after downtime does not
// land in memory at once): W then stops just past the last entry handed over.
//
// Rewind (an attempt whose outcome could not be written, e.g. disk full): the entry is
// still in the store but below W, so nothing would hand it over again before a restart.
// Rewind remembers the lowest such key; the first pass that finds storage healthy lowers W
// to it and scans forward again (entries already in the wheel are replaced, stale ones are
// ignored by the dispatcher). While storage refuses writes nothing is handed over again,
// so a long disk-full spell repeats each unrecorded delivery once, not every second.
//
// Thread-safety: Arm/Disarm from any thread. Start/Stop from the owner. One loader thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "tasks/due_source.h"

namespace tock {

class Store;
class TimerService;

struct DueLoaderOptions {
  int64_t horizon_ms = 60'000;      // how far ahead the wheel holds timers
  int64_t interval_ms = 1'000;      // how often the loader raises the watermark
  size_t max_batch = 100'000;       // entries handed over per scan
};

class DueLoader final : public DueSource {
 public:
  DueLoader(Store& store, TimerService& timers, const Clock& clock, DueLoaderOptions opts);
  ~DueLoader() override;
  DueLoader(const DueLoader&) = delete;
  DueLoader& operator=(const DueLoader&) = delete;

  // One synchronous pass at start-up; a backlog larger than max_batch streams in later.
  Status LoadInitial() override;
  void Start() override;
  void Stop() override;

  // REQUIRES: the due entry (due_ms, id) is already written to the store.
  void Arm(uint64_t id, int64_t due_ms) override;
  void Disarm(uint64_t id) override;
  // REQUIRES: the due entry (due_ms, id) is still in the store. Hands it over again on the
  // first pass after storage is healthy (see the header comment).
  void Rewind(uint64_t id, int64_t due_ms) override;

  // Runs one loader pass; returns entries handed over. For tests and the loader thread.
  Result<size_t> LoadOnce();
  bool caught_up() const override { return caught_up_.load(); }
  int64_t watermark_ms() const;

 private:
  void Run();

  Store& store_;
  TimerService& timers_;
  const Clock& clock_;
  const DueLoaderOptions opts_;

  mutable std::mutex mu_;
  int64_t wm_ms_;     // GUARDED_BY(mu_): watermark key (wm_ms_, wm_id_)
  uint64_t wm_id_;    // GUARDED_BY(mu_)
  bool rewind_ = false;       // GUARDED_BY(mu_): a Rewind is pending, from key below
  int64_t rewind_ms_ = 0;     // GUARDED_BY(mu_)
  uint64_t rewind_id_ = 0;    // GUARDED_BY(mu_)
  std::mutex scan_mu_;  // one scan at a time
  std::atomic<bool> caught_up_{false};

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stop_ = false;  // GUARDED_BY(run_mu_)
  std::thread thread_;
};

}  // namespace tock
