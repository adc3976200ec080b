// TimerService: the timer thread, the only owner of the TimingWheel.
//
// Other threads hand it work through a locked inbox (Schedule, ScheduleBatch, Cancel) and a
// condition variable; the timer thread drains the inbox, advances the wheel to the monotonic
// clock and passes everything due to on_fire, in deadline order, in batches. It sleeps until
// the wheel's next wake time, new inbox work or Stop(), whichever comes first (at most 1 s,
// so the clock is re-read regularly).
//
// Ownership: main owns the service; the Clock must outlive it. The wheel is an index of what
// is due soon, not the truth: storage is. A timer is lost on Stop(), and a Cancel that races
// with firing may come too late (the id is then delivered once): callers re-check storage.
//
// Thread-safety: Schedule, ScheduleBatch, Cancel and Size may be called from any thread,
// including from inside on_fire; they take the inbox lock briefly and never wait for the
// timer thread's work. Start and Stop are for the owning thread. TickForTest must not be
// used while the thread runs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "wheel/timing_wheel.h"

namespace tock {

class TimerService {
 public:
  struct Fired {
    uint64_t id;
    int64_t due_wall_ms;
  };
  // Called on the timer thread with every timer now due (never empty). Must not block or
  // throw: hand the ids to another thread. It may take the batch's contents (swap/move).
  using FireFn = std::function<void(std::vector<Fired>& batch)>;

  // Timers whose id has a bit of lead_mask set fire lead_ms before their due time (schedule
  // timers: their message is written ahead, so that it is delivered on time); Fired still
  // carries the due time itself.
  TimerService(const Clock& clock, FireFn on_fire, uint64_t lead_mask = 0, int64_t lead_ms = 0);
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;
  ~TimerService();  // calls Stop()

  // Starts the timer thread. A second call is a no-op.
  // REQUIRES: Stop() has not been called.
  void Start();
  // Wakes and joins the thread; timers still waiting are dropped. Idempotent.
  void Stop();

  // Schedules id to fire at the wall time due_wall_ms, replacing any timer with that id.
  // The wall due time is converted to the monotonic clock now, at the call:
  //   mono_deadline = clock.MonoMs() + (due_wall_ms - clock.WallMs()),
  // so a wall clock that steps forward later does not fire the timer early. One that steps
  // back is caught at expiry: the timer waits again until the wall clock reaches its due
  // time (see the invariant in timer_service.cc). A due time in the past fires at the next
  // iteration. The Fired entry carries due_wall_ms.
  void Schedule(uint64_t id, int64_t due_wall_ms);
  // Schedule for many timers under one lock, with one reading of the clocks.
  void ScheduleBatch(const std::vector<Fired>& timers);
  // Removes the timer for id if it has not fired yet; unknown ids are ignored.
  void Cancel(uint64_t id);

  // Timers in the wheel after the last iteration (inbox work not yet applied is not
  // counted). An approximate snapshot; any thread.
  size_t Size() const { return size_.load(std::memory_order_relaxed); }

  // One iteration of the thread loop: drain the inbox, Advance to clock.MonoMs(), call
  // on_fire with everything due. Lets tests drive the service with a FakeClock.
  // REQUIRES: the thread is not running.
  void TickForTest();

 private:
  // One inbox entry. Applied in arrival order, so Schedule-then-Cancel of an id cancels.
  struct Op {
    uint64_t id;
    int64_t mono_deadline_ms;
    int64_t due_wall_ms;
    bool cancel;
  };

  void Run();
  // Drain, advance, fire. Timer thread (or TickForTest) only; takes mu_ only to drain.
  void Iterate();
  Op MakeScheduleOp(uint64_t id, int64_t due_wall_ms, int64_t wall_now, int64_t mono_now) const;
  // Adds ops to the inbox; wakes the thread if the inbox was empty (if it was not, a wake-up
  // is already pending or the thread is awake and will look again before sleeping).
  void Post(const Op* ops, size_t count);

  int64_t LeadOf(uint64_t id) const { return (id & lead_mask_) != 0 ? lead_ms_ : 0; }

  const Clock& clock_;
  const FireFn on_fire_;
  const uint64_t lead_mask_;
  const int64_t lead_ms_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Op> inbox_;  // GUARDED_BY(mu_)
  bool stop_ = false;      // GUARDED_BY(mu_)
  // While the thread waits: the monotonic ms it will wake at by itself. Post() wakes it only
  // for an op due before then (or a full inbox); INT64_MIN while it is not waiting (it then
  // looks at the inbox before it waits again). GUARDED_BY(mu_)
  int64_t sleeping_until_ms_ = INT64_MIN;

  std::thread thread_;  // touched by the owning thread only (Start/Stop)

  // Timer thread only.
  TimingWheel wheel_;
  std::vector<Op> work_;                // the drained inbox, reused
  std::vector<ExpiredTimer> expired_;   // reused
  std::vector<Fired> batch_;            // reused

  std::atomic<size_t> size_{0};
};

}  // namespace tock
