// The console's server side against the real binary (issue 13): the embedded assets and
// their headers, the OpenAPI document (OpenAPI 3.1 in shape, and naming every route the
// router knows), and the admin JSON routes the console runs on.
#include <httplib.h>
#include <simdjson.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "integration/integration_util.h"
#include "integration_console/console_it_util.h"
#include "integration_schedules/schedule_it_util.h"

namespace tock::testing {
namespace {

// The header checks every console answer must pass.
void CheckConsoleHeaders(const ApiResponse& r) {
  const std::string csp = r.Header("Content-Security-Policy");
  CHECK_MESSAGE(csp.find("default-src 'self'") != std::string::npos, csp);
  CHECK_MESSAGE(csp.find("frame-ancestors 'none'") != std::string::npos, csp);
  CHECK_MESSAGE(csp.find("script-src 'self'") != std::string::npos, csp);
  CHECK_MESSAGE(csp.find("unsafe-inline") == std::string::npos, csp);
  CHECK(r.Header("X-Frame-Options") == "DENY");
  CHECK(r.Header("X-Content-Type-Options") == "nosniff");
  CHECK(r.Header("Referrer-Policy") == "no-referrer");
}

}  // namespace

TEST_SUITE("ConsoleAssets") {
  TEST_CASE("the console is served from the binary with strict headers and strong ETags") {
    TockProcess& tock = ConsoleTock();
    RawClient c(tock);
    ApiResponse redirect = c.Send("GET", "/ui");
    CHECK(redirect.status == 301);
    CHECK(redirect.Header("Location") == "/ui/");
    CheckConsoleHeaders(redirect);

    ApiResponse index = c.Send("GET", "/ui/");
    REQUIRE_MESSAGE(index.status == 200, index.Describe());
    CHECK(index.Header("Content-Type").find("text/html") == 0);
    CHECK(index.body.find("<script type=\"module\" src=\"app.js\">") != std::string::npos);
    CheckConsoleHeaders(index);
    const std::string etag = index.Header("ETag");
    REQUIRE(etag.size() == 34);  // a quoted 32-digit hash: strong (no W/)
    CHECK(etag.front() == '"');

    // An unchanged file costs a 304 without its body.
    ApiResponse again = c.Send("GET", "/ui/", "", {{"If-None-Match", etag}});
    CHECK(again.status == 304);
    CHECK(again.body.empty());
    CheckConsoleHeaders(again);
    CHECK(c.Send("GET", "/ui/", "", {{"If-None-Match", "\"other\""}}).status == 200);

    for (const char* name : {"app.js", "api.js", "dom.js", "pages.js", "task_pages.js", "charts.js",
                             "trigger_words.js"}) {
      ApiResponse js = c.Send("GET", std::string("/ui/") + name);
      CHECK_MESSAGE(js.status == 200, name);
      CHECK_MESSAGE(js.Header("Content-Type").find("text/javascript") == 0, name);
      CheckConsoleHeaders(js);
    }
    ApiResponse css = c.Send("GET", "/ui/app.css");
    CHECK(css.Header("Content-Type").find("text/css") == 0);
    ApiResponse missing = c.Send("GET", "/ui/nothing.js");
    CHECK(missing.status == 404);
    CheckConsoleHeaders(missing);
    // Nothing outside the embedded set, however it is spelt.
    CHECK(c.Send("GET", "/ui/..%2Fmeson.build").status == 404);
    CHECK(c.Send("GET", "/ui/a/b").status == 404);
  }
}

TEST_SUITE("ConsoleOpenApi") {
  TEST_CASE("/openapi.json is OpenAPI 3.1 and documents every route the router knows") {
    TockProcess& tock = ConsoleTock();
    RawClient c(tock);
    ApiResponse doc = c.Send("GET", "/openapi.json");
    REQUIRE_MESSAGE(doc.status == 200, doc.Describe());
    CHECK(doc.Header("Content-Type") == "application/json");
    CheckConsoleHeaders(doc);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE_MESSAGE(parser.parse(doc.body).get(root) == simdjson::SUCCESS, "not JSON");
    std::string_view version;
    REQUIRE(root["openapi"].get(version) == simdjson::SUCCESS);
    CHECK(version.substr(0, 4) == "3.1.");
    std::string_view title;
    CHECK(root["info"]["title"].get(title) == simdjson::SUCCESS);
    std::string_view info_version;
    CHECK(root["info"]["version"].get(info_version) == simdjson::SUCCESS);
    simdjson::dom::object paths;
    REQUIRE(root["paths"].get(paths) == simdjson::SUCCESS);

    // Every operation of every path item has responses; every $ref resolves.
    const std::set<std::string_view> methods = {"get", "put", "post", "delete", "options",
                                                "head", "patch", "trace"};
    std::set<std::pair<std::string, std::string>> documented;
    for (auto [path, item] : paths) {
      CHECK_MESSAGE(path.substr(0, 1) == "/", path);
      simdjson::dom::object ops;
      REQUIRE(item.get(ops) == simdjson::SUCCESS);
      for (auto [method, op] : ops) {
        if (method == "parameters" || method == "summary" || method == "description") continue;
        CHECK_MESSAGE(methods.count(method) == 1, path << " " << method);
        simdjson::dom::object responses;
        CHECK_MESSAGE(op["responses"].get(responses) == simdjson::SUCCESS, path << " " << method);
        CHECK_MESSAGE(responses.size() > 0, path << " " << method);
        for (auto [code, response] : responses) {
          (void)response;
          CHECK_MESSAGE((code == "default" || (code.size() == 3 && code[0] >= '1' && code[0] <= '5')),
                        path << " " << method << " " << code);
        }
        documented.emplace(std::string(method), std::string(path));
      }
    }
    const std::vector<std::string> dangling = DanglingRefs(root, root);
    CHECK_MESSAGE(dangling.empty(), "unresolved $ref: " << (dangling.empty() ? "" : dangling[0]));

    ApiResponse routes = c.Send("GET", "/admin/routes", "", AdminHeaders(tock));
    REQUIRE_MESSAGE(routes.status == 200, routes.Describe());
    const int64_t n = routes.Size("/data/routes");
    REQUIRE(n > 40);
    int checked = 0;
    for (int64_t i = 0; i < n; ++i) {
      const std::string at = "/data/routes/" + std::to_string(i);
      std::string method = routes.Str(at + "/method");
      const std::string pattern = routes.Str(at + "/pattern");
      if (method == "*") continue;  // a surface's fallback (/v4/*): its own 404s, documented in info
      for (char& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      CHECK_MESSAGE(documented.count({method, pattern}) == 1,
                    "route not in /openapi.json: " << method << " " << pattern);
      ++checked;
    }
    CHECK(checked == static_cast<int>(documented.size()));  // and nothing documented is unserved
    CHECK(c.Send("GET", "/admin/routes").status == 401);
  }

  TEST_CASE("/openapi.json passes an npm OpenAPI 3.1 validator") {
    TockProcess& tock = ConsoleTock();
    RawClient c(tock);
    ApiResponse doc = c.Send("GET", "/openapi.json");
    REQUIRE(doc.status == 200);
    std::string output;
    const int rc = RunNodeScript("tests/integration_console/validate_openapi.mjs",
                                 doc.body, &output, std::chrono::seconds(120));
    MESSAGE(output);
    CHECK_MESSAGE(rc == 0, output);
  }
}

TEST_SUITE("ConsoleAdminApi") {
  TEST_CASE("admin stats: counters, lateness, gauges and every application") {
    AppFixture f(ConsoleTock());
    RawClient c(ConsoleTock());
    CHECK(c.Send("GET", "/admin/stats").status == 401);
    CHECK(c.Send("GET", "/admin/stats", "", {{"Authorization", "Bearer wrong"}}).status == 401);
    const int64_t id = f.MustCreate({.runtime = RuntimeJson(WallNowMs())});
    REQUIRE(f.api.WaitForStatus(f.app, id, 2, 30s).Int("/data/status") == 2);
    ApiResponse s = c.Send("GET", "/admin/stats", "", AdminHeaders(ConsoleTock()));
    REQUIRE_MESSAGE(s.status == 200, s.Describe());
    CHECK(s.Int("/data/deliveries/success") >= 1);
    CHECK(s.Int("/data/deliveries/total") >= s.Int("/data/deliveries/success"));
    CHECK(s.Size("/data/lateness/bounds") + 1 == s.Size("/data/lateness/cumulative"));
    CHECK(s.Json("/data/lateness/p50Seconds") != "null");
    CHECK(s.Int("/data/tasks/inFlight") >= 0);
    bool found = false;
    for (int64_t i = 0; i < s.Size("/data/apps"); ++i) {
      if (s.Str("/data/apps/" + std::to_string(i) + "/appKey") == f.app.app_key) found = true;
    }
    CHECK(found);
  }

  TEST_CASE("admin task routes: detail, cancel and publish by application and id") {
    AppFixture f(ConsoleTock());
    RawClient c(ConsoleTock());
    const auto admin = AdminHeaders(ConsoleTock());
    const int64_t id = f.MustCreate({.runtime = RuntimeJson(WallNowMs() + 3'600'000)});
    const std::string base = "/admin/apps/" + f.app.app_key + "/tasks/" + std::to_string(id);
    ApiResponse d = c.Send("GET", base, "", admin);
    REQUIRE_MESSAGE(d.status == 200, d.Describe());
    CHECK(d.Int("/data/taskId") == id);
    CHECK(d.Str("/data/state") == "waiting");
    CHECK(d.Str("/data/appKey") == f.app.app_key);
    CHECK(d.Str("/data/content/hello") == "world");

    ApiResponse cancelled = c.Send("POST", base + "/cancel", "", admin);
    CHECK_MESSAGE(cancelled.status == 200, cancelled.Describe());
    CHECK(c.Send("GET", base, "", admin).Str("/data/state") == "cancelled");
    // Replay: a cancelled task runs again now and is delivered.
    ApiResponse replay = c.Send("POST", base + "/publish", "", admin);
    CHECK_MESSAGE(replay.status == 200, replay.Describe());
    CHECK(f.receiver.WaitForCount(1, 30s));
    CHECK(f.api.WaitForStatus(f.app, id, 2, 30s).Int("/data/status") == 2);

    // Errors name what is wrong.
    ApiResponse bad = c.Send("GET", "/admin/apps/" + f.app.app_key + "/tasks/abc", "", admin);
    CHECK(bad.status == 400);
    CHECK(bad.msg().find("path 'taskId'") != std::string::npos);
    ApiResponse unknown = c.Send("GET", "/admin/apps/nosuchapp0000000/tasks/1", "", admin);
    CHECK(unknown.status == 404);
    CHECK(unknown.msg().find("path 'appKey'") != std::string::npos);
    CHECK(c.Send("POST", base + "/cancel", "").status == 401);
    // Another application's task is not found through this one.
    AppFixture other(ConsoleTock());
    CHECK(c.Send("GET", "/admin/apps/" + other.app.app_key + "/tasks/" + std::to_string(id), "",
                 admin).status == 404);
  }

  TEST_CASE("admin schedule routes: list with canonical triggers, msg-ids, disable, enable, delete") {
    AppFixture f(ConsoleTock());
    RawClient c(ConsoleTock());
    const auto admin = AdminHeaders(ConsoleTock());
    ScheduleClient sc(ConsoleTock());
    const std::string id = sc.MustCreate(f.app, WeeklyScheduleBody("console weekly"));
    const std::string base = "/admin/apps/" + f.app.app_key + "/schedules";
    ApiResponse list = c.Send("GET", base, "", admin);
    REQUIRE_MESSAGE(list.status == 200, list.Describe());
    CHECK(list.Int("/data/totalCount") == 1);
    CHECK(list.Str("/data/schedules/0/schedule/schedule_id") == id);
    CHECK(list.Str("/data/schedules/0/canonicalTrigger/periodical/time_unit") == "week");
    CHECK(list.Json("/data/schedules/0/canonicalTrigger/periodical/point") == R"(["WED","FRI"])");
    CHECK(list.Str("/data/schedules/0/schedule/time_zone") == "Asia/Tokyo");

    ApiResponse one = c.Send("GET", base + "/" + id, "", admin);
    CHECK(one.status == 200);
    CHECK(one.Size("/data/msgIds") == 0);
    ApiResponse off = c.Send("POST", base + "/" + id + "/disable", "", admin);
    CHECK_MESSAGE(off.status == 200, off.Describe());
    CHECK_FALSE(off.Bool("/data/schedule/enabled", true));
    CHECK(sc.Get(f.app, id).Bool("/enabled", true) == false);
    ApiResponse on = c.Send("POST", base + "/" + id + "/enable", "", admin);
    CHECK(on.Bool("/data/schedule/enabled"));
    CHECK(c.Send("GET", base + "?page=0", "", admin).status == 400);
    CHECK(c.Send("GET", base + "?page=0", "", admin).msg().find("query 'page'") == 0);
    ApiResponse gone = c.Send("DELETE", base + "/" + id, "", admin);
    CHECK_MESSAGE(gone.status == 200, gone.Describe());
    CHECK(sc.Get(f.app, id).status == 404);
    CHECK(c.Send("GET", base + "/" + id, "", admin).status == 404);
    CHECK(c.Send("DELETE", base + "/" + id, "").status == 401);
  }

  TEST_CASE("task lists: by application, state, taskNo prefix and due time, in keyset pages") {
    AppFixture f(ConsoleTock());
    RawClient c(ConsoleTock());
    const auto admin = AdminHeaders(ConsoleTock());
    const int64_t base = WallNowMs() + 3'600'000;  // all waiting an hour ahead
    std::vector<int64_t> ids;
    for (int i = 0; i < 7; ++i) {
      ids.push_back(f.MustCreate({.task_no = "order-" + std::to_string(i),
                                  .runtime = RuntimeJson(base + i * 60'000)}));
    }
    const int64_t other = f.MustCreate({.task_no = "refund-1", .runtime = RuntimeJson(base)});
    const std::string app = "app=" + f.app.app_key;
    // Latest due first, 3 a page; the cursor walks on without repeats or gaps.
    std::vector<int64_t> seen;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
      ApiResponse r = c.Send("GET", "/admin/tasks?" + app + "&state=waiting&limit=3" +
                                        (cursor.empty() ? "" : "&cursor=" + cursor), "", admin);
      REQUIRE_MESSAGE(r.status == 200, r.Describe());
      for (int64_t i = 0; i < r.Size("/data/tasks"); ++i) {
        const std::string at = "/data/tasks/" + std::to_string(i);
        CHECK(r.Str(at + "/appKey") == f.app.app_key);
        CHECK(r.Str(at + "/state") == "waiting");
        seen.push_back(r.Int(at + "/taskId"));
      }
      CHECK(r.Size("/data/tasks") <= 3);
      if (r.IsNull("/data/nextCursor")) break;
      cursor = r.Str("/data/nextCursor");
    }
    CHECK(seen == std::vector<int64_t>{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], other, ids[0]});

    ApiResponse prefix = c.Send("GET", "/admin/tasks?" + app + "&prefix=order-&order=asc", "", admin);
    REQUIRE_MESSAGE(prefix.status == 200, prefix.Describe());
    REQUIRE(prefix.Size("/data/tasks") == 7);
    CHECK(prefix.Str("/data/tasks/0/taskNo") == "order-0");
    CHECK(prefix.Str("/data/order") == "asc");
    const std::string range = "&from=" + std::to_string(base + 60'000) + "&to=" +
                              std::to_string(base + 3 * 60'000);
    ApiResponse due = c.Send("GET", "/admin/tasks?" + app + range, "", admin);
    REQUIRE(due.Size("/data/tasks") == 2);
    CHECK(due.Int("/data/tasks/0/taskId") == ids[2]);
    CHECK(due.Int("/data/tasks/1/taskId") == ids[1]);
    CHECK(c.Send("GET", "/admin/tasks?" + app + "&state=failed", "", admin).Size("/data/tasks") == 0);
    // Every application: this one's tasks are among them.
    ApiResponse all = c.Send("GET", "/admin/tasks?limit=500", "", admin);
    REQUIRE_MESSAGE(all.status == 200, all.Describe());
    CHECK(all.Size("/data/tasks") >= 8);

    // Errors name the query parameter.
    for (auto [query, name] : {std::pair{"state=sleeping", "query 'state'"},
                               std::pair{"limit=0", "query 'limit'"},
                               std::pair{"limit=501", "query 'limit'"},
                               std::pair{"from=yesterday", "query 'from'"},
                               std::pair{"cursor=xyz", "query 'cursor'"},
                               std::pair{"prefix=order-", "query 'prefix'"},  // without app
                               std::pair{"order=up", "query 'order'"}}) {
      ApiResponse bad = c.Send("GET", std::string("/admin/tasks?") + query, "", admin);
      CHECK_MESSAGE(bad.status == 400, query);
      CHECK_MESSAGE(bad.msg().find(name) == 0, bad.msg());
    }
    CHECK(c.Send("GET", "/admin/tasks?app=nosuchapp0000000", "", admin).status == 404);
    CHECK(c.Send("GET", "/admin/tasks", "").status == 401);
    CHECK(c.Send("GET", "/admin/failed", "").status == 401);
  }

  TEST_CASE("failed deliveries: the reason in words, listed, replayed one by one and in bulk, deleted") {
    AppFixture f(ConsoleTock());  // retryTotal 0: one failed attempt fails the task
    RawClient c(ConsoleTock());
    const auto admin = AdminHeaders(ConsoleTock());
    std::atomic<bool> healthy{false};
    f.receiver.SetReplyFunction([&](const ReceivedRequest&) {
      return healthy.load() ? Reply{} : Reply{.status = 501, .body = "not here"};
    });
    const int64_t t0 = WallNowMs();
    std::vector<int64_t> ids;
    for (int i = 0; i < 5; ++i) {
      ids.push_back(f.MustCreate({.task_no = "fail-" + std::to_string(i),
                                  .runtime = RuntimeJson(WallNowMs())}));
    }
    for (int64_t id : ids) REQUIRE(f.api.WaitForStatus(f.app, id, 4, 60s).Int("/data/status") == 4);
    // A 501 answer says why, in /task/detail and in the admin detail.
    ApiResponse d = f.api.Detail(f.app, ids[0]);
    CHECK(d.Str("/data/attempts/0/error") == "HTTP 501");
    CHECK(d.Str("/data/attempts/0/response") == "not here");
    const std::string task0 = "/admin/apps/" + f.app.app_key + "/tasks/" + std::to_string(ids[0]);
    CHECK(c.Send("GET", task0, "", admin).Str("/data/attempts/0/error") == "HTTP 501");

    const std::string app = "app=" + f.app.app_key;
    ApiResponse failed = c.Send("GET", "/admin/failed?" + app, "", admin);
    REQUIRE_MESSAGE(failed.status == 200, failed.Describe());
    REQUIRE(failed.Size("/data/tasks") == 5);
    CHECK(failed.Str("/data/tasks/0/lastError") == "HTTP 501");
    CHECK(failed.Str("/data/tasks/0/state") == "failed");
    CHECK(failed.Int("/data/tasks/0/finishedAt") >= t0);
    // By failure time: nothing failed before the test began.
    ApiResponse before = c.Send("GET", "/admin/failed?" + app + "&to=" + std::to_string(t0), "", admin);
    CHECK(before.Size("/data/tasks") == 0);

    // The receiver is back: replay one, then the rest in bulk.
    healthy.store(true);
    CHECK(c.Send("POST", task0 + "/publish", "", admin).status == 200);
    CHECK(f.api.WaitForStatus(f.app, ids[0], 2, 60s).Int("/data/status") == 2);
    // Delete one that failed (a finished task); a waiting or unknown one cannot be deleted.
    const std::string task4 = "/admin/apps/" + f.app.app_key + "/tasks/" + std::to_string(ids[4]);
    ApiResponse deleted = c.Send("DELETE", task4, "", admin);
    CHECK_MESSAGE(deleted.status == 200, deleted.Describe());
    CHECK(c.Send("GET", task4, "", admin).status == 404);
    CHECK(c.Send("DELETE", task4, "", admin).status == 404);
    CHECK(c.Send("DELETE", task4, "").status == 401);

    const std::string filter = R"({"app":")" + f.app.app_key + R"(","from":)" + std::to_string(t0) + "}";
    ApiResponse job = c.Send("POST", "/admin/failed/replay", filter, admin);
    REQUIRE_MESSAGE(job.status == 202, job.Describe());
    const std::string job_id = job.Str("/data/jobId");
    CHECK(!job_id.empty());
    ApiResponse status;
    for (int i = 0; i < 600; ++i) {  // until the job has ended (a condition, generous deadline)
      status = c.Send("GET", "/admin/failed/replay/" + job_id, "", admin);
      REQUIRE_MESSAGE(status.status == 200, status.Describe());
      if (status.Str("/data/state") != "queued" && status.Str("/data/state") != "running") break;
      std::this_thread::sleep_for(100ms);
    }
    CHECK(status.Str("/data/state") == "done");
    CHECK(status.Int("/data/total") == 3);
    CHECK(status.Int("/data/replayed") == 3);
    CHECK(status.Int("/data/done") == 3);
    for (int i = 1; i < 4; ++i) {
      CHECK(f.api.WaitForStatus(f.app, ids[i], 2, 60s).Int("/data/status") == 2);
    }
    // Their attempts are kept: the failed one, then the one that succeeded.
    ApiResponse replayed = f.api.Detail(f.app, ids[1]);
    CHECK(replayed.Size("/data/attempts") == 2);
    CHECK(replayed.Str("/data/attempts/0/error") == "HTTP 501");
    CHECK(replayed.Str("/data/attempts/1/outcome") == "success");
    CHECK(c.Send("GET", "/admin/failed?" + app, "", admin).Size("/data/tasks") == 0);

    CHECK(c.Send("GET", "/admin/failed/replay/nosuchjob", "", admin).status == 404);
    CHECK(c.Send("POST", "/admin/failed/replay", R"({"app":"nosuchapp0000000"})", admin).status == 404);
    CHECK(c.Send("POST", "/admin/failed/replay", R"({"from":"x"})", admin).status == 400);
    CHECK(c.Send("POST", "/admin/failed/replay", "{}").status == 401);
  }
}

}  // namespace tock::testing
