// TaskService's committer (task_service.h): creates from many threads are written in groups,
// each answered once, after its write, with the id the stored task has; a taskNo yields one
// task however many concurrent creates carry it. Real RocksDB in a temp dir; nothing fires
// (the tasks are due in an hour and the timer thread is never started).
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "testutil/task_rig.h"

namespace tock {
namespace {

struct Fixture : testing::TaskRig {
  explicit Fixture(std::unique_ptr<testing::StoreBackend> backend)
      : TaskRig(std::move(backend)) {
    REQUIRE(loader->LoadInitial().ok());
  }

  static App MakeApp(const std::string& key) {
    App a;
    a.app_key = key;
    a.secret_key = "s";
    return a;
  }

  TaskSpec Spec(std::string task_no = "") const {
    TaskSpec s;
    s.task_no = std::move(task_no);
    s.content = "{}";
    s.runtime_ms = clock.WallMs() + 3'600'000;
    return s;
  }
};

TEST_CASE_TEMPLATE("TaskService: concurrent creates with one taskNo make one task",
    Backend, TOCK_STORE_BACKENDS) {
  Fixture f(std::make_unique<Backend>());
  const App app = Fixture::MakeApp("commitapp0000001");
  constexpr int kThreads = 16;
  std::vector<CreatedTask> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = f.tasks->Create(app, {f.Spec("same-no")});
      REQUIRE(r.ok());
      got[i] = r->front();
    });
  }
  for (auto& t : threads) t.join();
  int fresh = 0;
  for (const CreatedTask& c : got) {
    CHECK(c.id == got[0].id);
    fresh += c.duplicate ? 0 : 1;
  }
  CHECK(fresh == 1);
  auto stored = f.store->FindTaskNo(app.app_key, "same-no");
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK(**stored == got[0].id);
}

TEST_CASE_TEMPLATE("TaskService: CreateAsync answers each create once, after its task is stored",
    Backend, TOCK_STORE_BACKENDS) {
  Fixture f(std::make_unique<Backend>());
  const App a = Fixture::MakeApp("commitapp0000002");
  const App b = Fixture::MakeApp("commitapp0000003");
  constexpr int kCreates = 2000;
  std::mutex mu;
  std::map<int, std::vector<CreatedTask>> answers;
  std::atomic<int> answered{0};
  std::atomic<int> missing_at_answer{0};
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> on_caller_thread{0};
  for (int i = 0; i < kCreates; ++i) {
    // Every third create repeats a taskNo of its app; a and b share taskNos but not tasks.
    const App& app = i % 2 == 0 ? a : b;
    std::vector<TaskSpec> specs;
    specs.push_back(f.Spec(i % 3 == 0 ? "n-" + std::to_string(i % 30) : ""));
    if (i % 5 == 0) specs.push_back(f.Spec());  // some creates carry two tasks
    f.tasks->CreateAsync(app, std::move(specs), [&, i](Result<std::vector<CreatedTask>> r) {
      REQUIRE(r.ok());
      if (std::this_thread::get_id() == caller) on_caller_thread.fetch_add(1);
      for (const CreatedTask& c : *r) {
        if (!f.store->GetTask(c.id).ok()) missing_at_answer.fetch_add(1);
      }
      std::lock_guard<std::mutex> l(mu);
      CHECK(answers.emplace(i, std::move(r).value()).second);  // answered once
      answered.fetch_add(1);
    });
  }
  for (int spins = 0; answered.load() < kCreates && spins < 2000; ++spins) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(answered.load() == kCreates);
  CHECK(on_caller_thread.load() == 0);
  CHECK(missing_at_answer.load() == 0);

  // Fresh tasks have distinct ids; a repeated taskNo points at one task per app.
  std::set<uint64_t> fresh_ids;
  std::map<std::pair<int, std::string>, uint64_t> by_no;
  size_t fresh = 0;
  for (const auto& [i, created] : answers) {
    REQUIRE(created.size() == (i % 5 == 0 ? 2u : 1u));
    for (size_t k = 0; k < created.size(); ++k) {
      if (!created[k].duplicate) {
        ++fresh;
        fresh_ids.insert(created[k].id);
      }
      if (k == 0 && i % 3 == 0) {
        auto [it, first] = by_no.emplace(std::make_pair(i % 2, "n-" + std::to_string(i % 30)),
                                         created[k].id);
        CHECK(it->second == created[k].id);
        CHECK(created[k].duplicate == !first);
      }
    }
  }
  CHECK(fresh_ids.size() == fresh);
  // The taskNos are n-k for k = i % 30 with 3 | i: ten of them, and k has i's parity, so
  // five per app.
  CHECK(by_no.size() == 10);
}

TEST_CASE_TEMPLATE("TaskService: a create whose taskNo repeats inside one batch and across batches",
    Backend, TOCK_STORE_BACKENDS) {
  Fixture f(std::make_unique<Backend>());
  const App app = Fixture::MakeApp("commitapp0000004");
  auto first = f.tasks->Create(app, {f.Spec("x"), f.Spec("y"), f.Spec("x")});
  REQUIRE(first.ok());
  CHECK_FALSE((*first)[0].duplicate);
  CHECK_FALSE((*first)[1].duplicate);
  CHECK((*first)[2].duplicate);
  CHECK((*first)[2].id == (*first)[0].id);
  auto second = f.tasks->Create(app, {f.Spec("y"), f.Spec("z")});
  REQUIRE(second.ok());
  CHECK((*second)[0].duplicate);
  CHECK((*second)[0].id == (*first)[1].id);
  CHECK_FALSE((*second)[1].duplicate);
  CHECK((*second)[1].id != (*first)[0].id);
  CHECK((*second)[1].id != (*first)[1].id);
}

TEST_CASE_TEMPLATE("TaskService: creates without taskNos, written by their own threads, get distinct ids",
    Backend, TOCK_STORE_BACKENDS) {
  Fixture f(std::make_unique<Backend>());
  const App app = Fixture::MakeApp("commitapp0000005");
  constexpr int kThreads = 4;
  constexpr int kBatches = 20;
  std::mutex mu;
  std::set<uint64_t> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<TaskSpec> specs(50, f.Spec());
        auto r = f.tasks->Create(app, std::move(specs));
        REQUIRE(r.ok());
        for (const CreatedTask& c : *r) {
          CHECK_FALSE(c.duplicate);
          auto stored = f.store->GetTask(c.id);
          REQUIRE(stored.ok());
          CHECK(stored->task_no.size() == 36);  // a generated UUID, registered as a taskNo
          auto by_no = f.store->FindTaskNo(app.app_key, stored->task_no);
          REQUIRE(by_no.ok());
          CHECK(by_no->value_or(0) == c.id);
          std::lock_guard<std::mutex> l(mu);
          CHECK(ids.insert(c.id).second);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ids.size() == kThreads * kBatches * 50);
}

}  // namespace
}  // namespace tock
