// TaskLocks: striped locks that serialise every read-modify-write of one task (cancel,
// publish, attempt begin and record, retention sweep) without a global lock: the stripe of
// task id is stripes_[id % kStripes].
//
// Owned by TaskService; shared by reference with the outcome recorder and the retention
// sweep. Thread-safety: any thread.
//
// Invariants:
// - A stripe may be held across a store write (cancel and publish write synced), so two
//   changes to tasks sharing a stripe wait one fsync each.
// - A thread that holds several stripes took them in ascending index order (LockAll), so
//   groups cannot deadlock.
// - Lock order: task stripes, then InFlight's mutex (never the reverse).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace tock {

class TaskLocks {
 public:
  static constexpr size_t kStripes = 256;

  TaskLocks() = default;
  TaskLocks(const TaskLocks&) = delete;
  TaskLocks& operator=(const TaskLocks&) = delete;

  std::mutex& For(uint64_t id) { return stripes_[id % kStripes]; }

  // Locks the stripes of every item's task (id_of(item)), each once, in ascending order.
  // The locks are released when the returned vector is cleared or destroyed.
  template <typename Range, typename IdOf>
  std::vector<std::unique_lock<std::mutex>> LockAll(const Range& items, IdOf id_of) {
    std::vector<size_t> stripes;
    stripes.reserve(items.size());
    for (const auto& item : items) stripes.push_back(id_of(item) % kStripes);
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    std::vector<std::unique_lock<std::mutex>> held;
    held.reserve(stripes.size());
    for (size_t i : stripes) held.emplace_back(stripes_[i]);
    return held;
  }

 private:
  std::array<std::mutex, kStripes> stripes_;
};

}  // namespace tock
