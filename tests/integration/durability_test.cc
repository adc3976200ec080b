// Durability (SPEC §5, §6): an accepted task is never lost; kill -9 at any time means
// at-least-once delivery after restart, with the same webhook-id; state survives restarts.
#include <algorithm>
#include <atomic>
#include <climits>
#include <mutex>
#include <set>
#include <thread>

#include "integration/integration_util.h"

namespace tock::testing {

TEST_SUITE("Durability") {
  TEST_CASE("a signed create's nonce survives kill -9 with its task: the replay is refused") {
    auto tock = StartOwnTock();
    Receiver rx;
    ApiClient api(*tock);
    App app = api.CreateApp(rx.Url());
    REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
    const std::string body = TaskSpec{.task_no = "signed-once"}.ToJson();
    const auto headers = SignedHeaders(app, body, {.nonce = "durable-nonce-1"});
    ApiResponse first = api.Post("/task/create", body, headers);
    REQUIRE_MESSAGE(first.status == 200, first.Describe());
    tock->Kill9();  // right after the 200: the nonce was written with the task, synced

    std::string error;
    REQUIRE_MESSAGE(tock->Start(&error), error);
    ApiClient again(*tock);
    ApiResponse replay = again.Post("/task/create", body, headers);
    CheckError(replay, 401, "");
    CHECK(replay.Describe().find("replay") != std::string::npos);
  }

  TEST_CASE("kill -9 right after 1000 accepted creates: all 1000 are delivered after restart") {
    auto tock = StartOwnTock();
    Receiver rx;
    App app;
    {
      ApiClient api(*tock);
      app = api.CreateApp(rx.Url(), {.step = 1, .retry_total = 5});
      REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
    }

    constexpr int kThreads = 8;
    constexpr int kPerThread = 125;
    const int64_t due_ms = WallNowMs() + 4000;
    std::mutex mu;
    std::set<int64_t> ids;
    std::vector<std::string> failures;
    std::vector<std::thread> threads;
    const int64_t t0 = MonoNowMs();
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ApiClient api(*tock);
        for (int i = 0; i < kPerThread; ++i) {
          ApiResponse r = api.CreateTask(
              app, {.task_no = "k9-" + std::to_string(t) + "-" + std::to_string(i),
                    .runtime = RuntimeJson(due_ms),
                    .content = "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}"});
          std::lock_guard<std::mutex> lock(mu);
          if (r.status == 200 && r.Int("/data/taskId") != INT64_MIN) {
            ids.insert(r.Int("/data/taskId"));
          } else {
            failures.push_back(r.Describe());
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    tock->Kill9();  // immediately after the last 200
    const int64_t create_ms = MonoNowMs() - t0;
    MESSAGE("1000 creates took ", create_ms, " ms; delivered before kill -9: ", rx.Count());

    REQUIRE_MESSAGE(failures.empty(), failures.size() << " creates failed, first: "
                                                      << (failures.empty() ? "" : failures[0]));
    REQUIRE(ids.size() == kThreads * kPerThread);

    std::string error;
    REQUIRE_MESSAGE(tock->Start(&error), error);
    auto distinct = [](const std::vector<ReceivedRequest>& reqs) {
      std::set<std::string> s;
      for (const auto& r : reqs) s.insert(r.Header("webhook-id"));
      return s;
    };
    const bool all = rx.WaitFor(
        [&](const std::vector<ReceivedRequest>& reqs) { return distinct(reqs).size() >= ids.size(); },
        30s);
    std::set<std::string> got = distinct(rx.Requests());
    std::set<std::string> want;
    for (int64_t id : ids) want.insert(std::to_string(id));
    std::vector<std::string> missing;
    for (const auto& w : want) {
      if (!got.count(w)) missing.push_back(w);
    }
    INFO("distinct webhook-ids delivered: ", got.size(), ", missing: ", missing.size(),
         missing.empty() ? "" : ", e.g. " + missing[0]);
    CHECK(all);
    CHECK(missing.empty());
    for (const auto& g : got) CHECK_MESSAGE(want.count(g), "unexpected webhook-id " << g);
    // Restart must not fire anything early.
    int64_t earliest = INT64_MAX;
    for (const auto& r : rx.Requests()) earliest = std::min(earliest, r.arrival_wall_ms);
    CHECK(earliest >= due_ms);
  }

  TEST_CASE("a retry scheduled before kill -9 still happens after restart, on time") {
    auto tock = StartOwnTock();
    Receiver rx;
    rx.QueueReplies({{500, "first fails"}});
    ApiClient api(*tock);
    App app = api.CreateApp(rx.Url(), {.step = 3, .retry_total = 1});
    REQUIRE(app.ok());
    ApiResponse r = api.CreateTask(app, {});
    REQUIRE_MESSAGE(r.status == 200, r.Describe());
    const int64_t id = r.Int("/data/taskId");
    REQUIRE(rx.WaitForCount(1, 5s));
    // Wait until the failure is recorded (round 1, waiting for the retry), then crash.
    ApiResponse d = api.WaitForDetail(
        app, id, [](const ApiResponse& x) { return x.Int("/data/round") == 1; }, 3s);
    REQUIRE_MESSAGE(d.Int("/data/round") == 1, d.Describe());
    const int64_t next_run = d.Int("/data/nextRunAt");
    tock->Kill9();
    std::string error;
    REQUIRE_MESSAGE(tock->Start(&error), error);

    REQUIRE_MESSAGE(rx.WaitForCount(2, 8s), "the retry was lost in the restart");
    auto reqs = rx.Requests();
    const int64_t gap = reqs[1].arrival_wall_ms - reqs[0].arrival_wall_ms;
    INFO("retry came ", gap, " ms after the first attempt; nextRunAt was ", next_run);
    CHECK(reqs[1].Header("webhook-id") == std::to_string(id));
    CHECK(reqs[1].arrival_wall_ms >= next_run);
    CHECK(gap >= 3000 - 20);
    CHECK(gap < 3000 + 1500);
    CHECK(ParseJson(reqs[1].body).Int("/attempt") == 2);
    ApiClient api2(*tock);
    CHECK(api2.WaitForStatus(app, id, 2, 5s).Int("/data/status") == 2);
  }

  TEST_CASE("an attempt in flight at kill -9 is made again after restart with the same webhook-id") {
    auto tock = StartOwnTock();
    Receiver rx;
    rx.QueueReplies({{200, "success", 10000ms}});  // the first call hangs; later ones succeed
    ApiClient api(*tock);
    App app = api.CreateApp(rx.Url(), {.step = 1, .retry_total = 3});
    REQUIRE(app.ok());
    ApiResponse r = api.CreateTask(app, {.timeout = "20000"});
    REQUIRE_MESSAGE(r.status == 200, r.Describe());
    const int64_t id = r.Int("/data/taskId");
    REQUIRE(rx.WaitForCount(1, 5s));
    tock->Kill9();

    std::string error;
    REQUIRE_MESSAGE(tock->Start(&error), error);
    REQUIRE_MESSAGE(rx.WaitForCount(2, 10s), "the interrupted attempt was not made again");
    auto reqs = rx.Requests();
    CHECK(reqs[0].Header("webhook-id") == std::to_string(id));
    CHECK(reqs[1].Header("webhook-id") == std::to_string(id));
    ApiClient api2(*tock);
    ApiResponse d = api2.WaitForStatus(app, id, 2, 5s);
    CHECK_MESSAGE(d.Int("/data/status") == 2, d.Describe());
  }

  TEST_CASE("applications and waiting tasks survive kill -9 and SIGTERM restarts") {
    auto tock = StartOwnTock();
    Receiver rx;
    App app;
    int64_t waiting_id;
    {
      ApiClient api(*tock);
      app = api.CreateApp(rx.Url(), {.step = 0, .retry_total = 0});
      REQUIRE(app.ok());
      ApiResponse r = api.CreateTask(
          app, {.task_no = "survivor", .runtime = RuntimeJson(WallNowMs() + 3600000), .name = "n"});
      REQUIRE_MESSAGE(r.status == 200, r.Describe());
      waiting_id = r.Int("/data/taskId");
    }
    std::set<int64_t> all_ids{waiting_id};
    for (std::string how : {"kill -9", "SIGTERM"}) {
      INFO("restart after ", how);
      if (how == "kill -9") {
        tock->Kill9();
      } else {
        CHECK(tock->Terminate() == 0);
      }
      std::string error;
      REQUIRE_MESSAGE(tock->Start(&error), error);
      ApiClient api(*tock);
      // Basic auth still knows the application; the signed form too.
      ApiResponse d = api.Detail(app, waiting_id, Auth::kBasic);
      INFO("detail: ", d.Describe());
      CHECK(d.status == 200);
      CHECK(d.Int("/data/status") == 0);
      CHECK(d.Str("/data/taskNo") == "survivor");
      CHECK(api.Detail(app, waiting_id, Auth::kSigned).status == 200);
      // The taskNo index survived too.
      ApiResponse dup = api.CreateTask(app, {.task_no = "survivor"});
      CHECK(dup.Int("/data/taskId") == waiting_id);
      CHECK(dup.Bool("/data/duplicate") == true);
      // New tasks get new ids and reach the stored linkUrl.
      const size_t before = rx.Count();
      ApiResponse fresh = api.CreateTask(app, {});
      REQUIRE_MESSAGE(fresh.status == 200, fresh.Describe());
      CHECK(all_ids.insert(fresh.Int("/data/taskId")).second);
      CHECK(rx.WaitForCount(before + 1, 5s));
    }
  }

  TEST_CASE("a nonce used before a restart is still refused after it") {
    auto tock = StartOwnTock();
    Receiver rx;
    App app;
    const std::string nonce = "restart" + std::to_string(WallNowMs());
    const std::string body = TaskSpec{.runtime = RuntimeJson(WallNowMs() + 3600000)}.ToJson();
    {
      ApiClient api(*tock);
      app = api.CreateApp(rx.Url());
      REQUIRE(app.ok());
      ApiResponse first = api.Post("/task/create", body, SignedHeaders(app, body, {.nonce = nonce}));
      REQUIRE_MESSAGE(first.status == 200, first.Describe());
    }
    std::string error;
    REQUIRE_MESSAGE(tock->Restart(&error), error);  // kill -9, start on the same data dir
    ApiClient api(*tock);
    ApiResponse replay = api.Post("/task/create", body, SignedHeaders(app, body, {.nonce = nonce}));
    CheckError(replay, 401, "");
  }
}

}  // namespace tock::testing
