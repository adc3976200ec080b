// Clock steps (issue 5, Faults): a wall clock that steps forward or back must neither fire a task
// early (before its runtime, by the wall clock at the moment it fires) nor lose one. Driven through
// the Clock seam: TaskService, DueLoader and TimerService on a real store, all reading one
// FakeClock, the timer ticked by hand. The machine's clock is never touched.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "testutil/task_rig.h"

namespace tock {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;

struct Fire {
  uint64_t id;
  int64_t due_ms;
  int64_t wall_at_fire;
};

DueLoaderOptions Horizon(int64_t ms) {
  DueLoaderOptions lo;
  lo.horizon_ms = ms;
  return lo;
}

// The rig, with fired timers collected with the wall time they fired at.
struct Fixture : testing::TaskRig {
  std::vector<Fire> fired;
  App app;

  explicit Fixture(std::unique_ptr<testing::StoreBackend> backend)
      : TaskRig(std::move(backend),
                [this](std::vector<TimerService::Fired>& b) {
                  for (const auto& f : b) fired.push_back({f.id, f.due_wall_ms, clock.WallMs()});
                },
                Horizon(kMinute)) {
    app.app_key = "clockstepapp0001";
    app.secret_key = "s";
    app.step_s = 1;
    app.retry_total = 3;
    REQUIRE(loader->LoadInitial().ok());
  }

  uint64_t Create(int64_t runtime_ms) {
    TaskSpec spec;
    spec.content = "{}";
    spec.runtime_ms = runtime_ms;
    auto r = tasks->Create(app, {spec});
    REQUIRE(r.ok());
    return (*r)[0].id;
  }

  // One round of what the loader and timer threads do.
  void Pass() {
    REQUIRE(loader->LoadOnce().ok());
    timers->TickForTest();
  }

  // Time passes in steps of `step` ms (both clocks), with a pass after each.
  void Run(int64_t ms, int64_t step = 1000) {
    for (int64_t done = 0; done < ms;) {
      const int64_t d = std::min(step, ms - done);
      clock.Advance(d);
      done += d;
      Pass();
    }
  }

  std::map<uint64_t, int> FireCounts() const {
    std::map<uint64_t, int> n;
    for (const Fire& f : fired) ++n[f.id];
    return n;
  }

  // Every fire so far happened at or after its due time by the wall clock of that moment (the
  // timer's 5 ms tolerance is waited out by the dispatcher before it sends).
  void CheckNoneEarly() const {
    for (const Fire& f : fired) {
      INFO("task ", f.id, " due ", f.due_ms, " fired at wall ", f.wall_at_fire);
      CHECK(f.wall_at_fire >= f.due_ms - 5);
    }
  }
};

}  // namespace

TEST_SUITE("ClockSteps") {
  TEST_CASE_TEMPLATE(
      "a wall clock stepped back an hour holds a loaded task until its "
      "runtime", Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    const int64_t due = fx.clock.WallMs() + 10'000;
    const uint64_t id = fx.Create(due);  // inside the horizon: armed at once
    fx.Pass();
    CHECK(fx.timers->Size() == 1);
    fx.clock.StepWall(-kHour);
    fx.Run(10'000);  // the monotonic deadline passes; the wall reads an hour early
    CHECK(fx.fired.empty());
    CHECK(fx.timers->Size() == 1);  // still held, not dropped
    fx.Run(kHour - 1000, 60'000);   // the wall is 1 s short of the runtime
    CHECK(fx.fired.empty());
    fx.Run(1000, 10);
    REQUIRE(fx.fired.size() == 1);
    CHECK(fx.fired[0].id == id);
    CHECK(fx.fired[0].due_ms == due);
    fx.CheckNoneEarly();
    // The fire is a real one: the task begins its attempt.
    auto begun = fx.tasks->BeginAttempt(id, due);
    REQUIRE(begun.ok());
    CHECK(begun->has_value());
    fx.tasks->AbandonAttempt(**begun);
  }

  TEST_CASE_TEMPLATE(
      "a wall clock stepped forward fires what became due, none early, "
      "none lost", Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    const int64_t now = fx.clock.WallMs();
    const uint64_t soon = fx.Create(now + 10'000);        // in the wheel already
    const uint64_t half = fx.Create(now + 30 * kMinute);  // overdue after the step
    const uint64_t far = fx.Create(now + 2 * kHour);      // still ahead after the step
    fx.Pass();
    fx.clock.StepWall(kHour);
    fx.Pass();
    // The loader's horizon jumped with the wall clock: the half-hour task is overdue now.
    CHECK(fx.FireCounts() == std::map<uint64_t, int>{{half, 1}});
    // The task already in the wheel keeps its monotonic deadline: late by the wall, not lost.
    fx.Run(10'000);
    CHECK(fx.FireCounts() == std::map<uint64_t, int>{{soon, 1}, {half, 1}});
    fx.Run(kHour - 10'000 - 2000, 60'000);
    CHECK(fx.FireCounts().count(far) == 0);
    fx.Run(3000, 10);
    CHECK(fx.FireCounts() == std::map<uint64_t, int>{{soon, 1}, {half, 1}, {far, 1}});
    fx.CheckNoneEarly();
  }

  TEST_CASE_TEMPLATE(
      "a task beyond the horizon is loaded only when the stepped-back "
      "wall reaches it", Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    const int64_t due = fx.clock.WallMs() + 5 * kMinute;
    const uint64_t id = fx.Create(due);
    fx.Pass();
    CHECK(fx.timers->Size() == 0);         // on disk only
    fx.Run(4 * kMinute + 30'000, 10'000);  // now inside the horizon: loaded
    CHECK(fx.timers->Size() == 1);
    fx.clock.StepWall(-kHour);
    fx.Run(kHour, 30'000);
    CHECK(fx.fired.empty());
    fx.Run(30'000 + 100, 10);
    CHECK(fx.FireCounts() == std::map<uint64_t, int>{{id, 1}});
    fx.CheckNoneEarly();
  }

  TEST_CASE_TEMPLATE(
      "a failed attempt across a backward step is retried one step later "
      "by the wall", Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    const int64_t due = fx.clock.WallMs() + 1000;
    const uint64_t id = fx.Create(due);
    fx.Run(1000, 10);
    REQUIRE(fx.fired.size() == 1);
    auto begun = fx.tasks->BeginAttempt(id, due);
    REQUIRE(begun.ok());
    REQUIRE(begun->has_value());
    fx.clock.StepWall(-kHour);  // while the attempt is in flight
    Attempt a;
    a.outcome = AttemptOutcome::kFailure;
    a.started_ms = due;
    a.http_status = 500;
    fx.tasks->FinishAttempt(std::move(**begun), fx.app, a);
    fx.tasks->WaitForRecords();
    auto t = fx.store->GetTask(id);
    REQUIRE(t.ok());
    const int64_t retry_due = t->next_run_ms;
    CHECK(retry_due == fx.clock.WallMs() + 1000);  // step 1 s, from the wall clock now
    fx.Run(1000, 10);
    REQUIRE(fx.fired.size() == 2);
    CHECK(fx.fired[1].id == id);
    CHECK(fx.fired[1].due_ms == retry_due);
    fx.CheckNoneEarly();
  }

  TEST_CASE_TEMPLATE("random wall steps back and forth: every task fires once, never early",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    std::mt19937_64 rng(20261121);
    const int64_t start = fx.clock.WallMs();
    std::set<uint64_t> ids;
    int64_t latest_due = 0;
    auto create = [&](int64_t due) {
      ids.insert(fx.Create(due));
      latest_due = std::max(latest_due, due);
    };
    for (int i = 0; i < 300; ++i) create(start + static_cast<int64_t>(rng() % (20 * kMinute)));
    for (int step = 0; step < 400; ++step) {
      if (rng() % 10 == 0) {
        // A step of up to ±30 minutes, either way.
        fx.clock.StepWall(static_cast<int64_t>(rng() % (60 * kMinute)) - 30 * kMinute);
        fx.Pass();
      } else {
        fx.Run(static_cast<int64_t>(rng() % 20'000), 500);
      }
      // Creates keep arriving while the clock jumps around.
      if (step % 20 == 0) {
        create(fx.clock.WallMs() + static_cast<int64_t>(rng() % (10 * kMinute)));
      }
    }
    fx.CheckNoneEarly();
    // No more steps: once the wall clock has passed the latest runtime (steps back may have
    // put it hours behind), everything has fired.
    fx.Run(std::max<int64_t>(0, latest_due - fx.clock.WallMs()) + kMinute, 1000);
    std::map<uint64_t, int> counts = fx.FireCounts();
    CHECK(counts.size() == ids.size());
    for (uint64_t id : ids) {
      INFO("task ", id);
      CHECK(counts[id] == 1);
    }
    fx.CheckNoneEarly();
  }
}

}  // namespace tock
