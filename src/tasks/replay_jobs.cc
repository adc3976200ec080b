// DESIGN
// The worker takes queued job ids in order. For each: count the matching entries (so GET can
// show done/total), then, per application, read up to kChunk entries of the failed-at range
// after the last one read and hand their ids to TaskService::ReplayFailed. A replayed task
// leaves the failed-at index, so the walk never meets it again; the position moves on anyway,
// so a skipped task is not read twice either. Cost per chunk: one index seek, one multi-get,
// one synced batch; a 100 000-task job is ~400 of them.

#include "tasks/replay_jobs.h"

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "common/thread_name.h"
#include "tasks/task_service.h"

namespace tock {
namespace {

// The job's failures of one application, oldest first, up to its cutoff.
TaskIndexRange JobRange(const ReplayJobView& job, const std::string& app_key) {
  return TaskIndexRange{.kind = TaskIndexRange::Kind::kFailedAt, .app_key = app_key,
                        .status = TaskStatus::kFailed, .from_ms = job.filter.from_ms,
                        .to_ms = std::min(job.filter.to_ms, job.cutoff_ms),
                        .descending = false, .after = std::nullopt,
                        .read_ahead = ReplayJobs::kChunk};
}

}  // namespace

const char* ReplayStateName(ReplayJobView::State s) {
  switch (s) {
    case ReplayJobView::State::kQueued: return "queued";
    case ReplayJobView::State::kRunning: return "running";
    case ReplayJobView::State::kDone: return "done";
    case ReplayJobView::State::kFailed: return "failed";
    case ReplayJobView::State::kStopped: return "stopped";
  }
  return "unknown";
}

ReplayJobs::ReplayJobs(Store& store, TaskService& tasks, const Clock& clock)
    : store_(store), tasks_(tasks), clock_(clock) {}

ReplayJobs::~ReplayJobs() { Stop(); }

void ReplayJobs::Start() {
  worker_ = std::thread([this] {
    NameThisThread("tock-replay");
    Loop();
  });
}

void ReplayJobs::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool ReplayJobs::stopping() const {
  std::lock_guard<std::mutex> l(mu_);
  return stop_;
}

ReplayJobView ReplayJobs::Submit(ReplayFilter filter, bool* existing) {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [id, job] : jobs_) {
    const bool active =
        job.state == ReplayJobView::State::kQueued || job.state == ReplayJobView::State::kRunning;
    if (active && job.filter == filter) {
      *existing = true;
      return job;
    }
  }
  *existing = false;
  ReplayJobView job;
  job.created_ms = clock_.WallMs();
  job.cutoff_ms = job.created_ms;
  // Unique across restarts too: the creation time leads.
  job.id = "r" + std::to_string(job.created_ms) + "-" + std::to_string(++seq_);
  job.filter = std::move(filter);
  queue_.push_back(job.id);
  jobs_.emplace(job.id, job);
  cv_.notify_one();
  return job;
}

std::optional<ReplayJobView> ReplayJobs::Get(const std::string& id) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

void ReplayJobs::Update(const std::string& id, const std::function<void(ReplayJobView&)>& fn) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = jobs_.find(id);
  if (it != jobs_.end()) fn(it->second);
}

void ReplayJobs::Loop() {
  for (;;) {
    std::string id;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      id = queue_.front();
      queue_.pop_front();
      jobs_.at(id).state = ReplayJobView::State::kRunning;
    }
    Run(id);
    std::lock_guard<std::mutex> l(mu_);
    finished_.push_back(id);
    while (finished_.size() > kKeptJobs) {
      jobs_.erase(finished_.front());
      finished_.pop_front();
    }
  }
}

void ReplayJobs::Run(const std::string& id) {
  const ReplayJobView job = *Get(id);
  log::Info("replay.started", {{"job", id}, {"apps", static_cast<uint64_t>(job.filter.app_keys.size())}});
  Status st = Status::Ok();
  Result<uint64_t> total = Count(job);
  if (total.ok()) {
    Update(id, [&](ReplayJobView& j) { j.total = *total; });
    for (const std::string& app : job.filter.app_keys) {
      st = RunApp(id, job, app);
      if (!st.ok() || stopping()) break;
    }
  } else {
    st = total.status();
  }
  const bool stopped = st.ok() && stopping();
  ReplayJobView end;
  Update(id, [&](ReplayJobView& j) {
    j.state = !st.ok() ? ReplayJobView::State::kFailed
              : stopped ? ReplayJobView::State::kStopped
                        : ReplayJobView::State::kDone;
    j.error = st.ok() ? "" : st.message();
    j.finished_ms = clock_.WallMs();
    end = j;
  });
  log::Info("replay.finished", {{"job", id}, {"state", ReplayStateName(end.state)},
                                {"replayed", end.replayed}, {"skipped", end.skipped},
                                {"error", end.error}});
}

Result<uint64_t> ReplayJobs::Count(const ReplayJobView& job) {
  uint64_t n = 0;
  for (const std::string& app : job.filter.app_keys) {
    TaskIndexRange r = JobRange(job, app);
    r.read_ahead = 4096;  // a key-only walk: large reads
    TOCK_RETURN_IF_ERROR(store_.ScanTaskIndex(r, [&](int64_t, uint64_t) {
      ++n;
      return true;
    }));
  }
  return n;
}

Status ReplayJobs::RunApp(const std::string& id, const ReplayJobView& job,
                          const std::string& app_key) {
  TaskIndexRange r = JobRange(job, app_key);
  std::vector<uint64_t> ids;
  ids.reserve(kChunk);
  while (!stopping()) {
    ids.clear();
    TOCK_RETURN_IF_ERROR(store_.ScanTaskIndex(r, [&](int64_t ms, uint64_t task_id) {
      ids.push_back(task_id);
      r.after = IndexPos{ms, task_id};
      return ids.size() < kChunk;
    }));
    if (ids.empty()) return Status::Ok();
    Result<size_t> replayed = tasks_.ReplayFailed(ids, r.from_ms, r.to_ms);
    if (!replayed.ok()) return replayed.status();
    Update(id, [&](ReplayJobView& j) {
      j.done += ids.size();
      j.replayed += *replayed;
      j.skipped += ids.size() - *replayed;
    });
    if (ids.size() < kChunk) return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace tock
