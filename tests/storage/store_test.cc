// The Store interface's contract (storage/store.h), run against every backend
// (testutil/store_backends.h). What only the RocksDB store does is tested in
// tests/storage/rocksdb/.
#include "storage/store.h"

#include <doctest/doctest.h>

#include <memory>
#include <utility>
#include <vector>

#include "testutil/store_backends.h"

namespace tock {
namespace {

Task MakeTask(uint64_t id, int64_t due) {
  Task t;
  t.id = id;
  t.app_key = "AppKey0123456789";
  t.task_no = "no-" + std::to_string(id);
  t.name = "n";
  t.content = R"({"k":1})";
  t.runtime_ms = t.next_run_ms = due;
  t.created_ms = 1;
  return t;
}

}  // namespace

TEST_SUITE("Store") {
  TEST_CASE_TEMPLATE("a task batch writes record, due entry and taskNo index together",
      Backend, TOCK_STORE_BACKENDS) {
    Backend backend;
    auto store = backend.Open();
    Task t = MakeTask(7, 5000);
    const std::unique_ptr<Store::Batch> b = store->NewBatch();
    b->PutTask(t);
    b->PutDue(t.next_run_ms, t.id);
    b->PutTaskNo(t.app_key, t.task_no, t.id);
    REQUIRE(store->Write(*b, true).ok());

    Result<Task> got = store->GetTask(7);
    REQUIRE(got.ok());
    CHECK(got->content == t.content);
    CHECK(got->task_no == "no-7");
    auto found = store->FindTaskNo(t.app_key, "no-7");
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK(**found == 7);
    auto other_app = store->FindTaskNo("OtherApp00000000", "no-7");
    REQUIRE(other_app.ok());
    CHECK_FALSE(other_app->has_value());
    CHECK(store->GetTask(8).status().code() == Code::kNotFound);
  }

  TEST_CASE_TEMPLATE("due index scans in due-time order within the bounds",
      Backend, TOCK_STORE_BACKENDS) {
    Backend backend;
    auto store = backend.Open();
    const std::unique_ptr<Store::Batch> b = store->NewBatch();
    b->PutDue(3000, 1);
    b->PutDue(1000, 9);
    b->PutDue(2000, 5);
    b->PutDue(2000, 4);
    b->PutDue(9000, 2);
    REQUIRE(store->Write(*b, false).ok());
    std::vector<std::pair<int64_t, uint64_t>> seen;
    REQUIRE(store->ScanDue(1000, 9000, [&](int64_t ms, uint64_t id) {
      seen.emplace_back(ms, id);
      return true;
    }).ok());
    std::vector<std::pair<int64_t, uint64_t>> want = {{1000, 9}, {2000, 4}, {2000, 5}, {3000, 1}};
    CHECK(seen == want);

    const std::unique_ptr<Store::Batch> del = store->NewBatch();
    del->DeleteDue(2000, 4);
    REQUIRE(store->Write(*del, false).ok());
    seen.clear();
    REQUIRE(store->ScanDue(0, 2500, [&](int64_t ms, uint64_t id) {
      seen.emplace_back(ms, id);
      return seen.size() < 10;
    }).ok());
    want = {{1000, 9}, {2000, 5}};
    CHECK(seen == want);
  }

  TEST_CASE_TEMPLATE("attempts list in order and are removed with the task",
      Backend, TOCK_STORE_BACKENDS) {
    Backend backend;
    auto store = backend.Open();
    const std::unique_ptr<Store::Batch> b = store->NewBatch();
    for (uint32_t n = 1; n <= 12; ++n) {
      Attempt a;
      a.task_id = 3;
      a.number = n;
      a.http_status = 500;
      a.outcome = AttemptOutcome::kFailure;
      b->PutAttempt(a);
    }
    Attempt other;
    other.task_id = 4;
    other.number = 1;
    b->PutAttempt(other);
    REQUIRE(store->Write(*b, false).ok());
    auto list = store->ListAttempts(3);
    REQUIRE(list.ok());
    REQUIRE(list->size() == 12);
    for (uint32_t n = 1; n <= 12; ++n) CHECK((*list)[n - 1].number == n);

    const std::unique_ptr<Store::Batch> del = store->NewBatch();
    del->DeleteAttempts(3);
    REQUIRE(store->Write(*del, false).ok());
    CHECK(store->ListAttempts(3)->empty());
    CHECK(store->ListAttempts(4)->size() == 1);
  }

  TEST_CASE_TEMPLATE("task ids are never reused across a reopen", Backend, TOCK_STORE_BACKENDS) {
    Backend backend;
    uint64_t last = 0;
    {
      auto store = backend.Open();
      auto first = store->AllocateTaskIds(10);
      REQUIRE(first.ok());
      CHECK(*first >= 1);
      auto second = store->AllocateTaskIds(1);
      REQUIRE(second.ok());
      CHECK(*second == *first + 10);
      last = *second;
    }
    auto store = backend.Open();
    auto again = store->AllocateTaskIds(1);
    REQUIRE(again.ok());
    CHECK(*again > last);
  }

  TEST_CASE_TEMPLATE("records survive a reopen", Backend, TOCK_STORE_BACKENDS) {
    Backend backend;
    {
      auto store = backend.Open();
      App app;
      app.app_key = "AppKey0123456789";
      app.secret_key = "s";
      app.link_url = "http://127.0.0.1:1/cb";
      app.step_s = 7;
      const std::unique_ptr<Store::Batch> b = store->NewBatch();
      b->PutApp(app);
      b->PutTask(MakeTask(1, 10));
      REQUIRE(store->Write(*b, true).ok());
    }
    auto store = backend.Open();
    std::vector<App> apps;
    REQUIRE(store->ForEachApp([&](App&& a) { apps.push_back(std::move(a)); }).ok());
    REQUIRE(apps.size() == 1);
    CHECK(apps[0].step_s == 7);
    CHECK(store->GetTask(1).ok());
  }
}

}  // namespace tock
