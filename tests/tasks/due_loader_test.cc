#include "tasks/due_loader.h"

#include <doctest/doctest.h>

#include <set>

#include "testutil/store_backends.h"
#include "testutil/fake_clock.h"
#include "wheel/timer_service.h"

namespace tock {
namespace {

struct Fixture {
  std::unique_ptr<testing::StoreBackend> backend;  // first: outlives the store
  FakeClock clock{1'700'000'000'000, 5'000'000};
  std::unique_ptr<Store> store;
  std::vector<TimerService::Fired> fired;
  std::unique_ptr<TimerService> timers;
  std::unique_ptr<DueLoader> loader;

  explicit Fixture(std::unique_ptr<testing::StoreBackend> store_backend,
                   DueLoaderOptions opts = {})
      : backend(std::move(store_backend)) {
    store = backend->Open();
    timers = std::make_unique<TimerService>(clock, [this](std::vector<TimerService::Fired>& b) {
      fired.insert(fired.end(), b.begin(), b.end());
    });
    loader = std::make_unique<DueLoader>(*store, *timers, clock, opts);
  }
  void PutDue(int64_t due, uint64_t id) {
    const std::unique_ptr<Store::Batch> b = store->NewBatch();
    b->PutDue(due, id);
    REQUIRE(store->Write(*b, false).ok());
  }
  std::set<uint64_t> FiredIds() const {
    std::set<uint64_t> ids;
    for (auto& f : fired) ids.insert(f.id);
    return ids;
  }
};

}  // namespace

TEST_SUITE("DueLoader") {
  TEST_CASE_TEMPLATE("only entries inside the horizon reach the wheel",
      Backend, TOCK_STORE_BACKENDS) {
    DueLoaderOptions opts;
    opts.horizon_ms = 60'000;
    Fixture fx(std::make_unique<Backend>(), opts);
    const int64_t now = fx.clock.WallMs();
    fx.PutDue(now + 1'000, 1);
    fx.PutDue(now + 59'000, 2);
    fx.PutDue(now + 3'600'000, 3);        // an hour out
    fx.PutDue(now + 86'400'000LL * 300, 4);  // 300 days out
    REQUIRE(fx.loader->LoadInitial().ok());
    fx.timers->TickForTest();
    CHECK(fx.timers->Size() == 2);
    CHECK(fx.fired.empty());
  }

  TEST_CASE_TEMPLATE("far-future entries are loaded as the horizon moves and fire on time",
      Backend, TOCK_STORE_BACKENDS) {
    DueLoaderOptions opts;
    opts.horizon_ms = 60'000;
    Fixture fx(std::make_unique<Backend>(), opts);
    const int64_t now = fx.clock.WallMs();
    fx.PutDue(now + 3'600'000, 3);
    REQUIRE(fx.loader->LoadInitial().ok());
    fx.timers->TickForTest();
    CHECK(fx.timers->Size() == 0);

    fx.clock.Advance(3'600'000 - 60'000 - 1);  // just outside the horizon still
    REQUIRE(fx.loader->LoadOnce().ok());
    fx.timers->TickForTest();
    CHECK(fx.timers->Size() == 0);
    fx.clock.Advance(2);
    REQUIRE(fx.loader->LoadOnce().ok());
    fx.timers->TickForTest();
    CHECK(fx.timers->Size() == 1);
    CHECK(fx.fired.empty());
    fx.clock.Advance(60'000);
    fx.timers->TickForTest();
    REQUIRE(fx.fired.size() == 1);
    CHECK(fx.fired[0].id == 3);
    CHECK(fx.fired[0].due_wall_ms == now + 3'600'000);
  }

  TEST_CASE_TEMPLATE("Arm schedules an entry below the watermark and leaves later ones to the loader",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture fx(std::make_unique<Backend>());
    const int64_t now = fx.clock.WallMs();
    REQUIRE(fx.loader->LoadInitial().ok());
    fx.PutDue(now + 500, 10);
    fx.loader->Arm(10, now + 500);
    fx.PutDue(now + 7'200'000, 11);
    fx.loader->Arm(11, now + 7'200'000);
    fx.timers->TickForTest();
    CHECK(fx.timers->Size() == 1);
    fx.clock.Advance(500);
    fx.timers->TickForTest();
    CHECK(fx.FiredIds() == std::set<uint64_t>{10});
  }

  TEST_CASE_TEMPLATE("a backlog larger than a batch streams in, bounded by the wheel's room",
      Backend, TOCK_STORE_BACKENDS) {
    DueLoaderOptions opts;
    opts.max_batch = 100;
    Fixture fx(std::make_unique<Backend>(), opts);
    const int64_t now = fx.clock.WallMs();
    for (uint64_t id = 1; id <= 250; ++id) fx.PutDue(now - 10'000 + static_cast<int64_t>(id), id);
    REQUIRE(fx.loader->LoadInitial().ok());
    CHECK_FALSE(fx.loader->caught_up());
    fx.timers->TickForTest();  // fires the first 100 (all overdue)
    CHECK(fx.fired.size() == 100);
    for (int i = 0; i < 5 && !fx.loader->caught_up(); ++i) {
      REQUIRE(fx.loader->LoadOnce().ok());
      fx.timers->TickForTest();
    }
    CHECK(fx.loader->caught_up());
    std::set<uint64_t> ids = fx.FiredIds();
    CHECK(ids.size() == 250);
    CHECK(*ids.begin() == 1);
    CHECK(*ids.rbegin() == 250);
  }
}

}  // namespace tock
