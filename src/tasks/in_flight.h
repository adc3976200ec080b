// InFlight: the attempts in flight, in memory only. "running" is not a stored state: a task
// keeps its due entry until its attempt's outcome is written, so a crash during an attempt
// leaves it due and it is attempted again after restart (at-least-once).
//
// Each attempt in flight has a cancel flag, shared with its AttemptTicket: Cancel() raises it
// (under the task's stripe, see TaskLocks) to abort the attempt and to tell the outcome
// recorder that its ticket's copy of the task is stale; shutdown raises them all.
//
// Owned by TaskService; shared by reference with the outcome recorder. Thread-safety: any
// thread; one mutex (mu_) guards the table and is never held while calling out. Lock order:
// task stripes, then mu_.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "model/task.h"

namespace tock {

// What the dispatcher holds while an attempt is in flight.
struct AttemptTicket {
  Task task;
  int64_t due_ms = 0;
  std::shared_ptr<std::atomic<bool>> cancel;  // set by Cancel() or shutdown
  // The probe of an automatically paused application (the delivery engine sets it): its
  // failure is recorded but does not spend the task's retries, since a paused application's
  // tasks must not fail for the outage that paused it.
  bool probe = false;
};

class InFlight {
 public:
  using Flag = std::shared_ptr<std::atomic<bool>>;

  InFlight() = default;
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

  // Marks id in flight and returns its cancel flag; nullptr if it already is.
  Flag Begin(uint64_t id) {
    auto flag = std::make_shared<std::atomic<bool>>(false);
    std::lock_guard<std::mutex> l(mu_);
    if (!flags_.emplace(id, flag).second) return nullptr;
    return flag;
  }
  void End(uint64_t id) {
    std::lock_guard<std::mutex> l(mu_);
    flags_.erase(id);
  }
  // Ends id_of(item) for every item, under one lock.
  template <typename Range, typename IdOf>
  void EndAll(const Range& items, IdOf id_of) {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& item : items) flags_.erase(id_of(item));
  }
  bool Contains(uint64_t id) const {
    std::lock_guard<std::mutex> l(mu_);
    return flags_.count(id) > 0;
  }
  // Raises id's cancel flag if it is in flight. REQUIRES: id's stripe held (TaskLocks).
  void Cancel(uint64_t id) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = flags_.find(id);
    if (it != flags_.end()) it->second->store(true);
  }
  void CancelAll() {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [id, flag] : flags_) flag->store(true);
  }
  size_t size() const {
    std::lock_guard<std::mutex> l(mu_);
    return flags_.size();
  }
  // The ids in flight now (the "running" task list). O(in flight), under the lock.
  std::vector<uint64_t> Ids() const {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<uint64_t> ids;
    ids.reserve(flags_.size());
    for (const auto& [id, flag] : flags_) ids.push_back(id);
    return ids;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Flag> flags_;  // GUARDED_BY(mu_)
};

}  // namespace tock
