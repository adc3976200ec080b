#include "schedules/fire_path.h"

#include <algorithm>

#include "common/log.h"
#include "common/thread_name.h"
#include "schedules/schedule_service.h"

namespace tock {

void FirePath::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    NameThisThread("tock-fires");
    Run();
  });
}

void FirePath::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FirePath::Submit(const std::vector<std::pair<uint64_t, int64_t>>& timers) {
  if (timers.empty()) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.insert(queue_.end(), timers.begin(), timers.end());
  }
  cv_.notify_one();
}

void FirePath::Run() {
  std::vector<std::pair<uint64_t, int64_t>> work;
  for (;;) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      work.swap(queue_);
    }
    for (size_t i = 0; i < work.size(); i += kMaxGroup) {
      const size_t end = std::min(work.size(), i + kMaxGroup);
      std::vector<std::pair<uint64_t, int64_t>> group(work.begin() + i, work.begin() + end);
      Status st = schedules_.FireBatch(group);
      if (!st.ok()) {
        log::Error("schedule.fire_failed",
                   {{"timers", static_cast<uint64_t>(group.size())}, {"error", st.message()}});
      }
    }
    work.clear();
  }
}

}  // namespace tock
