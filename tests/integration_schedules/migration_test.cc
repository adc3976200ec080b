// Issue 14, "Migrate without code changes": each numbered point of the issue against
// /v4/schedules of the real binary, with the bodies the issue quotes (the EngageLab
// document's create example, with and without zone_type), plus the appKey a migrating
// JPush user keeps. The server runs in Asia/Tokyo so that the server's zone, an
// application's zone (America/New_York) and UTC give different instants.
#include <string>
#include <vector>

#include "integration/integration_util.h"
#include "integration_schedules/schedule_it_util.h"
#include "timeutil/time_parse.h"
#include "timeutil/time_zone.h"

namespace tock::testing {
namespace {

constexpr const char* kServerZone = "Asia/Tokyo";
constexpr const char* kAppZone = "America/New_York";

TimeZone Zone(const char* name) {
  Result<TimeZone> z = TimeZone::Load(name);
  REQUIRE_MESSAGE(z.ok(), z.status().message());
  return *z;
}

// The EngageLab document's create example with `single` as its trigger's single section.
std::string DocBody(const std::string& single) {
  return R"({"name":"schedule push example","enabled":true,"trigger":{"single":)" + single +
         R"(},"push":{"from":"push","to":{"registration_id":["1a0018970ab49abda3e",)"
         R"("100d85590955c1d2793"]},"body":{"platform":"web","notification":{"alert":)"
         R"("Api web timed task","web":{"alert":"Api web timed task","title":)"
         R"("Api web timed task","extras":{"key1":"value1"}}},"message":{},"options":)"
         R"({"time_to_live":60}},"request_id":"12345","custom_args":"business info"}})";
}

// A tock in Asia/Tokyo with one application in America/New_York and one without a zone.
struct ZonedTock {
  std::unique_ptr<TockProcess> tock = StartScheduleTock({"--time-zone", kServerZone});
  Receiver rx;
  ApiClient api{*tock};
  ScheduleClient sc{*tock};
  App ny = MustCreate({.time_zone = kAppZone});
  App plain = MustCreate({});

  App MustCreate(const AppOptions& o) {
    App app = api.CreateApp(rx.Url(), o);
    REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
    return app;
  }
  // Creates from `body` and returns the schedule as GET shows it.
  ApiResponse CreateAndGet(const App& app, const std::string& body) {
    std::string id = sc.MustCreate(app, body);
    ApiResponse g = sc.Get(app, id);
    REQUIRE_MESSAGE(g.status == 200, g.Describe());
    return g;
  }
};

std::string Single(const std::string& time, const std::string& zone_fields = "") {
  return R"({"time":")" + time + "\"" + zone_fields + "}";
}

}  // namespace

TEST_SUITE("ScheduleMigration") {
  TEST_CASE("1. zone_type absent, 0 or any value but 1 and 2: the server's zone") {
    ZonedTock z;
    const int64_t at = WholeSecondAfter(3'600'000);
    const std::string tokyo = FormatDateTime(at, Zone(kServerZone));
    for (const std::string zone_fields : {"", R"(,"zone_type":0)", R"(,"zone_type":null)",
                                          R"(,"zone_type":7)", R"(,"zone_type":-1)",
                                          R"(,"zone_type":1)"}) {
      CAPTURE(zone_fields);
      // The application's zone does not matter here: only zone_type 2 reads it.
      ApiResponse g = z.CreateAndGet(z.ny, DocBody(Single(tokyo, zone_fields)));
      CHECK(g.Int("/next_fire") == at);
      CHECK(g.Str("/time_zone") == kServerZone);
      CHECK(g.Json("/trigger") == R"({"single":)" + Single(tokyo, zone_fields) + "}");
    }
    // Not an integer: refused, naming the field and the rule.
    CheckScheduleError(z.sc.Create(z.ny, DocBody(Single(tokyo, R"(,"zone_type":"1")"))), 400,
                       28100, "trigger.single.zone_type: must be an integer");
    // time_zone without zone_type 2 would be silently ignored: refused.
    CheckScheduleError(z.sc.Create(z.ny, DocBody(Single(tokyo, R"(,"time_zone":"UTC")"))), 400,
                       28100, "trigger.single.time_zone: is only allowed with zone_type 2");
  }

  TEST_CASE("2. zone_type 2 without time_zone: the application's time zone") {
    ZonedTock z;
    const int64_t at = WholeSecondAfter(3'600'000);
    ApiResponse g = z.CreateAndGet(
        z.ny, DocBody(Single(FormatDateTime(at, Zone(kAppZone)), R"(,"zone_type":2)")));
    CHECK(g.Int("/next_fire") == at);
    CHECK(g.Str("/time_zone") == kAppZone);
    CHECK(g.Json("/trigger/single") ==
          Single(FormatDateTime(at, Zone(kAppZone)), R"(,"zone_type":2)"));  // as sent
    // An application without a timeZone: the server's.
    g = z.CreateAndGet(
        z.plain, DocBody(Single(FormatDateTime(at, Zone(kServerZone)), R"(,"zone_type":2)")));
    CHECK(g.Int("/next_fire") == at);
    CHECK(g.Str("/time_zone") == kServerZone);
    // A time_zone in the trigger still wins over the application's.
    g = z.CreateAndGet(z.ny, DocBody(Single(FormatDateTime(at, TimeZone::Utc()),
                                            R"(,"zone_type":2,"time_zone":"UTC")")));
    CHECK(g.Int("/next_fire") == at);
    CHECK(g.Str("/time_zone") == "UTC");
  }

  TEST_CASE("2. a schedule keeps the application's zone it was created in") {
    ZonedTock z;
    const int64_t at = WholeSecondAfter(3'600'000);
    const std::string id = z.sc.MustCreate(
        z.ny, DocBody(Single(FormatDateTime(at, Zone(kAppZone)), R"(,"zone_type":2)")));
    ApiResponse u = z.api.AdminPost("/application/update",
                                    "{\"app_key\":\"" + z.ny.app_key +
                                        "\",\"timeZone\":\"Europe/London\"}");
    REQUIRE_MESSAGE(u.status == 200, u.Describe());
    ApiResponse g = z.sc.Get(z.ny, id);
    CHECK(g.Int("/next_fire") == at);
    CHECK(g.Str("/time_zone") == kAppZone);
  }

  TEST_CASE("3. every route takes a trailing slash; an unknown route is not a missing schedule") {
    ZonedTock z;
    const std::string time = FormatDateTime(WholeSecondAfter(3'600'000), Zone(kServerZone));
    ApiResponse c = z.sc.Request("POST", "/v4/schedules/", z.plain, DocBody(Single(time)));
    REQUIRE_MESSAGE(c.status == 200, c.Describe());
    const std::string id = c.Str("/schedule_id");
    ApiResponse l = z.sc.Request("GET", "/v4/schedules/?page=1", z.plain);
    CHECK_MESSAGE(l.status == 200, l.Describe());
    CHECK(l.Int("/total_count") == 1);
    CHECK(z.sc.Request("GET", "/v4/schedules/" + id + "/", z.plain).Str("/schedule_id") == id);
    CHECK(z.sc.Request("GET", "/v4/schedules/" + id + "/msg-ids/", z.plain).Int("/count") == 0);
    CHECK(z.sc.Request("PUT", "/v4/schedules/" + id + "/", z.plain, R"({"name":"slash"})")
              .Str("/name") == "slash");
    // The rest of tock too (the router does it for every route).
    CHECK(z.api.Get("/healthz/").status == 200);
    ApiResponse task = z.api.AppPost(z.plain, "/task/create/", R"({"content":{"a":1}})");
    CHECK_MESSAGE(task.status == 200, task.Describe());
    CHECK(z.sc.Request("DELETE", "/v4/schedules/" + id + "/", z.plain).status == 200);

    for (const std::string& path : std::vector<std::string>{
             "/v4/schedule", "/v4/schedules/" + id + "/fires", "/v4", "/v4/push"}) {
      CAPTURE(path);
      ApiResponse r = z.sc.Request("GET", path, z.plain);
      CheckScheduleError(r, 404, 28404, "no such route: GET " + path + " does not exist");
    }
    CheckScheduleError(z.sc.Request("GET", "/v3/schedule", z.plain), 404, 8404, "no such route");
    ApiResponse patch = z.sc.Request("PATCH", "/v4/schedules/" + id, z.plain, "{}");
    CheckScheduleError(patch, 405, 28404, "no such route: PATCH");
    CHECK(patch.Header("Allow") == "GET, HEAD, PUT, DELETE");
  }

  TEST_CASE("4. msg-ids answers msgids and msg_ids with the same list") {
    ZonedTock z;
    const int64_t at = WholeSecondAfter(1500);
    const std::string id =
        z.sc.MustCreate(z.plain, DocBody(Single(FormatDateTime(at, Zone(kServerZone)))));
    // The fire is whole seconds ahead; 3 s past it is a generous wait for one delivery.
    REQUIRE_MESSAGE(z.rx.WaitForCount(1, std::chrono::milliseconds(at - WallNowMs() + 3000)),
                    "no delivery");
    const std::string msg_id = ParseJson(z.rx.Requests()[0].body).Str("/msgId");
    for (const std::string suffix : {"/msg-ids", "/msg_ids"}) {
      ApiResponse m = z.sc.Request("GET", "/v4/schedules/" + id + suffix, z.plain);
      REQUIRE_MESSAGE(m.status == 200, m.Describe());
      CHECK(m.Int("/count") == 1);
      CHECK(m.Json("/msgids") == "[\"" + msg_id + "\"]");
      CHECK(m.Json("/msg_ids") == m.Json("/msgids"));
    }
  }

  TEST_CASE("5. fields come back as sent; kinds tock does not offer are named") {
    ZonedTock z;
    const TimeZone tokyo = Zone(kServerZone);
    const int64_t now = WallNowMs();
    const std::string periodical =
        R"({"periodical":{"start":")" + FormatDateTime(now + 86'400'000, tokyo) +
        R"(","end":")" + FormatDateTime(now + 20 * 86'400'000LL, tokyo) +
        R"(","time":"12:00:00","time_unit":"WEEK","frequency":1,"point":["WED","fri"]}})";
    const std::string body = ScheduleBody(R"("weekly")", "true", periodical, R"({"a":1})");
    const std::string id = z.sc.MustCreate(z.plain, body);
    CHECK(z.sc.Get(z.plain, id).Json("/trigger") == periodical);
    CHECK(z.sc.List(z.plain).Json("/schedules/0/trigger") == periodical);
    ApiResponse u = z.sc.Update(z.plain, id, "{\"trigger\":" + periodical + "}");
    REQUIRE_MESSAGE(u.status == 200, u.Describe());
    CHECK(u.Str("/trigger/periodical/time_unit") == "WEEK");
    // A kind the originals have and tock does not.
    CheckScheduleError(
        z.sc.Create(z.plain, ScheduleBody(R"("smart")", "true",
                                          R"({"intelligent":{"backup_time":"2030-01-01 10:00:00"}})",
                                          R"({"a":1})")),
        400, 28100,
        "trigger.intelligent: the trigger kind 'intelligent' is not offered by tock");
  }

  TEST_CASE("6. a PUT may not move a schedule between the server's and a terminal zone") {
    ZonedTock z;
    const int64_t at = WholeSecondAfter(3'600'000);
    const std::string server_time = FormatDateTime(at, Zone(kServerZone));
    const std::string app_time = FormatDateTime(at, Zone(kAppZone));
    const std::string absent = z.sc.MustCreate(z.ny, DocBody(Single(server_time)));
    const std::string terminal =
        z.sc.MustCreate(z.ny, DocBody(Single(app_time, R"(,"zone_type":2)")));
    auto put_single = [&](const std::string& id, const std::string& single) {
      return z.sc.Update(z.ny, id, R"({"trigger":{"single":)" + single + "}}");
    };
    CheckScheduleError(put_single(absent, Single(app_time, R"(,"zone_type":2)")), 400, 28100,
                       "trigger.single.zone_type: cannot change");
    CheckScheduleError(put_single(terminal, Single(server_time, R"(,"zone_type":1)")), 400,
                       28100, "trigger.single.zone_type: cannot change");
    CheckScheduleError(put_single(terminal, Single(server_time)), 400, 28100,
                       "trigger.single.zone_type: cannot change");
    // Within one side it is an ordinary update.
    CHECK(put_single(absent, Single(server_time, R"(,"zone_type":1)")).status == 200);
    ApiResponse moved =
        put_single(terminal, Single(FormatDateTime(at, TimeZone::Utc()),
                                    R"(,"zone_type":2,"time_zone":"UTC")"));
    CHECK_MESSAGE(moved.status == 200, moved.Describe());
    CHECK(moved.Int("/next_fire") == at);
    CHECK(z.sc.Get(z.ny, terminal).Str("/time_zone") == "UTC");
  }

  TEST_CASE("an application may keep the appKey it has (a JPush appKey: 24 hex digits)") {
    ZonedTock z;
    const std::string key = "7d431e42dfa6a6d693ac2d04";
    App kept = z.MustCreate({.app_key = key});
    CHECK(kept.app_key == key);
    CHECK(kept.secret_key.size() == 32);
    CHECK(z.sc.List(kept).status == 200);  // Basic auth with the kept key
    ApiResponse taken = z.api.CreateApp(z.rx.Url(), {.app_key = key}).create_response;
    CheckError(taken, 409, "appKey");
    CheckError(z.api.CreateApp(z.rx.Url(), {.app_key = "short"}).create_response, 400,
               "field 'appKey': must be 16 to 64 characters");
    CheckError(z.api.CreateApp(z.rx.Url(), {.app_key = "7d431e42-dfa6a6d693ac2d04"}).create_response,
               400, "field 'appKey': may contain only letters");
  }
}

}  // namespace tock::testing
