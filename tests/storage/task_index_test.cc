// The task-list indexes of the Store interface (storage/store.h, model/task_list.h), run
// against every backend (testutil/store_backends.h): RocksDB keeps them as keys the batch
// writes, PostgreSQL derives them from the tasks table (schema migration 2); both must
// answer the same ranges in the same order.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/store.h"
#include "testutil/store_backends.h"

namespace tock {
namespace {

constexpr const char* kApp = "IndexApp00000001";
constexpr const char* kOther = "IndexApp00000002";

Task MakeTask(uint64_t id, const std::string& app, TaskStatus status, int64_t runtime,
              int64_t finished = 0) {
  Task t;
  t.id = id;
  t.app_key = app;
  t.task_no = "no-" + std::to_string(id);
  t.content = "{}";
  t.runtime_ms = runtime;
  t.next_run_ms = status == TaskStatus::kWaiting ? runtime : 0;
  t.status = status;
  t.finished_ms = finished;
  return t;
}

void Put(Store& store, const std::vector<Task>& tasks) {
  const std::unique_ptr<Store::Batch> b = store.NewBatch();
  for (const Task& t : tasks) {
    b->PutTask(t);
    b->PutTaskNo(t.app_key, t.task_no, t.id);
    b->PutTaskIndex(IndexEntryOf(t));
  }
  REQUIRE(store.Write(*b, true).ok());
}

using Entries = std::vector<std::pair<int64_t, uint64_t>>;

Entries Scan(Store& store, const TaskIndexRange& r, size_t max = 100) {
  Entries out;
  REQUIRE(store.ScanTaskIndex(r, [&](int64_t ms, uint64_t id) {
    out.emplace_back(ms, id);
    return out.size() < max;
  }).ok());
  return out;
}

TaskIndexRange ByDue(const std::string& app, TaskStatus s, bool descending) {
  TaskIndexRange r;
  r.app_key = app;
  r.status = s;
  r.descending = descending;
  return r;
}

}  // namespace

TEST_SUITE("StoreTaskIndex") {
  TEST_CASE_TEMPLATE("the by-due index reads one application's state in due order, both ways",
      Backend, TOCK_STORE_BACKENDS) {
    Backend backend;
    auto store = backend.Open();
    Put(*store, {MakeTask(1, kApp, TaskStatus::kWaiting, 3000),
                 MakeTask(2, kApp, TaskStatus::kWaiting, 1000),
                 MakeTask(3, kApp, TaskStatus::kWaiting, 2000),
                 MakeTask(4, kApp, TaskStatus::kWaiting, 2000),
                 MakeTask(5, kApp, TaskStatus::kSuccess, 1500),
                 MakeTask(6, kOther, TaskStatus::kWaiting, 1200),
                 MakeTask(7, kApp, TaskStatus::kWaiting, -5000)});  // before 1970: still in order

    CHECK(Scan(*store, ByDue(kApp, TaskStatus::kWaiting, false)) ==
          Entries{{-5000, 7}, {1000, 2}, {2000, 3}, {2000, 4}, {3000, 1}});
    CHECK(Scan(*store, ByDue(kApp, TaskStatus::kWaiting, true)) ==
          Entries{{3000, 1}, {2000, 4}, {2000, 3}, {1000, 2}, {-5000, 7}});
    CHECK(Scan(*store, ByDue(kApp, TaskStatus::kSuccess, true)) == Entries{{1500, 5}});
    CHECK(Scan(*store, ByDue(kOther, TaskStatus::kWaiting, true)) == Entries{{1200, 6}});
    CHECK(Scan(*store, ByDue(kOther, TaskStatus::kFailed, true)).empty());

    // A due range is from <= runtime < to; `after` resumes strictly past an entry.
    TaskIndexRange r = ByDue(kApp, TaskStatus::kWaiting, false);
    r.from_ms = 1000;
    r.to_ms = 3000;
    CHECK(Scan(*store, r) == Entries{{1000, 2}, {2000, 3}, {2000, 4}});
    r.after = IndexPos{2000, 3};
    CHECK(Scan(*store, r) == Entries{{2000, 4}});
    r.descending = true;
    CHECK(Scan(*store, r) == Entries{{1000, 2}});
    r.after = IndexPos{9000, 99};  // past the range's end going down: all of it
    CHECK(Scan(*store, r) == Entries{{2000, 4}, {2000, 3}, {1000, 2}});
    r.descending = false;           // ... and nothing going up
    CHECK(Scan(*store, r).empty());
    // Stopping early.
    CHECK(Scan(*store, ByDue(kApp, TaskStatus::kWaiting, true), 2) == Entries{{3000, 1}, {2000, 4}});
  }

  TEST_CASE_TEMPLATE("an entry moves with its task's status and leaves with the task",
      Backend, TOCK_STORE_BACKENDS) {
    Backend backend;
    auto store = backend.Open();
    Put(*store, {MakeTask(11, kApp, TaskStatus::kWaiting, 5000)});
    // Changed as the task service does, from the record as stored (on a store shared by
    // nodes a write from an older copy is refused: Task::revision).
    Result<Task> stored = store->GetTask(11);
    REQUIRE(stored.ok());
    Task t = *stored;
    const TaskIndexEntry before = IndexEntryOf(t);
    t.status = TaskStatus::kFailed;
    t.finished_ms = 7000;
    {
      const std::unique_ptr<Store::Batch> b = store->NewBatch();
      b->DeleteTaskIndex(before);
      b->PutTaskIndex(IndexEntryOf(t));
      b->PutTask(t);
      REQUIRE(store->Write(*b, true).ok());
    }
    CHECK(Scan(*store, ByDue(kApp, TaskStatus::kWaiting, true)).empty());
    CHECK(Scan(*store, ByDue(kApp, TaskStatus::kFailed, true)) == Entries{{5000, 11}});
    TaskIndexRange failed;
    failed.kind = TaskIndexRange::Kind::kFailedAt;
    failed.app_key = kApp;
    CHECK(Scan(*store, failed) == Entries{{7000, 11}});
    failed.to_ms = 7000;  // failed before 7000: not it
    CHECK(Scan(*store, failed).empty());

    const std::unique_ptr<Store::Batch> del = store->NewBatch();
    del->DeleteTaskIndex(IndexEntryOf(t));
    del->DeleteTask(t.id);
    REQUIRE(store->Write(*del, true).ok());
    CHECK(Scan(*store, ByDue(kApp, TaskStatus::kFailed, true)).empty());
    failed.to_ms = INT64_MAX;
    CHECK(Scan(*store, failed).empty());
  }

  TEST_CASE_TEMPLATE("the failed-at index orders an application's failures by failure time",
      Backend, TOCK_STORE_BACKENDS) {
    Backend backend;
    auto store = backend.Open();
    Put(*store, {MakeTask(21, kApp, TaskStatus::kFailed, 100, 9000),
                 MakeTask(22, kApp, TaskStatus::kFailed, 200, 8000),
                 MakeTask(23, kApp, TaskStatus::kCancelled, 300, 8500),
                 MakeTask(24, kOther, TaskStatus::kFailed, 400, 8200),
                 MakeTask(25, kApp, TaskStatus::kFailed, 500, 8000)});
    TaskIndexRange r;
    r.kind = TaskIndexRange::Kind::kFailedAt;
    r.app_key = kApp;
    CHECK(Scan(*store, r) == Entries{{9000, 21}, {8000, 25}, {8000, 22}});
    r.descending = false;
    r.from_ms = 8000;
    r.to_ms = 9000;
    CHECK(Scan(*store, r) == Entries{{8000, 22}, {8000, 25}});
    r.after = IndexPos{8000, 22};
    r.read_ahead = 1;  // a backend that pages must still go on past its first page
    CHECK(Scan(*store, r) == Entries{{8000, 25}});
  }

  TEST_CASE_TEMPLATE("taskNos are read by prefix in bytewise order, both ways, after one",
      Backend, TOCK_STORE_BACKENDS) {
    Backend backend;
    auto store = backend.Open();
    const std::unique_ptr<Store::Batch> b = store->NewBatch();
    uint64_t id = 100;
    for (const char* no : {"inv-10", "inv-2", "inv-1", "Inv-3", "invoice", "inw", "inv", "inv-ü",
                           "inv-\x7f", "refund-1"}) {
      b->PutTaskNo(kApp, no, ++id);
    }
    b->PutTaskNo(kOther, "inv-1", 999);
    REQUIRE(store->Write(*b, true).ok());
    auto scan = [&](std::string_view prefix, std::string_view after, bool desc) {
      std::vector<std::string> out;
      REQUIRE(store->ScanTaskNos(kApp, prefix, after, desc, [&](std::string_view no, uint64_t) {
        out.emplace_back(no);
        return true;
      }).ok());
      return out;
    };
    using V = std::vector<std::string>;
    CHECK(scan("inv-", "", false) == V{"inv-1", "inv-10", "inv-2", "inv-\x7f", "inv-ü"});
    CHECK(scan("inv-", "", true) == V{"inv-ü", "inv-\x7f", "inv-2", "inv-10", "inv-1"});
    CHECK(scan("inv-", "inv-10", false) == V{"inv-2", "inv-\x7f", "inv-ü"});
    CHECK(scan("inv-", "inv-10", true) == V{"inv-1"});
    CHECK(scan("inv", "", false) ==
          V{"inv", "inv-1", "inv-10", "inv-2", "inv-\x7f", "inv-ü", "invoice"});
    CHECK(scan("inv-ü", "", false) == V{"inv-ü"});
    CHECK(scan("zzz", "", false).empty());
    CHECK(scan("", "", false).size() == 10);
  }

  TEST_CASE_TEMPLATE("GetTasks reads the tasks that exist, in the order asked",
      Backend, TOCK_STORE_BACKENDS) {
    Backend backend;
    auto store = backend.Open();
    Put(*store, {MakeTask(31, kApp, TaskStatus::kWaiting, 1), MakeTask(32, kApp, TaskStatus::kWaiting, 2),
                 MakeTask(33, kApp, TaskStatus::kWaiting, 3)});
    Result<std::vector<Task>> got = store->GetTasks({33, 40, 31});
    REQUIRE(got.ok());
    REQUIRE(got->size() == 2);
    CHECK((*got)[0].id == 33);
    CHECK((*got)[1].id == 31);
    CHECK(store->GetTasks({})->empty());
  }
}

}  // namespace tock
