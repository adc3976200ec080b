// FakeClock: a Clock that tests move by hand. Wall and monotonic time are independent
// counters, so a test can step the wall clock (NTP, an operator) without moving the monotonic
// one. Thread-safety: every method may be called from any thread (atomics).
#pragma once

#include <atomic>
#include <cstdint>

#include "common/clock.h"

namespace tock {

class FakeClock final : public Clock {
 public:
  // Defaults: 2023-11-14T22:13:20Z on the wall; an arbitrary monotonic count.
  explicit FakeClock(int64_t wall_ms = 1'700'000'000'000, int64_t mono_ms = 1'000'000)
      : wall_ms_(wall_ms), mono_ms_(mono_ms) {}
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  int64_t WallMs() const override { return wall_ms_.load(); }
  int64_t MonoMs() const override { return mono_ms_.load(); }

  // Time passes: both clocks move by ms (>= 0).
  void Advance(int64_t ms) {
    wall_ms_ += ms;
    mono_ms_ += ms;
  }
  // The wall clock is stepped by ms (either sign); the monotonic clock does not move.
  void StepWall(int64_t ms) { wall_ms_ += ms; }
  void SetWall(int64_t wall_ms) { wall_ms_ = wall_ms; }
  void SetMono(int64_t mono_ms) { mono_ms_ = mono_ms; }

 private:
  std::atomic<int64_t> wall_ms_;
  std::atomic<int64_t> mono_ms_;
};

}  // namespace tock
