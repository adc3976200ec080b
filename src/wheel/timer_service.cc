// DESIGN: one thread owns the wheel; everyone else posts to an inbox (a vector swapped out
// under the lock, so a post is O(1) and the lock is never held while the wheel works or
// on_fire runs). The thread sleeps on a condition variable with a std::chrono::steady_clock
// deadline derived from the wheel's NextWakeMs(), so it wakes within about a millisecond of
// a deadline without polling. NextWakeMs() may be a cascade point rather than a deadline; that
// costs an extra wake-up at most once per level per timer, never a late fire.
//
// Wall times are converted to monotonic deadlines when posted. The wheel runs on MonoMs()
// only; the wall due time rides along as the wheel's tag and comes back in Fired.
//
// Invariant: nothing fires while the wall clock reads earlier than its due time (beyond
// kEarlyToleranceMs). A wall clock stepped back after a timer was posted makes its
// monotonic deadline come too soon; at expiry the timer is then put back for the time the
// wall clock still has to go (re-derived, so a second step is handled the same way). A
// wall clock stepped forward makes timers already in the wheel fire late (by at most the
// wait they had left, i.e. the loader's horizon), never early.
#include "wheel/timer_service.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <limits>
#include <utility>

#include "common/thread_name.h"

namespace tock {
namespace {

// A single wait is capped so the clock is re-read (and deferred posts are taken in) at
// least this often.
constexpr int64_t kMaxWaitMs = 1000;
// Posts that may wait for the thread's own wake-up, at most (bounds the inbox's memory).
constexpr size_t kMaxDeferredOps = 16384;
// A timer whose wall due time is at most this far ahead fires (both clock readings drop
// sub-milliseconds; the dispatcher waits out the last few ms before sending).
constexpr int64_t kEarlyToleranceMs = 5;

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return out;
}

int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_sub_overflow(a, b, &out)) {
    return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return out;
}

}  // namespace

TimerService::TimerService(const Clock& clock, FireFn on_fire, uint64_t lead_mask, int64_t lead_ms)
    : clock_(clock), on_fire_(std::move(on_fire)), lead_mask_(lead_mask), lead_ms_(lead_ms),
      wheel_(clock.MonoMs()) {}

TimerService::~TimerService() { Stop(); }

void TimerService::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    assert(!stop_);
  }
  thread_ = std::thread([this] {
    NameThisThread("tock-timer");
    Run();
  });
}

void TimerService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

TimerService::Op TimerService::MakeScheduleOp(uint64_t id, int64_t due_wall_ms,
                                              int64_t wall_now, int64_t mono_now) const {
  const int64_t fire_wall_ms = SaturatingSub(due_wall_ms, LeadOf(id));
  return Op{id, SaturatingAdd(mono_now, SaturatingSub(fire_wall_ms, wall_now)), due_wall_ms,
            false};
}

void TimerService::Schedule(uint64_t id, int64_t due_wall_ms) {
  // Read wall then mono: the two readings are microseconds apart, far below a tick.
  const int64_t wall_now = clock_.WallMs();
  const int64_t mono_now = clock_.MonoMs();
  const Op op = MakeScheduleOp(id, due_wall_ms, wall_now, mono_now);
  Post(&op, 1);
}

void TimerService::ScheduleBatch(const std::vector<Fired>& timers) {
  if (timers.empty()) return;
  const int64_t wall_now = clock_.WallMs();
  const int64_t mono_now = clock_.MonoMs();
  std::vector<Op> ops;
  ops.reserve(timers.size());
  for (const Fired& t : timers) {
    ops.push_back(MakeScheduleOp(t.id, t.due_wall_ms, wall_now, mono_now));
  }
  Post(ops.data(), ops.size());
}

void TimerService::Cancel(uint64_t id) {
  const Op op{id, 0, 0, true};
  Post(&op, 1);
}

void TimerService::Post(const Op* ops, size_t count) {
  // A cancel, or a timer due no earlier than the thread's own wake-up, can wait in the inbox
  // until then: waking the thread for each would cost a context switch per created task.
  int64_t earliest = std::numeric_limits<int64_t>::max();
  for (size_t i = 0; i < count; ++i) {
    if (!ops[i].cancel) earliest = std::min(earliest, ops[i].mono_deadline_ms);
  }
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.insert(inbox_.end(), ops, ops + count);
    wake = sleeping_until_ms_ != INT64_MIN &&
           (earliest < sleeping_until_ms_ || inbox_.size() >= kMaxDeferredOps);
  }
  if (wake) wake_.notify_one();
}

void TimerService::Iterate() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    work_.swap(inbox_);
  }
  // O(ops): each is O(1) on the wheel.
  for (const Op& op : work_) {
    if (op.cancel) {
      wheel_.Cancel(op.id);
    } else {
      wheel_.Schedule(op.id, op.mono_deadline_ms, op.due_wall_ms);
    }
  }
  work_.clear();

  wheel_.Advance(clock_.MonoMs(), &expired_);
  if (expired_.empty()) {
    size_.store(wheel_.size(), std::memory_order_relaxed);
    return;
  }
  batch_.clear();
  batch_.reserve(expired_.size());
  // Read wall then mono, as Schedule() does. O(expired).
  const int64_t wall_now = clock_.WallMs();
  const int64_t mono_now = clock_.MonoMs();
  for (const ExpiredTimer& e : expired_) {
    if (SaturatingSub(SaturatingSub(e.tag, LeadOf(e.id)), wall_now) > kEarlyToleranceMs) {
      // The wall clock was stepped back: wait for it to reach the due time.
      const Op op = MakeScheduleOp(e.id, e.tag, wall_now, mono_now);
      wheel_.Schedule(op.id, op.mono_deadline_ms, op.due_wall_ms);
      continue;
    }
    batch_.push_back(Fired{e.id, e.tag});
  }
  expired_.clear();
  size_.store(wheel_.size(), std::memory_order_relaxed);
  if (batch_.empty()) return;
  on_fire_(batch_);  // no lock held: on_fire may post back (retries)
  batch_.clear();    // valid even if on_fire moved the contents out
}

void TimerService::TickForTest() {
  assert(!thread_.joinable());
  Iterate();
}

void TimerService::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    Iterate();
    lock.lock();
    if (stop_) break;
    if (!inbox_.empty()) continue;
    // The wheel belongs to this thread; reading it under mu_ is just where we happen to be.
    const int64_t wake_ms = wheel_.NextWakeMs();
    const int64_t now_ms = clock_.MonoMs();
    if (wake_ms <= now_ms) continue;
    // MonoMs() truncates to whole ms, so waiting the full difference from steady_clock's
    // (finer) now cannot wake before wake_ms; lateness is under a tick plus scheduling.
    const int64_t wait_ms = std::min(SaturatingSub(wake_ms, now_ms), kMaxWaitMs);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    sleeping_until_ms_ = now_ms + wait_ms;
    wake_.wait_until(lock, deadline, [this] { return stop_ || !inbox_.empty(); });
    sleeping_until_ms_ = INT64_MIN;
  }
}

}  // namespace tock
