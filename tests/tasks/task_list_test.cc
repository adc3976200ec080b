// The task lists (tasks/task_list.h), replay, delete and bulk replay jobs
// (tasks/replay_jobs.h) on a TaskRig, against every store backend: tasks are made through
// the task service and moved through its state machine (cancel, attempts that fail or
// succeed, publish), and the lists must follow each move through the indexes.
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tasks/replay_jobs.h"
#include "tasks/task_list.h"
#include "testutil/task_rig.h"

namespace tock {
namespace {

struct Fixture : testing::TaskRig {
  App app = MakeApp("ListApp000000001");
  App other = MakeApp("ListApp000000002");

  explicit Fixture(std::unique_ptr<testing::StoreBackend> backend) : TaskRig(std::move(backend)) {
    REQUIRE(loader->LoadInitial().ok());
  }

  static App MakeApp(const std::string& key) {
    App a;
    a.app_key = key;
    a.secret_key = "s";
    a.retry_total = 0;  // one failed attempt fails the task
    return a;
  }

  // Creates tasks due at `runtimes` (ms from now), with taskNos prefix + index.
  std::vector<uint64_t> Create(const App& a, const std::vector<int64_t>& runtimes,
                               const std::string& prefix = "") {
    std::vector<TaskSpec> specs;
    for (size_t i = 0; i < runtimes.size(); ++i) {
      TaskSpec s;
      s.task_no = prefix.empty() ? "" : prefix + std::to_string(i);
      s.content = "{}";
      s.runtime_ms = clock.WallMs() + runtimes[i];
      specs.push_back(std::move(s));
    }
    auto r = tasks->Create(a, std::move(specs));
    REQUIRE(r.ok());
    std::vector<uint64_t> ids;
    for (const CreatedTask& c : *r) ids.push_back(c.id);
    return ids;
  }

  // One attempt of a waiting task with this outcome (HTTP status), recorded.
  void Attempt(const App& a, uint64_t id, int status) {
    Result<Task> t = store->GetTask(id);
    REQUIRE(t.ok());
    auto begun = tasks->BeginAttempt(id, t->next_run_ms);
    REQUIRE(begun.ok());
    REQUIRE(begun->has_value());
    tock::Attempt at;
    at.started_ms = clock.WallMs();
    at.http_status = status;
    at.outcome = status == 200 ? AttemptOutcome::kSuccess : AttemptOutcome::kFailure;
    at.error = FailureReason(at.outcome, status, "");
    tasks->FinishAttempt(std::move(**begun), a, at);
    tasks->WaitForRecords();
  }

  TaskListFilter Filter(std::vector<std::string> apps, TaskListFilter::State s,
                        size_t limit = 50) const {
    TaskListFilter f;
    f.app_keys = std::move(apps);
    f.state = s;
    f.limit = limit;
    return f;
  }

  // Every id of a listing, following its cursor page by page.
  std::vector<uint64_t> All(TaskListFilter f, bool failed = false) {
    std::vector<uint64_t> ids;
    for (int pages = 0; pages < 1000; ++pages) {
      Result<TaskListPage> p = failed ? tasks->ListFailed(f) : tasks->List(f);
      REQUIRE_MESSAGE(p.ok(), p.status().message());
      for (const ListedTask& t : p->tasks) ids.push_back(t.task.id);
      if (p->next_cursor.empty()) break;
      f.cursor = p->next_cursor;
    }
    return ids;
  }
};

using State = TaskListFilter::State;

}  // namespace

TEST_SUITE("TaskList") {
  TEST_CASE_TEMPLATE("tasks list by application and state, in due order, page by page",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture f(std::make_unique<Backend>());
    const std::vector<uint64_t> ids = f.Create(f.app, {5000, 1000, 3000, 2000, 4000, 1000});
    const std::vector<uint64_t> theirs = f.Create(f.other, {1500});
    // Latest due first, ties by id (latest first).
    const std::vector<uint64_t> desc = {ids[0], ids[4], ids[2], ids[3], ids[5], ids[1]};
    CHECK(f.All(f.Filter({f.app.app_key}, State::kWaiting, 2)) == desc);
    TaskListFilter asc = f.Filter({f.app.app_key}, State::kAny, 4);
    asc.descending = false;
    CHECK(f.All(asc) == std::vector<uint64_t>(desc.rbegin(), desc.rend()));
    // Both applications merged.
    std::vector<uint64_t> both = f.All(f.Filter({f.app.app_key, f.other.app_key}, State::kAny, 3));
    CHECK(both == std::vector<uint64_t>{ids[0], ids[4], ids[2], ids[3], theirs[0], ids[5], ids[1]});
    // A due range: from <= runtime < to.
    TaskListFilter range = f.Filter({f.app.app_key}, State::kAny);
    range.from_ms = f.clock.WallMs() + 2000;
    range.to_ms = f.clock.WallMs() + 5000;
    CHECK(f.All(range) == std::vector<uint64_t>{ids[4], ids[2], ids[3]});
    CHECK(f.All(f.Filter({f.app.app_key}, State::kFailed)).empty());

    // A page reads its ranges, not the store: one page of 2 over 4 states.
    Result<TaskListPage> page = f.tasks->List(f.Filter({f.app.app_key}, State::kAny, 2));
    REQUIRE(page.ok());
    CHECK(page->tasks.size() == 2);
    CHECK(page->examined <= 3);  // only waiting has entries; limit + 1 read
    CHECK_FALSE(page->next_cursor.empty());

    // Bad cursors and limits are refused, naming the query parameter.
    TaskListFilter bad = f.Filter({f.app.app_key}, State::kAny);
    bad.cursor = "zz";
    CHECK(f.tasks->List(bad).status().message().find("query 'cursor'") == 0);
    bad.cursor = "";
    bad.limit = kMaxListLimit + 1;
    CHECK(f.tasks->List(bad).status().message().find("query 'limit'") == 0);
  }

  TEST_CASE_TEMPLATE("every change of state moves the task between lists",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture f(std::make_unique<Backend>());
    const std::vector<uint64_t> ids = f.Create(f.app, {0, 0, 0, 60000});
    f.Attempt(f.app, ids[0], 200);  // success
    f.Attempt(f.app, ids[1], 501);  // failed (no retries)
    REQUIRE(f.tasks->Cancel(f.app, ids[3]).ok());
    CHECK(f.All(f.Filter({f.app.app_key}, State::kSuccess)) == std::vector<uint64_t>{ids[0]});
    CHECK(f.All(f.Filter({f.app.app_key}, State::kFailed)) == std::vector<uint64_t>{ids[1]});
    CHECK(f.All(f.Filter({f.app.app_key}, State::kCancelled)) == std::vector<uint64_t>{ids[3]});
    CHECK(f.All(f.Filter({f.app.app_key}, State::kWaiting)) == std::vector<uint64_t>{ids[2]});

    // A running task is listed as running (and under waiting).
    Result<Task> t2 = f.store->GetTask(ids[2]);
    auto begun = f.tasks->BeginAttempt(ids[2], t2->next_run_ms);
    REQUIRE(begun->has_value());
    Result<TaskListPage> running = f.tasks->List(f.Filter({f.app.app_key}, State::kRunning));
    REQUIRE(running.ok());
    REQUIRE(running->tasks.size() == 1);
    CHECK(running->tasks[0].running);
    CHECK(f.All(f.Filter({f.app.app_key}, State::kWaiting)) == std::vector<uint64_t>{ids[2]});
    f.tasks->AbandonAttempt(**begun);
    CHECK(f.tasks->List(f.Filter({f.app.app_key}, State::kRunning))->tasks.empty());

    // Failed deliveries: by failure time, with the reason in words.
    Result<TaskListPage> failed = f.tasks->ListFailed(f.Filter({f.app.app_key}, State::kAny));
    REQUIRE(failed.ok());
    REQUIRE(failed->tasks.size() == 1);
    CHECK(failed->tasks[0].task.id == ids[1]);
    CHECK(failed->tasks[0].last_error == "HTTP 501");

    // Replay: back to waiting (a new round, attempts kept), out of the failed lists.
    REQUIRE(f.tasks->Publish(f.app, ids[1]).ok());
    CHECK(f.All(f.Filter({f.app.app_key}, State::kFailed)).empty());
    CHECK(f.tasks->ListFailed(f.Filter({f.app.app_key}, State::kAny))->tasks.empty());
    Result<TaskDetail> d = f.tasks->Detail(f.app, ids[1]);
    REQUIRE(d.ok());
    CHECK(d->task.status == TaskStatus::kWaiting);
    CHECK(d->attempts.size() == 1);
    CHECK(d->task.round_start == 1);
    f.Attempt(f.app, ids[1], 200);
    CHECK(f.All(f.Filter({f.app.app_key}, State::kSuccess)).size() == 2);

    // Delete: finished tasks only; the taskNo is free again and the lists forget it.
    CHECK(f.tasks->Delete(f.app, ids[2]).code() == Code::kConflict);  // waiting
    CHECK(f.tasks->Delete(f.other, ids[0]).code() == Code::kNotFound);
    REQUIRE(f.tasks->Delete(f.app, ids[0]).ok());
    CHECK(f.store->GetTask(ids[0]).status().code() == Code::kNotFound);
    CHECK(f.All(f.Filter({f.app.app_key}, State::kSuccess)) == std::vector<uint64_t>{ids[1]});
  }

  TEST_CASE_TEMPLATE("a taskNo prefix lists one application's tasks in taskNo order, filtered",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture f(std::make_unique<Backend>());
    const std::vector<uint64_t> inv = f.Create(f.app, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "inv-");
    f.Create(f.app, {0, 0}, "refund-");
    f.Create(f.other, {0}, "inv-");
    f.Attempt(f.app, inv[3], 500);
    f.Attempt(f.app, inv[11], 500);
    TaskListFilter p = f.Filter({f.app.app_key}, State::kAny, 5);
    p.task_no_prefix = "inv-";
    p.descending = false;
    std::vector<uint64_t> all = f.All(p);
    // inv-0, inv-1, inv-10, inv-11, inv-2, ...: bytewise taskNo order.
    CHECK(all == std::vector<uint64_t>{inv[0], inv[1], inv[10], inv[11], inv[2], inv[3], inv[4],
                                       inv[5], inv[6], inv[7], inv[8], inv[9]});
    p.task_no_prefix = "inv-1";
    CHECK(f.All(p) == std::vector<uint64_t>{inv[1], inv[10], inv[11]});
    p.task_no_prefix = "inv-";
    p.state = State::kFailed;
    p.limit = 1;
    CHECK(f.All(p) == std::vector<uint64_t>{inv[11], inv[3]});
    // A prefix needs exactly one application.
    TaskListFilter two = f.Filter({f.app.app_key, f.other.app_key}, State::kAny);
    two.task_no_prefix = "inv-";
    CHECK(f.tasks->List(two).status().message().find("query 'prefix'") == 0);
  }

  TEST_CASE_TEMPLATE("a replay job replays what failed before it began, in chunks, once",
      Backend, TOCK_STORE_BACKENDS) {
    Fixture f(std::make_unique<Backend>());
    constexpr size_t kFailed = ReplayJobs::kChunk * 2 + 7;  // three chunks
    std::vector<int64_t> due(kFailed, 0);
    const std::vector<uint64_t> ids = f.Create(f.app, due);
    for (uint64_t id : ids) f.Attempt(f.app, id, 503);
    const std::vector<uint64_t> theirs = f.Create(f.other, {0});
    f.Attempt(f.other, theirs[0], 500);
    f.clock.Advance(1000);

    ReplayJobs jobs(*f.store, *f.tasks, f.clock);
    jobs.Start();
    ReplayFilter filter;
    filter.app_keys = {f.app.app_key};
    bool existing = true;
    const ReplayJobView job = jobs.Submit(filter, &existing);
    CHECK_FALSE(existing);
    // Asked twice while it is queued or running: the same job (or, once done, a new one
    // that finds nothing left to replay).
    const ReplayJobView again = jobs.Submit(filter, &existing);
    CHECK((existing ? again.id == job.id : again.id != job.id));

    auto settled = [&](const std::string& id) {
      for (int i = 0; i < 6000; ++i) {  // a condition, with a generous deadline
        std::optional<ReplayJobView> v = jobs.Get(id);
        REQUIRE(v.has_value());
        if (v->state != ReplayJobView::State::kQueued && v->state != ReplayJobView::State::kRunning) {
          return *v;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      FAIL("the replay job never finished");
      return ReplayJobView();
    };
    const ReplayJobView done = settled(job.id);
    CHECK(done.state == ReplayJobView::State::kDone);
    REQUIRE(done.total.has_value());
    CHECK(*done.total == kFailed);
    CHECK(done.replayed == kFailed);
    CHECK(done.done == kFailed);
    const ReplayJobView second = settled(again.id);
    CHECK(second.replayed == (again.id == job.id ? kFailed : 0));

    // All waiting again, due now, once each; the other application's failure untouched.
    CHECK(f.All(f.Filter({f.app.app_key}, State::kFailed)).empty());
    const std::vector<uint64_t> waiting = f.All(f.Filter({f.app.app_key}, State::kWaiting, 500));
    CHECK(std::set<uint64_t>(waiting.begin(), waiting.end()) ==
          std::set<uint64_t>(ids.begin(), ids.end()));
    CHECK(f.All(f.Filter({f.other.app_key}, State::kFailed)) == theirs);
    for (uint64_t id : {ids.front(), ids.back()}) {
      Result<Task> t = f.store->GetTask(id);
      CHECK(t->next_run_ms == f.clock.WallMs());
      CHECK(t->round == 1);
      CHECK(t->round_start == 1);
    }
    // One that fails again after the job began is not the job's: no loop.
    f.clock.Advance(1000);
    f.Attempt(f.app, ids[0], 500);
    f.clock.Advance(1000);
    const ReplayJobView third = settled(jobs.Submit(filter, &existing).id);
    CHECK(third.replayed == 1);  // a new job (the first ended): it takes the new failure
    jobs.Stop();
    CHECK_FALSE(jobs.Get("r0-0").has_value());
  }
}

}  // namespace tock
