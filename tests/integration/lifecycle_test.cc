// A task's life over the API (SPEC §3): create (runtime forms, taskNo), detail, cancel,
// publish.
#include <set>
#include <thread>
#include <vector>

#include "integration/integration_util.h"

namespace tock::testing {
namespace {

int64_t FarFutureMs() { return WallNowMs() + 3600 * 1000; }

}  // namespace

TEST_SUITE("TaskLifecycle") {
  TEST_CASE("detail reports the fields of a waiting task, by GET query and by POST body") {
    AppFixture f;
    const int64_t runtime_ms = (WallNowMs() / 1000 + 3600) * 1000;  // whole second
    const int64_t before = WallNowMs();
    const int64_t id = f.MustCreate({.task_no = "detail-1",
                                     .runtime = RuntimeJson(runtime_ms),
                                     .content = R"({"a":1,"b":[true,null]})",
                                     .name = "nightly"});
    for (bool post : {false, true}) {
      const std::string how = post ? "POST /task/detail" : "GET /task/detail";
      INFO(how);
      ApiResponse d = post ? f.api.AppPost(f.app, "/task/detail",
                                           "{\"id\":" + std::to_string(id) + "}")
                           : f.api.Detail(f.app, id);
      INFO("detail: ", d.Describe());
      REQUIRE(d.status == 200);
      CHECK(d.code() == 0);
      CHECK(d.Int("/data/taskId") == id);
      CHECK(d.Int("/data/status") == 0);
      CHECK(d.Str("/data/state") == "waiting");
      CHECK(d.Str("/data/taskNo") == "detail-1");
      CHECK(d.Str("/data/name") == "nightly");
      CHECK(d.Str("/data/runtime") == WallTimeString(runtime_ms));
      CHECK(d.Int("/data/runtimeMs") == runtime_ms);
      CHECK(d.Int("/data/nextRunAt") == runtime_ms);
      CHECK(d.Int("/data/round") == 0);
      CHECK(d.Int("/data/elapsed") == 0);
      CHECK(d.Int("/data/createdAt") >= before - 1000);
      CHECK(d.Int("/data/createdAt") <= WallNowMs() + 1000);
      CHECK(d.Json("/data/content") == R"({"a":1,"b":[true,null]})");
      CHECK(d.Size("/data/attempts") == 0);
    }
  }

  TEST_CASE("runtime accepts wall time, RFC 3339 and unix seconds as string or integer") {
    AppFixture f;
    const int64_t s = WallNowMs() / 1000 + 7200;
    struct Form {
      const char* what;
      std::string json;
      int64_t expect_ms;
    };
    const Form forms[] = {
        {"wall time (server zone UTC)", JsonString(WallTimeString(s * 1000)), s * 1000},
        {"RFC 3339 Z with ms", JsonString(Rfc3339Ms(s * 1000 + 250)), s * 1000 + 250},
        {"RFC 3339 with offset",
         JsonString(WallTimeString(s * 1000, 8 * 3600).replace(10, 1, "T") + "+08:00"),
         s * 1000},
        {"unix seconds string", JsonString(std::to_string(s)), s * 1000},
        {"unix seconds integer", std::to_string(s), s * 1000},
    };
    for (const Form& form : forms) {
      INFO(form.what, ": ", form.json);
      ApiResponse r = f.api.CreateTask(f.app, {.runtime = form.json});
      INFO("create: ", r.Describe());
      REQUIRE(r.status == 200);
      ApiResponse d = f.api.Detail(f.app, r.Int("/data/taskId"));
      INFO("detail: ", d.Describe());
      CHECK(d.Int("/data/runtimeMs") == form.expect_ms);
    }
  }

  TEST_CASE("taskNo defaults to a version-7 UUID that begins with its creation time") {
    AppFixture f;
    const int64_t before_ms = WallNowMs();
    const int64_t id = f.MustCreate({.runtime = RuntimeJson(FarFutureMs())});
    const int64_t after_ms = WallNowMs();
    ApiResponse d = f.api.Detail(f.app, id);
    const std::string no = d.Str("/data/taskNo");
    INFO("taskNo: ", no);
    REQUIRE(no.size() == 36);
    CHECK(no[8] == '-');
    CHECK(no[14] == '7');
    const int64_t made_ms = std::stoll(no.substr(0, 8) + no.substr(9, 4), nullptr, 16);
    CHECK(made_ms >= before_ms);
    CHECK(made_ms <= after_ms);
  }

  TEST_CASE("a repeated taskNo in the same app returns the same taskId with duplicate true") {
    AppFixture f;
    const TaskSpec spec{.task_no = "order:2024-01.x_y", .runtime = RuntimeJson(FarFutureMs())};
    ApiResponse first = f.api.CreateTask(f.app, spec);
    REQUIRE_MESSAGE(first.status == 200, first.Describe());
    CHECK_FALSE(first.Bool("/data/duplicate", false));
    ApiResponse again = f.api.CreateTask(f.app, spec);
    INFO("again: ", again.Describe());
    REQUIRE(again.status == 200);
    CHECK(again.Int("/data/taskId") == first.Int("/data/taskId"));
    CHECK(again.Bool("/data/duplicate") == true);

    // taskNo is unique per application, not globally.
    ApiClient api(SharedTock());
    App other = api.CreateApp(f.receiver.Url("/other"));
    REQUIRE(other.ok());
    ApiResponse theirs = api.CreateTask(other, spec);
    INFO("other app: ", theirs.Describe());
    REQUIRE(theirs.status == 200);
    CHECK(theirs.Int("/data/taskId") != first.Int("/data/taskId"));
    CHECK_FALSE(theirs.Bool("/data/duplicate", false));
  }

  TEST_CASE("concurrent creates with one taskNo make one task") {
    AppFixture f;
    const TaskSpec spec{.task_no = "race-1", .runtime = RuntimeJson(WallNowMs() + 1000)};
    constexpr int kThreads = 8;
    std::vector<ApiResponse> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ApiClient api(SharedTock());
        results[t] = api.CreateTask(f.app, spec);
      });
    }
    for (auto& th : threads) th.join();
    int fresh = 0;
    for (const auto& r : results) {
      INFO("create: ", r.Describe());
      REQUIRE(r.status == 200);
      CHECK(r.Int("/data/taskId") == results[0].Int("/data/taskId"));
      if (!r.Bool("/data/duplicate", false)) ++fresh;
    }
    CHECK(fresh == 1);
    REQUIRE(f.receiver.WaitForCount(1, 5s));
    CHECK_FALSE(f.receiver.WaitForCount(2, 1500ms));
  }

  TEST_CASE("detail, cancel and publish of an unknown task id are 404") {
    AppFixture f;
    const int64_t unknown = 987654321012LL;
    CheckError(f.api.Detail(f.app, unknown), 404, "");
    CheckError(f.api.Cancel(f.app, unknown), 404, "");
    CheckError(f.api.Publish(f.app, unknown), 404, "");
  }

  TEST_CASE("cancel makes a waiting task cancelled and it is never delivered") {
    AppFixture f;
    const int64_t id = f.MustCreate({.runtime = RuntimeJson(WallNowMs() + 1000)});
    ApiResponse c = f.api.Cancel(f.app, id);
    INFO("cancel: ", c.Describe());
    CHECK(c.status == 200);
    CHECK(c.code() == 0);
    ApiResponse d = f.api.Detail(f.app, id);
    CHECK(d.Int("/data/status") == 3);
    CHECK(d.Str("/data/state") == "cancelled");
    // Past its due time plus slack: still nothing delivered.
    CHECK_FALSE(f.receiver.WaitForCount(1, 2500ms));
  }

  TEST_CASE("cancel accepts and ignores coroutine_id and service_id") {
    AppFixture f;
    const int64_t id = f.MustCreate({.runtime = RuntimeJson(FarFutureMs())});
    ApiResponse c = f.api.AppPost(
        f.app, "/task/cancel",
        R"({"coroutine_id":6,"service_id":"x","id":)" + std::to_string(id) + "}");
    CHECK_MESSAGE(c.status == 200, c.Describe());
    CHECK(f.api.Detail(f.app, id).Int("/data/status") == 3);
  }

  TEST_CASE("cancel of a successful or failed task is 409") {
    AppFixture f({.step = 0, .retry_total = 0});
    const int64_t ok_id = f.MustCreate({});
    REQUIRE(f.api.WaitForStatus(f.app, ok_id, 2, 5s).Int("/data/status") == 2);
    CheckError(f.api.Cancel(f.app, ok_id), 409, "");
    CHECK(f.api.Detail(f.app, ok_id).Int("/data/status") == 2);

    f.receiver.SetDefaultReply({500, "no"});
    const int64_t bad_id = f.MustCreate({});
    REQUIRE(f.api.WaitForStatus(f.app, bad_id, 4, 5s).Int("/data/status") == 4);
    CheckError(f.api.Cancel(f.app, bad_id), 409, "");
  }

  TEST_CASE("publish makes a far-future waiting task due now") {
    AppFixture f;
    const int64_t id = f.MustCreate({.runtime = RuntimeJson(FarFutureMs())});
    const int64_t t0 = WallNowMs();
    ApiResponse p = f.api.Publish(f.app, id);
    INFO("publish: ", p.Describe());
    CHECK(p.status == 200);
    CHECK(p.code() == 0);
    REQUIRE_MESSAGE(f.receiver.WaitForCount(1, 5s), "not delivered after publish");
    CHECK(f.receiver.Requests().at(0).arrival_wall_ms - t0 < 1500);
    CHECK(f.receiver.Requests().at(0).Header("webhook-id") == std::to_string(id));
    CHECK(f.api.WaitForStatus(f.app, id, 2, 5s).Int("/data/status") == 2);
  }

  TEST_CASE("/nsq/publish does what /task/publish does") {
    AppFixture f;
    const int64_t id = f.MustCreate({.runtime = RuntimeJson(FarFutureMs())});
    ApiResponse p = f.api.Publish(f.app, id, "/nsq/publish");
    CHECK_MESSAGE(p.status == 200, p.Describe());
    CHECK(f.receiver.WaitForCount(1, 5s));
  }

  TEST_CASE("publish re-arms a failed task for a new round of attempts") {
    AppFixture f({.step = 0, .retry_total = 1});
    f.receiver.QueueReplies({{500, "no"}, {500, "no"}});  // then the default: success
    const int64_t id = f.MustCreate({});
    ApiResponse d = f.api.WaitForStatus(f.app, id, 4, 5s);
    REQUIRE_MESSAGE(d.Int("/data/status") == 4, d.Describe());
    REQUIRE(f.receiver.Count() == 2);

    ApiResponse p = f.api.Publish(f.app, id);
    INFO("publish: ", p.Describe());
    CHECK(p.status == 200);
    d = f.api.WaitForStatus(f.app, id, 2, 5s);
    INFO("detail: ", d.Describe());
    CHECK(d.Int("/data/status") == 2);
    CHECK(d.Size("/data/attempts") == 3);
    CHECK(d.Str("/data/attempts/2/outcome") == "success");
    auto reqs = f.receiver.Requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[2].Header("webhook-id") == std::to_string(id));
  }

  TEST_CASE("publish re-arms a cancelled task") {
    AppFixture f;
    const int64_t id = f.MustCreate({.runtime = RuntimeJson(FarFutureMs())});
    REQUIRE(f.api.Cancel(f.app, id).status == 200);
    ApiResponse p = f.api.Publish(f.app, id);
    CHECK_MESSAGE(p.status == 200, p.Describe());
    CHECK(f.receiver.WaitForCount(1, 5s));
    CHECK(f.api.WaitForStatus(f.app, id, 2, 5s).Int("/data/status") == 2);
  }

  TEST_CASE("publish of a successful task is 409") {
    AppFixture f;
    const int64_t id = f.MustCreate({});
    REQUIRE(f.api.WaitForStatus(f.app, id, 2, 5s).Int("/data/status") == 2);
    CheckError(f.api.Publish(f.app, id), 409, "");
    CHECK_FALSE(f.receiver.WaitForCount(2, 1000ms));
  }

  TEST_CASE("a running task shows status 1 and publish of it is 409") {
    AppFixture f;
    f.receiver.SetDefaultReply({200, "success", 2000ms});
    const int64_t id = f.MustCreate({.timeout = "10000"});
    REQUIRE(f.receiver.WaitForCount(1, 5s));  // the attempt is now in flight
    ApiResponse d = f.api.Detail(f.app, id);
    INFO("detail: ", d.Describe());
    CHECK(d.Int("/data/status") == 1);
    CHECK(d.Str("/data/state") == "running");
    CheckError(f.api.Publish(f.app, id), 409, "");
    CHECK(f.api.WaitForStatus(f.app, id, 2, 6s).Int("/data/status") == 2);
    CHECK(f.receiver.Count() == 1);
  }

  TEST_CASE("cancel during an attempt: the task stays cancelled and keeps the attempt") {
    // The attempt's outcome is written after the cancel; it must not overwrite the state.
    AppFixture f;
    f.receiver.SetDefaultReply({200, "success", 1500ms});
    const int64_t id = f.MustCreate({.timeout = "10000"});
    REQUIRE(f.receiver.WaitForCount(1, 5s));  // the attempt is now in flight
    ApiResponse c = f.api.Cancel(f.app, id);
    INFO("cancel: ", c.Describe());
    CHECK(c.status == 200);
    ApiResponse d;
    for (int i = 0; i < 60; ++i) {  // until the attempt's record is there (<= 6 s)
      d = f.api.Detail(f.app, id);
      if (d.Size("/data/attempts") >= 1) break;
      std::this_thread::sleep_for(100ms);
    }
    INFO("detail: ", d.Describe());
    CHECK(d.Str("/data/state") == "cancelled");
    CHECK(d.Size("/data/attempts") == 1);
    // Cancel also aborts the attempt in flight (the receiver answers only after 1.5 s).
    CHECK(d.Str("/data/attempts/0/outcome") == "error");
    CHECK(d.Str("/data/attempts/0/error") == "cancelled");
    CHECK(f.receiver.Count() == 1);
  }

  TEST_CASE("more due tasks than an application's slots: each is delivered exactly once") {
    // Two slots for the application and eight in the server: items wait parked on the
    // application and are handed from slot to slot.
    std::unique_ptr<TockProcess> tock = StartOwnTock({"--max-per-app", "2", "--max-in-flight", "8"});
    AppFixture f(*tock);
    constexpr int kTasks = 300;
    std::string body = R"({"tasks":[)";
    for (int i = 0; i < kTasks; ++i) {
      body += (i ? "," : "") + std::string(R"({"taskNo":"slot-)") + std::to_string(i) +
              R"(","content":{"i":)" + std::to_string(i) + "}}";
    }
    body += "]}";
    ApiResponse r = f.api.AppPost(f.app, "/task/batch-create", body);
    REQUIRE_MESSAGE(r.status == 200, r.Describe());
    REQUIRE_MESSAGE(f.receiver.WaitForCount(kTasks, 20s), "delivered " << f.receiver.Count());
    std::this_thread::sleep_for(300ms);  // a duplicate would arrive by now
    std::set<std::string> ids;
    for (const ReceivedRequest& req : f.receiver.Requests()) ids.insert(req.Header("webhook-id"));
    CHECK(f.receiver.Count() == kTasks);
    CHECK(ids.size() == kTasks);
  }
}

}  // namespace tock::testing
