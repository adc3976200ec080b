#include "wheel/timer_service.h"

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/clock.h"
#include "testutil/fake_clock.h"

namespace tock {
namespace {

// Collects what on_fire delivers; one entry per call (one batch).
struct Recorder {
  std::vector<std::vector<TimerService::Fired>> batches;

  TimerService::FireFn Fn() {
    return [this](std::vector<TimerService::Fired>& batch) { batches.push_back(batch); };
  }
  std::vector<uint64_t> TakeIds() {
    std::vector<uint64_t> ids;
    for (const auto& batch : batches) {
      for (const TimerService::Fired& f : batch) ids.push_back(f.id);
    }
    batches.clear();
    return ids;
  }
};

using Ids = std::vector<uint64_t>;

}  // namespace

TEST_SUITE("TimerService") {
  TEST_CASE("a timer fires at its due time, not before, with its wall due time") {
    FakeClock clock;
    Recorder rec;
    TimerService service(clock, rec.Fn());
    const int64_t due = clock.WallMs() + 100;
    service.Schedule(1, due);
    service.TickForTest();
    CHECK(rec.batches.empty());
    CHECK(service.Size() == 1);
    clock.Advance(99);
    service.TickForTest();
    CHECK(rec.batches.empty());
    clock.Advance(1);
    service.TickForTest();
    REQUIRE(rec.batches.size() == 1);
    REQUIRE(rec.batches[0].size() == 1);
    CHECK(rec.batches[0][0].id == 1);
    CHECK(rec.batches[0][0].due_wall_ms == due);
    CHECK(service.Size() == 0);
  }

  TEST_CASE("timers due together come in one batch, in due order") {
    FakeClock clock;
    Recorder rec;
    TimerService service(clock, rec.Fn());
    const int64_t wall = clock.WallMs();
    service.ScheduleBatch({{3, wall + 30}, {1, wall + 10}, {2, wall + 20}, {4, wall + 5000}});
    service.TickForTest();
    CHECK(service.Size() == 4);
    clock.Advance(1000);
    service.TickForTest();
    REQUIRE(rec.batches.size() == 1);
    CHECK(rec.TakeIds() == Ids{1, 2, 3});
    CHECK(service.Size() == 1);
  }

  TEST_CASE("a due time in the past fires on the next tick") {
    FakeClock clock;
    Recorder rec;
    TimerService service(clock, rec.Fn());
    service.Schedule(1, clock.WallMs() - 60'000);
    service.Schedule(2, clock.WallMs());
    service.TickForTest();
    CHECK(rec.TakeIds() == Ids{1, 2});
  }

  TEST_CASE("a wall clock stepped forward after scheduling does not fire early") {
    FakeClock clock;
    Recorder rec;
    TimerService service(clock, rec.Fn());
    const int64_t due = clock.WallMs() + 1000;
    service.Schedule(1, due);
    clock.StepWall(3'600'000);  // the wall clock jumps an hour ahead
    service.TickForTest();
    CHECK(rec.batches.empty());
    clock.Advance(999);
    service.TickForTest();
    CHECK(rec.batches.empty());
    clock.Advance(1);
    service.TickForTest();
    REQUIRE(rec.batches.size() == 1);
    CHECK(rec.batches[0][0].due_wall_ms == due);  // the due time as given, not re-derived
  }

  TEST_CASE("a wall clock stepped back after scheduling fires when the wall reaches the due time") {
    FakeClock clock;
    Recorder rec;
    TimerService service(clock, rec.Fn());
    const int64_t due = clock.WallMs() + 1000;
    service.Schedule(1, due);
    service.TickForTest();
    clock.StepWall(-3'600'000);  // an hour back
    clock.Advance(1000);         // the monotonic deadline passes; the wall reads an hour early
    service.TickForTest();
    CHECK(rec.batches.empty());
    CHECK(service.Size() == 1);  // put back, not dropped
    clock.Advance(3'600'000 - 10);
    service.TickForTest();
    CHECK(rec.batches.empty());
    clock.Advance(10);
    service.TickForTest();
    REQUIRE(rec.batches.size() == 1);
    CHECK(rec.batches[0][0].due_wall_ms == due);
  }

  TEST_CASE("the wall time at the moment of scheduling decides the monotonic deadline") {
    // Scheduled after a step back: "due in 1 s" by the (now earlier) wall clock is 1 s of
    // monotonic time away.
    FakeClock clock;
    Recorder rec;
    TimerService service(clock, rec.Fn());
    clock.StepWall(-10'000);
    service.Schedule(1, clock.WallMs() + 1000);
    clock.Advance(999);
    service.TickForTest();
    CHECK(rec.batches.empty());
    clock.Advance(1);
    service.TickForTest();
    CHECK(rec.TakeIds() == Ids{1});
  }

  TEST_CASE("cancel through the inbox removes a timer already in the wheel") {
    FakeClock clock;
    Recorder rec;
    TimerService service(clock, rec.Fn());
    service.Schedule(1, clock.WallMs() + 100);
    service.Schedule(2, clock.WallMs() + 100);
    service.TickForTest();
    CHECK(service.Size() == 2);
    service.Cancel(1);
    service.Cancel(999);  // unknown: ignored
    clock.Advance(100);
    service.TickForTest();
    CHECK(rec.TakeIds() == Ids{2});
    CHECK(service.Size() == 0);
  }

  TEST_CASE("schedule then cancel in the same inbox drain cancels, in order") {
    FakeClock clock;
    Recorder rec;
    TimerService service(clock, rec.Fn());
    service.Schedule(1, clock.WallMs() + 10);
    service.Cancel(1);
    service.Cancel(2);
    service.Schedule(2, clock.WallMs() + 10);  // cancel before schedule: the schedule stands
    clock.Advance(10);
    service.TickForTest();
    CHECK(rec.TakeIds() == Ids{2});
  }

  TEST_CASE("scheduling an id again replaces its due time") {
    FakeClock clock;
    Recorder rec;
    TimerService service(clock, rec.Fn());
    const int64_t wall = clock.WallMs();
    service.Schedule(1, wall + 100);
    service.TickForTest();
    service.Schedule(1, wall + 500);
    service.TickForTest();
    CHECK(service.Size() == 1);
    clock.Advance(100);
    service.TickForTest();
    CHECK(rec.batches.empty());
    clock.Advance(400);
    service.TickForTest();
    REQUIRE(rec.batches.size() == 1);
    REQUIRE(rec.batches[0].size() == 1);
    CHECK(rec.batches[0][0].due_wall_ms == wall + 500);
  }

  TEST_CASE("on_fire may schedule again from the timer thread") {
    FakeClock clock;
    std::vector<TimerService::Fired> seen;
    TimerService* self = nullptr;
    TimerService service(clock, [&](std::vector<TimerService::Fired>& batch) {
      for (const TimerService::Fired& f : batch) {
        seen.push_back(f);
        if (seen.size() == 1) self->Schedule(f.id, f.due_wall_ms + 1000);  // a retry
      }
    });
    self = &service;
    const int64_t wall = clock.WallMs();
    service.Schedule(5, wall + 10);
    clock.Advance(10);
    service.TickForTest();
    REQUIRE(seen.size() == 1);
    clock.Advance(1000);
    service.TickForTest();
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].id == 5);
    CHECK(seen[1].due_wall_ms == wall + 1010);
  }

  TEST_CASE("extreme due times are clamped, not overflowed") {
    FakeClock clock;
    Recorder rec;
    TimerService service(clock, rec.Fn());
    service.Schedule(1, INT64_MIN);
    service.Schedule(2, INT64_MAX);
    service.TickForTest();
    CHECK(rec.TakeIds() == Ids{1});
    CHECK(service.Size() == 1);
  }

  TEST_CASE("the real thread delivers a timer scheduled 50 ms out") {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<TimerService::Fired> fired;
    TimerService service(SystemClock::Instance(), [&](std::vector<TimerService::Fired>& batch) {
      std::lock_guard<std::mutex> lock(mu);
      fired.insert(fired.end(), batch.begin(), batch.end());
      cv.notify_all();
    });
    service.Start();
    service.Start();  // no-op
    const int64_t due = SystemClock::Instance().WallMs() + 50;
    service.Schedule(42, due);
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, std::chrono::seconds(2), [&] { return !fired.empty(); });
      REQUIRE(fired.size() == 1);
      CHECK(fired[0].id == 42);
      CHECK(fired[0].due_wall_ms == due);
    }
    service.Stop();
    service.Stop();  // idempotent
  }
}

}  // namespace tock
