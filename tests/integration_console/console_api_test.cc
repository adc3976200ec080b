// The console's server side against the real binary (issue 13): the embedded assets and
// their headers, the OpenAPI document (OpenAPI 3.1 in shape, and naming every route the
// router knows), and the admin JSON routes the console runs on.
#include <httplib.h>
#include <simdjson.h>

#include <set>
#include <string>
#include <utility>

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

    for (const char* name : {"app.js", "api.js", "pages.js", "charts.js", "trigger_words.js"}) {
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

  TEST_CASE("task lists and bulk replay are defined and answer 501 until their indexes exist") {
    RawClient c(ConsoleTock());
    const auto admin = AdminHeaders(ConsoleTock());
    for (auto [method, path] : {std::pair{"GET", "/admin/tasks?app=x&state=failed&limit=10"},
                                std::pair{"GET", "/admin/failed"},
                                std::pair{"POST", "/admin/failed/replay"},
                                std::pair{"GET", "/admin/failed/replay/job1"}}) {
      ApiResponse r = c.Send(method, path, "", admin);
      CHECK_MESSAGE(r.status == 501, path);
      CHECK(r.Str("/error") == "not implemented yet");
      CHECK(c.Send(method, path, "").status == 401);
    }
  }
}

}  // namespace tock::testing
