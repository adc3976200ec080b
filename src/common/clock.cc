#include "common/clock.h"

#include <time.h>

namespace tock {
namespace {
int64_t ReadMs(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

int64_t SystemClock::WallMs() const { return ReadMs(CLOCK_REALTIME); }
int64_t SystemClock::MonoMs() const { return ReadMs(CLOCK_MONOTONIC); }

int64_t MonoNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

SystemClock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

}  // namespace tock
