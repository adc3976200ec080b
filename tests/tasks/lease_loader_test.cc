// LeaseLoader: nodes sharing one PostgreSQL due index (testutil/pg_server.h), each with its
// own wheel. The wheels run on a FakeClock; the leases run on the database's clock.
#include "tasks/lease_loader.h"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/postgres/pg_store.h"
#include "testutil/fake_clock.h"
#include "testutil/pg_server.h"
#include "wheel/timer_service.h"

namespace tock {
namespace {

// One node: its store connection, wheel and loader.
struct Node {
  std::unique_ptr<PgStore> store;
  std::vector<TimerService::Fired> fired;
  std::unique_ptr<TimerService> timers;
  std::unique_ptr<LeaseLoader> loader;

  Node(const std::string& url, const Clock& clock, int64_t lease_ms,
       int64_t interval_ms = 1'000) {
    Result<std::unique_ptr<PgStore>> s = PgStore::Open({.url = url});
    REQUIRE_MESSAGE(s.ok(), s.status().message());
    store = std::move(s).value();
    timers = std::make_unique<TimerService>(clock, [this](std::vector<TimerService::Fired>& b) {
      fired.insert(fired.end(), b.begin(), b.end());
    });
    loader = std::make_unique<LeaseLoader>(
        *store, *timers, clock,
        LeaseLoaderOptions{
            .owner = NewLeaseOwner(), .lease_ms = lease_ms, .interval_ms = interval_ms});
  }
  // One loader pass, then one wheel iteration: the ids now due in this node's wheel.
  std::set<uint64_t> Pass() {
    REQUIRE(loader->LoadOnce().ok());
    timers->TickForTest();
    std::set<uint64_t> ids;
    for (const auto& f : fired) ids.insert(f.id);
    fired.clear();
    return ids;
  }
};

}  // namespace

TEST_CASE("LeaseLoader: each due entry reaches one node's wheel; a stopped node's go to another") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  FakeClock clock{1'700'000'000'000, 5'000'000};
  Node a(url, clock, 60'000);
  Node b(url, clock, 60'000);
  {
    std::unique_ptr<Store::Batch> batch_owned = a.store->NewBatch();
    Store::Batch& batch = *batch_owned;
    for (uint64_t id = 1; id <= 50; ++id) batch.PutDue(clock.WallMs() - 1, id);
    batch.PutDue(clock.WallMs() + 3'600'000, 99);  // beyond the horizon: nobody's yet
    REQUIRE(a.store->Write(batch, true).ok());
  }
  std::set<uint64_t> at_a = a.Pass();
  std::set<uint64_t> at_b = b.Pass();
  CHECK(at_a.size() == 50);
  CHECK(at_b.empty());
  CHECK(at_a.count(99) == 0);

  // A rewind hands what this node holds to its wheel again (after a pause dropped them).
  a.loader->Rewind(0, 0);
  CHECK(a.Pass() == at_a);

  // A clean stop releases the leases: the other node takes them on its next pass.
  a.loader.reset();
  at_b = b.Pass();
  CHECK(at_b == at_a);
}

TEST_CASE("LeaseLoader: a node that stops renewing loses its entries once the lease runs out") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  FakeClock clock{1'700'000'000'000, 5'000'000};
  // A 1.5 s lease on the database's clock: the test waits for it to run out for real.
  constexpr int64_t kLeaseMs = 1500;
  Node dead(url, clock, kLeaseMs);
  Node alive(url, clock, 60'000);
  {
    std::unique_ptr<Store::Batch> batch_owned = dead.store->NewBatch();
    Store::Batch& batch = *batch_owned;
    for (uint64_t id = 1; id <= 10; ++id) batch.PutDue(clock.WallMs() - 1, id);
    REQUIRE(dead.store->Write(batch, true).ok());
  }
  const auto t0 = std::chrono::steady_clock::now();  // before dead's lease begins
  CHECK(dead.Pass().size() == 10);
  std::set<uint64_t> early = alive.Pass();
  // Asserted only while the lease surely runs (a loaded machine may take longer to get
  // here); the database and this process share the machine's clock.
  if (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(kLeaseMs)) {
    CHECK(early.empty());
  }
  // `dead` makes no more passes (as if killed). Until its lease ends nothing moves; after,
  // everything is `alive`'s. Polled, with a generous deadline, not a fixed sleep.
  std::set<uint64_t> taken = early;
  for (int i = 0; i < 400 && taken.size() < 10; ++i) {
    for (uint64_t id : alive.Pass()) taken.insert(id);
    if (taken.size() < 10) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(taken.size() == 10);
}

TEST_CASE("LeaseLoader: a new entry due soon wakes the loader; one due later waits for a pass") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  FakeClock clock{1'700'000'000'000, 5'000'000};
  // Passes 20 s apart (real time), a 60 s horizon: an Arm due within 40 s wakes the loader.
  Node n(url, clock, 60'000, 20'000);
  auto wait_for_timers = [&](size_t want, int64_t max_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_ms);
    for (;;) {
      n.timers->TickForTest();  // applies what the loader scheduled (nothing is due yet)
      if (n.timers->Size() >= want || std::chrono::steady_clock::now() >= until) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return n.timers->Size();
  };
  auto write_due = [&](uint64_t id, int64_t due_ms) {
    std::unique_ptr<Store::Batch> batch = n.store->NewBatch();
    batch->PutDue(due_ms, id);
    REQUIRE(n.store->Write(*batch, true).ok());
  };
  // The first pass, at Start, claims entry 3; the next regular one is 20 s later.
  write_due(3, clock.WallMs() + 100);
  n.loader->Start();
  REQUIRE(wait_for_timers(1, 10'000) == 1);
  write_due(1, clock.WallMs() + 1'000);
  write_due(2, clock.WallMs() + 50'000);
  // Due in 50 s: the next regular pass claims it in time, and no pass runs now. (No other
  // pass can come sooner, so on a slow machine this only gets easier to pass.)
  n.loader->Arm(2, clock.WallMs() + 50'000);
  CHECK(wait_for_timers(2, 500) == 1);
  // Due in 1 s: claimed at once, and the pass takes the other new entry too.
  n.loader->Arm(1, clock.WallMs() + 1'000);
  CHECK(wait_for_timers(3, 10'000) == 3);
  n.loader->Stop();
}

}  // namespace tock
