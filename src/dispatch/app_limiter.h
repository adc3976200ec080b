// AppLimiter: how many callback attempts each application may have in flight, adapted to how its
// receiver behaves (additive increase, multiplicative decrease, as TCP's window).
//
// Why: workers block while an attempt is in flight, and `max_per_app` alone let a receiver that
// hangs hold max_per_app workers for the whole task timeout: two such applications held all 64
// default workers, and every other application's deliveries stopped (found by the fault suite,
// tools/faults bad-receivers). Now an application starts at kStartSlots, gains one slot per attempt
// that got an answer (success or not: it did not hold a worker for long), up to max_per_app, and
// loses half its slots (never below kStartSlots) per attempt that timed out. A healthy receiver
// reaches max_per_app after a few dozen answers (milliseconds under load); one that hangs holds
// kStartSlots workers, whatever its backlog (so its backlog drains at kStartSlots attempts per task
// timeout).
//
// Invariant: min(kStartSlots, max_per_app) <= Limit(app) <= max_per_app. Not thread-safe: the
// Dispatcher calls it under its mutex. Memory: one int per application that ever had an attempt.
#pragma once

#include <algorithm>
#include <string>
#include <unordered_map>

namespace tock {

class AppLimiter {
 public:
  enum class Signal { kNone, kAnswered, kTimedOut };  // what an attempt's end says
  static constexpr int kStartSlots = 4;

  explicit AppLimiter(int max_per_app) : max_(std::max(1, max_per_app)) {}

  int Limit(const std::string& app_key) const {
    auto it = limits_.find(app_key);
    return it == limits_.end() ? std::min(kStartSlots, max_) : it->second;
  }

  void Record(const std::string& app_key, Signal signal) {
    if (signal == Signal::kNone) return;
    const int floor = std::min(kStartSlots, max_);
    int& limit = limits_.try_emplace(app_key, floor).first->second;
    limit = signal == Signal::kAnswered ? std::min(max_, limit + 1) : std::max(floor, limit / 2);
  }

 private:
  const int max_;
  std::unordered_map<std::string, int> limits_;
};

}  // namespace tock
