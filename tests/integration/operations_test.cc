// Operations (SPEC §6) and start-up settings: health checks, SIGTERM, the server time zone.
#include <dirent.h>
#include <sys/stat.h>

#include <fstream>
#include <set>

#include "../../tools/bench/bench_util.h"
#include "integration/integration_util.h"

namespace tock::testing {

TEST_SUITE("Operations") {
  TEST_CASE("healthz and readyz answer 200 on a ready server") {
    ApiClient api(SharedTock());
    CHECK(api.Healthz() == 200);
    CHECK(api.Get("/readyz").status == 200);
    CHECK(Contains(SharedTock().ReadLog(), "event=ready"));
  }

  TEST_CASE("every thread of a serving tock is named after its part (top -H, ps -L, perf)") {
    auto tock = StartOwnTock({"--delivery-threads", "2", "--http-loops", "2"});
    Receiver rx;
    ApiClient api(*tock);
    App app = api.CreateApp(rx.Url());
    REQUIRE(app.ok());
    REQUIRE(api.CreateTask(app, {}).status == 200);
    REQUIRE(rx.WaitForCount(1, 5s));  // a callback sent: the delivery path is running
    const std::string tasks = "/proc/" + std::to_string(tock->pid()) + "/task";
    std::multiset<std::string> names;
    DIR* dir = opendir(tasks.c_str());
    REQUIRE(dir != nullptr);
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream comm(tasks + "/" + e->d_name + "/comm");
      std::string name;
      std::getline(comm, name);
      names.insert(name);
    }
    closedir(dir);
    std::string all;
    for (const std::string& n : names) all += n + " ";
    INFO("threads: ", all);
    std::vector<std::string> wanted = {"tock-callback-0", "tock-callback-1", "tock-timer",
                                       "tock-recorder",   "tock-committer",  "tock-fires",
                                       "tock-janitor",    "tock-http-0",     "tock-http-1",
                                       "tock-handler",    "tock-signals"};
    // What hands due work to the timers: a loader on RocksDB; on PostgreSQL a lease loader,
    // and a watcher of the applications other nodes change.
    const bool shared_store = !StoreArgs().empty();
    for (const char* n : shared_store ? std::vector<const char*>{"tock-leases", "tock-app-watch"}
                                      : std::vector<const char*>{"tock-due-loader"}) {
      wanted.push_back(n);
    }
    for (const std::string& want : wanted) CHECK_MESSAGE(names.count(want) > 0, want);
    // A thread inherits its creator's name: one that tock starts without naming it shows
    // as "tock", the main thread's name, or as its creator's. Only two are "tock": the main
    // thread (renaming it would change what `pidof tock` and `pkill tock` find) and RocksDB's
    // timer thread, unnamed by RocksDB and started by the main thread when it opens the
    // store. RocksDB's pools and the allocator's thread have names of their own.
    CHECK(names.count("tock") == (shared_store ? 1 : 2));
    for (const std::string& n : names) {
      const bool known = n.rfind("tock", 0) == 0 || n.rfind("rocksdb:", 0) == 0 ||
                         n.rfind("jemalloc", 0) == 0;
      CHECK_MESSAGE(known, "thread of unknown origin: ", n);
    }
  }

  TEST_CASE("the descriptor table is sized for the plan at start, not grown under a burst") {
    // --max-in-flight 5000: the plan holds >= 5000 descriptors; the table (FDSize in
    // /proc/<pid>/status) must already hold them with the server idle, since growing it
    // later stalls every thread that opens a socket for an RCU grace period.
    auto tock = StartOwnTock({"--max-in-flight", "5000", "--max-connections", "1000"});
    const int64_t fd_size = bench::StatusValue(tock->pid(), "FDSize");
    INFO("FDSize ", fd_size);
    CHECK(fd_size >= 6000);
  }

  TEST_CASE("SIGTERM on an idle server exits 0") {
    auto tock = StartOwnTock();
    CHECK(tock->Terminate() == 0);
  }

  TEST_CASE("SIGTERM is not held up by an idle keep-alive client connection") {
    auto tock = StartOwnTock();
    ApiClient api(*tock);  // keeps its connection open after the request
    REQUIRE(api.Healthz() == 200);
    const int64_t t0 = MonoNowMs();
    CHECK(tock->Terminate() == 0);
    const int64_t took = MonoNowMs() - t0;
    INFO("exit took ", took, " ms");
    CHECK(took < 3000);
  }

  TEST_CASE("SIGTERM during an attempt exits 0 and the task is not lost") {
    auto tock = StartOwnTock();
    Receiver rx;
    rx.QueueReplies({{200, "success", 1000ms}});
    ApiClient api(*tock);
    App app = api.CreateApp(rx.Url(), {.step = 0, .retry_total = 2});
    REQUIRE(app.ok());
    ApiResponse r = api.CreateTask(app, {.timeout = "5000"});
    REQUIRE_MESSAGE(r.status == 200, r.Describe());
    const int64_t id = r.Int("/data/taskId");
    REQUIRE(rx.WaitForCount(1, 5s));
    CHECK(tock->Terminate() == 0);

    std::string error;
    REQUIRE_MESSAGE(tock->Start(&error), error);
    ApiClient api2(*tock);
    ApiResponse d = api2.WaitForStatus(app, id, 2, 8s);
    INFO("detail: ", d.Describe(), "  deliveries: ", rx.Count());
    CHECK(d.Int("/data/status") == 2);
  }

  TEST_CASE("--time-zone reads and shows wall times in the server's zone") {
    // Asia/Shanghai: UTC+8 all year, so the expected strings need no tz database here.
    auto tock = StartOwnTock({"--time-zone", "Asia/Shanghai"});
    Receiver rx;
    ApiClient api(*tock);
    App app = api.CreateApp(rx.Url());
    REQUIRE(app.ok());
    const int64_t ms = (WallNowMs() / 1000 + 7200) * 1000;
    const std::string local = WallTimeString(ms, 8 * 3600);

    ApiResponse r = api.CreateTask(app, {.runtime = JsonString(local)});
    REQUIRE_MESSAGE(r.status == 200, r.Describe());
    ApiResponse d = api.Detail(app, r.Int("/data/taskId"));
    INFO("detail: ", d.Describe());
    CHECK(d.Int("/data/runtimeMs") == ms);
    CHECK(d.Str("/data/runtime") == local);

    r = api.CreateTask(app, {.runtime = std::to_string(ms / 1000)});
    REQUIRE_MESSAGE(r.status == 200, r.Describe());
    d = api.Detail(app, r.Int("/data/taskId"));
    CHECK(d.Int("/data/runtimeMs") == ms);
    CHECK(d.Str("/data/runtime") == local);
  }

  TEST_CASE("without TOCK_ADMIN_TOKEN a token is generated into <data>/admin.token, mode 0600") {
    TockProcess tock({.binary = TOCK_BINARY, .admin_token_in_env = false});
    std::string error;
    REQUIRE_MESSAGE(tock.Start(&error), error);
    const std::string token = tock.admin_token();
    CHECK(token.size() >= 16);
    struct stat st {};
    REQUIRE(stat(tock.admin_token_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(Contains(tock.ReadLog(), tock.admin_token_path()));
    CHECK_FALSE(Contains(tock.ReadLog(), token));  // the path is logged, never the secret

    Receiver rx;
    {
      ApiClient api(tock);
      CHECK(api.CreateApp(rx.Url()).ok());
      CheckError(api.AdminPost("/application/create", ApiClient::AppBody(rx.Url(), {}), "x"),
                 401, "");
    }
    // The same token after a restart.
    tock.Kill9();
    REQUIRE_MESSAGE(tock.Start(&error), error);
    CHECK(tock.admin_token() == token);
    ApiClient api(tock);
    CHECK(api.CreateApp(rx.Url()).ok());
  }

  TEST_CASE("an unknown --time-zone makes start-up fail with a clear log line") {
    TockProcess tock({.binary = TOCK_BINARY, .extra_args = {"--time-zone", "Mars/Olympus"},
                      .ready_timeout = 5s});
    std::string error;
    CHECK_FALSE(tock.Start(&error));
    CHECK_FALSE(tock.running());
    CHECK(Contains(tock.ReadLog(), "time"));
  }
}

}  // namespace tock::testing
