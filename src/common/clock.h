// Clock: the one seam through which tock reads time, so tests can drive it.
//
// Two clocks, on purpose:
// - WallMs(): UTC milliseconds since the epoch. Due times, createdAt, signatures.
// - MonoMs(): a monotonic millisecond counter. What the timing wheel waits on, so a wall
//   clock that steps forward or back neither fires tasks early nor strands them.
//
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <cstdint>

namespace tock {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t WallMs() const = 0;
  virtual int64_t MonoMs() const = 0;
};

// The real clocks: CLOCK_REALTIME and CLOCK_MONOTONIC.
class SystemClock final : public Clock {
 public:
  int64_t WallMs() const override;
  int64_t MonoMs() const override;
  static SystemClock& Instance();
};

// CLOCK_MONOTONIC in nanoseconds, outside the seam: for durations a process measures of
// itself (request latency, timeouts of connections, pacing of retries), which tests have
// no reason to fake. Same clock as SystemClock::MonoMs().
int64_t MonoNowNs();

}  // namespace tock
