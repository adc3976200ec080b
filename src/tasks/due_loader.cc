#include "tasks/due_loader.h"

#include <limits>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/thread_name.h"
#include "storage/store.h"
#include "wheel/timer_service.h"

namespace tock {

DueLoader::DueLoader(Store& store, TimerService& timers, const Clock& clock,
                     DueLoaderOptions opts)
    : store_(store),
      timers_(timers),
      clock_(clock),
      opts_(opts),
      wm_ms_(std::numeric_limits<int64_t>::min()),
      wm_id_(0) {}

DueLoader::~DueLoader() { Stop(); }

int64_t DueLoader::watermark_ms() const {
  std::lock_guard<std::mutex> l(mu_);
  return wm_ms_;
}

void DueLoader::Arm(uint64_t id, int64_t due_ms) {
  bool below;
  {
    std::lock_guard<std::mutex> l(mu_);
    below = due_ms < wm_ms_ || (due_ms == wm_ms_ && id < wm_id_);
  }
  if (below) timers_.Schedule(id, due_ms);
}

void DueLoader::Disarm(uint64_t id) { timers_.Cancel(id); }

void DueLoader::Rewind(uint64_t id, int64_t due_ms) {
  std::lock_guard<std::mutex> l(mu_);
  if (!rewind_ || due_ms < rewind_ms_ || (due_ms == rewind_ms_ && id < rewind_id_)) {
    rewind_ = true;
    rewind_ms_ = due_ms;
    rewind_id_ = id;
  }
}

Result<size_t> DueLoader::LoadOnce() {
  std::lock_guard<std::mutex> scan(scan_mu_);
  bool rewind;
  {
    std::lock_guard<std::mutex> l(mu_);
    rewind = rewind_;
  }
  // healthy() may try to resume a disk-full store, so it is asked without mu_ held.
  if (rewind && store_.healthy()) {
    std::lock_guard<std::mutex> l(mu_);
    if (rewind_ms_ < wm_ms_ || (rewind_ms_ == wm_ms_ && rewind_id_ < wm_id_)) {
      wm_ms_ = rewind_ms_;
      wm_id_ = rewind_id_;
    }
    rewind_ = false;
    log::Info("loader.rewind", {{"from_ms", wm_ms_}});
  }
  // While a backlog drains, hand over more only when the wheel has room: memory stays
  // bounded by max_batch timers however many tasks came due during downtime.
  if (!caught_up_.load() && timers_.Size() >= opts_.max_batch) return size_t{0};
  const int64_t target = clock_.WallMs() + opts_.horizon_ms;
  int64_t from_ms;
  uint64_t from_id;
  {
    // Raise the watermark before scanning (see the invariant in the header).
    std::lock_guard<std::mutex> l(mu_);
    from_ms = wm_ms_;
    from_id = wm_id_;
    if (target <= wm_ms_) return size_t{0};
    wm_ms_ = target;
    wm_id_ = 0;
  }
  std::vector<TimerService::Fired> batch;
  int64_t last_ms = from_ms;
  uint64_t last_id = 0;
  bool capped = false;
  Status s = store_.ScanDue(from_ms, target, [&](int64_t ms, uint64_t id) {
    if (ms == from_ms && id < from_id) return true;  // handed over by an earlier pass
    if (batch.size() >= opts_.max_batch) {
      capped = true;
      return false;
    }
    batch.push_back({id, ms});
    last_ms = ms;
    last_id = id;
    return true;
  });
  if (capped) {
    // Lower the watermark to just past what was handed over; Arm() calls that saw the
    // higher watermark in between scheduled their own entries, which is harmless.
    std::lock_guard<std::mutex> l(mu_);
    wm_ms_ = last_ms;
    wm_id_ = last_id + 1;
  }
  if (!batch.empty()) timers_.ScheduleBatch(batch);
  if (!s.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    wm_ms_ = from_ms;  // retry the whole range next time
    wm_id_ = from_id;
    return s;
  }
  caught_up_.store(!capped);
  return batch.size();
}

Status DueLoader::LoadInitial() {
  // One pass: at most max_batch timers; a larger backlog streams in from the loader thread.
  Result<size_t> n = LoadOnce();
  if (!n.ok()) return n.status();
  log::Info("loader.initial", {{"timers", static_cast<uint64_t>(*n)},
                               {"horizon_ms", opts_.horizon_ms},
                               {"caught_up", caught_up_.load()}});
  return Status::Ok();
}

void DueLoader::Start() {
  std::lock_guard<std::mutex> l(run_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    NameThisThread("tock-due-loader");
    Run();
  });
}

void DueLoader::Stop() {
  {
    std::lock_guard<std::mutex> l(run_mu_);
    stop_ = true;
  }
  run_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DueLoader::Run() {
  std::unique_lock<std::mutex> l(run_mu_);
  while (!stop_) {
    l.unlock();
    Result<size_t> n = LoadOnce();
    if (!n.ok()) log::Error("loader.scan_failed", {{"error", n.status().message()}});
    l.lock();
    // A capped pass means a backlog: come back soon rather than after a full interval.
    auto wait = std::chrono::milliseconds(caught_up_.load() ? opts_.interval_ms : 50);
    run_cv_.wait_for(l, wait, [this] { return stop_; });
  }
}

}  // namespace tock
