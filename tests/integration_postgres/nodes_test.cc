// Many tock nodes on one PostgreSQL database (issue 12), each a real `tock serve` with
// --store pointing at a fresh database on the test server (testutil/pg_server.h), delivering
// to one real receiver.
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/integration_util.h"
#include "testutil/pg_server.h"

namespace tock::testing {
namespace {

// A node on `url`; every node of a test shares one admin token, as an operator's would.
std::unique_ptr<TockProcess> StartNode(const std::string& url, const std::string& token,
                                       std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--store", url};
  args.insert(args.end(), extra.begin(), extra.end());
  auto tock = std::make_unique<TockProcess>(TockProcess::Options{
      .binary = TOCK_BINARY, .admin_token = token, .extra_args = std::move(args)});
  std::string error;
  REQUIRE_MESSAGE(tock->Start(&error), error);
  return tock;
}

// The webhook-ids the receiver got, and how often each.
std::map<std::string, int> IdsReceived(const Receiver& rx) {
  std::map<std::string, int> ids;
  for (const ReceivedRequest& r : rx.Requests()) ++ids[r.Header("webhook-id")];
  return ids;
}

// Waits until `node` accepts a task for `app` (it learns of applications other nodes made
// within a second); returns the last answer.
ApiResponse WaitUntilKnown(ApiClient& node, const App& app, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  ApiResponse r;
  do {
    r = node.CreateTask(app, {.task_no = "probe", .content = "{}"});
    if (r.status == 200) break;
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return r;
}

const std::string kToken = "nodes-test-admin-token-0123456789abcdef";

// What most cases start from: two nodes on a fresh database, one receiver, and an
// application made on a that b has read (it learns of other nodes' applications within a
// second; WaitUntilKnown's probe task is the receiver's first delivery).
struct TwoNodes {
  explicit TwoNodes(const AppOptions& options = {}) {
    REQUIRE(rx.ok());
    app = api_a.CreateApp(rx.Url(), options);
    REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
    ApiResponse known = WaitUntilKnown(api_b, app, 10s);
    REQUIRE_MESSAGE(known.status == 200, known.Describe());
  }
  const std::string url = PgServer::Shared().NewDatabase();
  std::unique_ptr<TockProcess> a = StartNode(url, kToken);
  std::unique_ptr<TockProcess> b = StartNode(url, kToken);
  Receiver rx;
  ApiClient api_a{*a};
  ApiClient api_b{*b};
  App app;
};

}  // namespace

TEST_SUITE("Nodes") {
  TEST_CASE("two nodes: each task delivered once, and either node answers the same") {
    // Retries, so that a callback the test's receiver could not take on a loaded machine is
    // delivered later rather than failed; a repeat caused that way is told apart below.
    TwoNodes nodes({.step = 1, .retry_total = 10});
    Receiver& rx = nodes.rx;
    ApiClient &api_a = nodes.api_a, &api_b = nodes.api_b;
    const App& app = nodes.app;

    // 200 tasks, created alternately on the two nodes, all due at one moment.
    const int n = 200;
    const int64_t due = WallNowMs() + 2000;
    std::vector<int64_t> ids;
    for (int i = 0; i < n; ++i) {
      ApiClient& api = i % 2 == 0 ? api_a : api_b;
      ApiResponse r = api.CreateTask(app, {.task_no = "t" + std::to_string(i),
                                           .runtime = RuntimeJson(due)});
      REQUIRE_MESSAGE(r.status == 200, r.Describe());
      ids.push_back(r.Int("/data/taskId"));
    }
    // Task ids never repeat across nodes.
    CHECK(std::set<int64_t>(ids.begin(), ids.end()).size() == ids.size());
    // Every task ends in success, each attempted by one node: a task attempted once (round 1)
    // arrived exactly once; one that needed a retry may arrive again (the receiver got the
    // first attempt but tock did not get its answer), never from two nodes at once.
    for (size_t i = 0; i < ids.size(); ++i) {
      ApiResponse d = api_a.WaitForStatus(app, ids[i], 2, 60s);
      REQUIRE_MESSAGE(d.Int("/data/status") == 2, "task " << ids[i] << ": " << d.Describe());
    }
    REQUIRE_MESSAGE(rx.WaitForCount(n + 1, 10s), "delivered " << rx.Count());  // + the probe
    std::this_thread::sleep_for(500ms);  // a second delivery of anything would come by now
    std::map<std::string, int> got = IdsReceived(rx);
    CHECK(got.size() == static_cast<size_t>(n + 1));
    for (int64_t id : ids) {
      const int count = got[std::to_string(id)];
      if (api_a.Detail(app, id).Int("/data/round") == 1) {
        CHECK_MESSAGE(count == 1, "task " << id << " attempted once, received " << count);
      }
    }
    for (const ReceivedRequest& r : rx.Requests()) {
      if (ParseJson(r.body).Str("/taskNo") != "probe") CHECK(r.arrival_wall_ms >= due);
    }

    // The same task read through either node: the same answer.
    for (int i : {0, 1, n - 1}) {
      ApiResponse da = api_a.WaitForStatus(app, ids[i], 2, 10s);
      ApiResponse db = api_b.WaitForStatus(app, ids[i], 2, 10s);
      CHECK(da.Int("/data/status") == 2);
      CHECK(da.body == db.body);
    }
    // A taskNo used on one node is a duplicate on the other.
    ApiResponse dup = api_b.CreateTask(app, {.task_no = "t0"});
    CHECK(dup.status == 200);
    CHECK(dup.Bool("/data/duplicate", false));
    CHECK(dup.Int("/data/taskId") == ids[0]);
  }

  TEST_CASE("a cancel on one node holds while the other node's attempt is in flight") {
    // Whichever node delivers a task, a cancel made through the other one while the attempt
    // runs must stand: the delivering node's outcome may add the attempt's record but not
    // bring the task back for a retry (its write is refused as stale and decided again).
    TwoNodes nodes({.step = 1, .retry_total = 5});
    Receiver& rx = nodes.rx;
    ApiClient &api_a = nodes.api_a, &api_b = nodes.api_b;
    const App& app = nodes.app;
    // Every attempt is held 3 s and then fails, so each task is in flight when it is
    // cancelled and would be retried a second later if the cancel were lost.
    rx.SetReplyFunction([](const ReceivedRequest& r) {
      if (ParseJson(r.body).Str("/taskNo") == "probe") return Reply{};
      return Reply{.status = 500, .body = "busy", .delay = 3000ms};
    });
    REQUIRE(rx.WaitForCount(1, 10s));  // the probe

    // Six tasks (under the receiver's eight answering threads), each cancelled through
    // the node that did not create it; which node delivers each one is the leases' choice,
    // so both paths (the cancel on the delivering node, and on the other) are taken.
    const int n = 6;
    const int64_t due = WallNowMs() + 1500;
    std::vector<int64_t> ids;
    for (int i = 0; i < n; ++i) {
      ApiClient& api = i % 2 == 0 ? api_a : api_b;
      ApiResponse r = api.CreateTask(app, {.task_no = "c" + std::to_string(i),
                                           .runtime = RuntimeJson(due)});
      REQUIRE_MESSAGE(r.status == 200, r.Describe());
      ids.push_back(r.Int("/data/taskId"));
    }
    REQUIRE_MESSAGE(rx.WaitForCount(1 + n, 30s), "delivered " << rx.Count());
    for (int i = 0; i < n; ++i) {
      ApiClient& other = i % 2 == 0 ? api_b : api_a;
      ApiResponse c = other.Cancel(app, ids[i]);
      CHECK_MESSAGE(c.status == 200, "task " << ids[i] << ": " << c.Describe());
    }
    // Each attempt's outcome is recorded (round 1) and the task stays cancelled (3).
    for (int64_t id : ids) {
      ApiResponse d = api_a.WaitForDetail(
          app, id, [](const ApiResponse& r) { return r.Int("/data/round") >= 1; }, 30s);
      CHECK_MESSAGE(d.Int("/data/round") == 1, d.Describe());
      CHECK_MESSAGE(d.Int("/data/status") == 3, d.Describe());
    }
    // A lost cancel would show as a retry a second after its attempt ended.
    std::this_thread::sleep_for(2500ms);
    CHECK(rx.Count() == static_cast<size_t>(1 + n));
    for (int64_t id : ids) CHECK(api_b.Detail(app, id).Int("/data/status") == 3);
  }

  TEST_CASE("one taskNo sent to two nodes at once makes one task; a nonce is single-use") {
    TwoNodes nodes;
    Receiver& rx = nodes.rx;
    ApiClient &api_a = nodes.api_a, &api_b = nodes.api_b;
    const App& app = nodes.app;

    // 40 taskNos, each created on both nodes at the same moment (one thread per node, in
    // step): both answers name one task, and only that task is ever delivered.
    const int n = 40;
    const int64_t due = WallNowMs() + 3000;
    std::vector<ApiResponse> from_a(n), from_b(n);
    std::atomic<int> ready{0};
    auto race = [&](ApiClient& api, std::vector<ApiResponse>& out) {
      for (int i = 0; i < n; ++i) {
        ++ready;
        while (ready.load() < 2 * (i + 1)) std::this_thread::yield();
        out[i] = api.CreateTask(app, {.task_no = "race" + std::to_string(i),
                                      .runtime = RuntimeJson(due)});
      }
    };
    std::thread ta([&] { race(api_a, from_a); });
    std::thread tb([&] { race(api_b, from_b); });
    ta.join();
    tb.join();
    std::set<int64_t> ids;
    for (int i = 0; i < n; ++i) {
      REQUIRE_MESSAGE(from_a[i].status == 200, from_a[i].Describe());
      REQUIRE_MESSAGE(from_b[i].status == 200, from_b[i].Describe());
      CHECK(from_a[i].Int("/data/taskId") == from_b[i].Int("/data/taskId"));
      CHECK(from_a[i].Bool("/data/duplicate", false) != from_b[i].Bool("/data/duplicate", false));
      ids.insert(from_a[i].Int("/data/taskId"));
    }
    CHECK(ids.size() == static_cast<size_t>(n));
    REQUIRE_MESSAGE(rx.WaitForCount(1 + n, 30s), "delivered " << rx.Count());  // + the probe
    std::this_thread::sleep_for(1000ms);
    CHECK(rx.Count() == static_cast<size_t>(1 + n));

    // A signed create accepted by a, replayed to b: refused as a replay (401), not a 409,
    // and the creates b commits beside it are not refused with it.
    const std::string body = R"({"taskNo":"signed-1","content":{"x":1}})";
    const httplib::Headers signed_headers = SignedHeaders(app, body, {.nonce = "cross-node-1"});
    ApiResponse first = api_a.Post("/task/create", body, signed_headers);
    REQUIRE_MESSAGE(first.status == 200, first.Describe());
    std::vector<ApiResponse> beside(8);
    std::vector<std::thread> others;
    for (int i = 0; i < 8; ++i) {
      others.emplace_back([&, i] {
        ApiClient c(*nodes.b);
        beside[i] = c.CreateTask(app, {.task_no = "beside" + std::to_string(i)});
      });
    }
    ApiResponse replay = api_b.Post("/task/create", body, signed_headers);
    for (auto& t : others) t.join();
    CHECK_MESSAGE(replay.status == 401, replay.Describe());
    CHECK(replay.Str("/msg").find("nonce") != std::string::npos);
    for (const ApiResponse& r : beside) CHECK_MESSAGE(r.status == 200, r.Describe());
  }

  TEST_CASE("application changes made on two nodes at once both stand; a chosen appKey is one") {
    TwoNodes nodes;
    Receiver& rx = nodes.rx;
    ApiClient &api_a = nodes.api_a, &api_b = nodes.api_b;
    const App& app = nodes.app;

    // b changes the application right after a did, before its once-a-second read of the
    // applications can have seen a's change: its copy is stale, and the store says so.
    for (int round = 0; round < 3; ++round) {
      const int parallelism = 10 + round;
      const int step = 2 + round;
      ApiResponse on_a = api_a.AdminPost("/application/update",
          R"({"app_key":")" + app.app_key + R"(","parallelism":)" + std::to_string(parallelism) + "}");
      REQUIRE_MESSAGE(on_a.status == 200, on_a.Describe());
      ApiResponse on_b = api_b.AdminPost("/application/update",
          R"({"app_key":")" + app.app_key + R"(","step":)" + std::to_string(step) + "}");
      REQUIRE_MESSAGE(on_b.status == 200, on_b.Describe());
      CHECK(on_b.Int("/data/parallelism") == parallelism);  // a's change kept
      CHECK(on_b.Int("/data/step") == step);
    }

    // An appKey chosen on a, then at once on b: b refuses it (b has not read a's yet), and
    // the application a made keeps its secret.
    App chosen = api_a.CreateApp(rx.Url(), {.app_key = "ChosenKeyNodes01"});
    REQUIRE_MESSAGE(chosen.ok(), chosen.create_response.Describe());
    ApiResponse again = api_b.AdminPost("/application/create",
        ApiClient::AppBody(rx.Url(), {.app_key = "ChosenKeyNodes01"}));
    CHECK_MESSAGE(again.status == 409, again.Describe());
    CHECK(again.msg().find("already taken") != std::string::npos);
    ApiResponse works = WaitUntilKnown(api_b, chosen, 10s);
    CHECK_MESSAGE(works.status == 200, works.Describe());
  }

  TEST_CASE("kill -9 one node: the other takes its leased tasks within --lease-ttl + 1 s") {
    const std::string url = PgServer::Shared().NewDatabase();
    // A 2 s lease keeps the test short; the default is 10 s.
    auto a = StartNode(url, kToken, {"--lease-ttl", "2"});
    Receiver rx;
    REQUIRE(rx.ok());
    ApiClient api_a(*a);
    App app = api_a.CreateApp(rx.Url(), {.step = 1, .retry_total = 10});  // as above
    REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
    // Made while a is alone, due in 4 s: a leases them all at once (due within its horizon).
    const int n = 50;
    const int64_t due = WallNowMs() + 4000;
    std::vector<int64_t> ids;
    for (int i = 0; i < n; ++i) {
      ApiResponse r = api_a.CreateTask(app, {.task_no = "k" + std::to_string(i),
                                             .runtime = RuntimeJson(due)});
      REQUIRE_MESSAGE(r.status == 200, r.Describe());
      ids.push_back(r.Int("/data/taskId"));
    }
    auto b = StartNode(url, kToken, {"--lease-ttl", "2"});
    a->Kill9();
    const int64_t killed_ms = WallNowMs();
    REQUIRE_MESSAGE(rx.WaitForCount(n, 30s), "delivered " << rx.Count() << " of " << n);
    ApiClient api_b(*b);
    std::map<std::string, int> got = IdsReceived(rx);
    CHECK(got.size() == static_cast<size_t>(n));
    for (int64_t id : ids) {  // none was in flight at the kill: each once, unless retried
      ApiResponse d = api_b.WaitForStatus(app, id, 2, 30s);
      CHECK_MESSAGE(d.Int("/data/status") == 2, d.Describe());
      if (d.Int("/data/round") == 1) CHECK(got[std::to_string(id)] == 1);
    }
    int64_t last = 0;
    for (const ReceivedRequest& r : rx.Requests()) {
      CHECK(r.arrival_wall_ms >= due);
      last = std::max(last, r.arrival_wall_ms);
    }
    // The leases a took at most 2 s before it died; b's passes run every second. 3 s of
    // slack for a loaded machine (the suite runs beside CPU-burning loops).
    const int64_t takeover_ms = last - std::max(killed_ms + 2000, due);
    INFO("the last delivery came ", takeover_ms, " ms after the leases ran out");
    CHECK(takeover_ms <= 1000 + 3000);
    // The survivor says it took a dead node's entries over.
    CHECK(b->ReadLog().find("event=store.node_taken_over") != std::string::npos);
  }

  TEST_CASE("a schedule fires once per fire time, with two nodes") {
    TwoNodes nodes;
    Receiver& rx = nodes.rx;
    ApiClient &api_a = nodes.api_a, &api_b = nodes.api_b;
    const App& app = nodes.app;
    REQUIRE(rx.WaitForCount(1, 10s));  // the probe task
    // Three single-fire schedules due within a few seconds, made on either node.
    const int64_t fire = (WallNowMs() / 1000 + 4) * 1000;
    for (int i = 0; i < 3; ++i) {
      ApiClient& api = i % 2 == 0 ? api_a : api_b;
      std::string body = R"({"name":"s)" + std::to_string(i) +
                         R"(","enabled":true,"trigger":{"single":{"time":")" +
                         WallTimeString(fire + i * 1000) + R"(","zone_type":1}},"push":{"n":)" +
                         std::to_string(i) + "}}";
      ApiResponse r = api.AppPost(app, "/v4/schedules", body);
      REQUIRE_MESSAGE(r.status == 200, r.Describe());
    }
    REQUIRE_MESSAGE(rx.WaitForCount(1 + 3, 20s), "delivered " << rx.Count());
    std::this_thread::sleep_for(1500ms);  // a second fire of the last one would come by now
    CHECK(rx.Count() == 1 + 3);
    std::map<std::string, int> got = IdsReceived(rx);
    for (const auto& [id, count] : got) CHECK_MESSAGE(count == 1, "webhook-id " << id);
  }
}

}  // namespace tock::testing
