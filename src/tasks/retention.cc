#include "tasks/retention.h"

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "common/log.h"
#include "tasks/task_writes.h"

namespace tock {

Result<size_t> SweepRetiredTasks(Store& store, const Clock& clock, TaskLocks& locks,
                                 int64_t retention_ms, size_t limit) {
  const int64_t now = clock.WallMs();
  std::vector<std::pair<int64_t, uint64_t>> due;
  Status s = store.ScanRetire(INT64_MIN, now, [&](int64_t ms, uint64_t id) {
    due.emplace_back(ms, id);
    return due.size() < limit;
  });
  if (!s.ok()) return s;
  size_t removed = 0;
  for (auto [ms, id] : due) {
    std::lock_guard<std::mutex> l(locks.For(id));
    const std::unique_ptr<Store::Batch> b = store.NewBatch();
    b->DeleteRetire(ms, id);
    Result<Task> t = store.GetTask(id);
    // A task re-armed by publish since it finished stays; only its stale entry goes.
    if (t.ok() && IsFinished(t->status) && t->finished_ms + retention_ms <= now) {
      AddTaskRemoval(*b, *t);
      ++removed;
    }
    Status st = store.Write(*b, /*sync=*/false);
    if (!st.ok()) return st;
  }
  if (removed > 0) log::Info("retention.swept", {{"tasks", static_cast<uint64_t>(removed)}});
  return removed;
}

}  // namespace tock
