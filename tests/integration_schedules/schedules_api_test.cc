// The /v4/schedules surface against the real binary (SPEC §4, issue: schedules): every
// endpoint, its response shape, and every error code (28100 per field, 28101, 28104, 28105),
// pagination and isolation between applications. Nothing here waits for a fire.
#include <set>
#include <string>
#include <vector>

#include "integration_schedules/schedule_it_util.h"

namespace tock::testing {
namespace {

struct Fixture {
  Receiver rx;
  ApiClient api{ScheduleSharedTock()};
  ScheduleClient sc{ScheduleSharedTock()};
  App app;
  Fixture() {
    app = api.CreateApp(rx.Url());
    REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
  }
  std::string At() const { return SingleTrigger(WholeSecondAfter(3'600'000)); }
};

}  // namespace

TEST_SUITE("ScheduleApi") {
  TEST_CASE("create returns schedule_id and name; GET returns the full object") {
    Fixture fx;
    const int64_t at = WholeSecondAfter(3'600'000);
    ApiResponse r = fx.sc.Create(
        fx.app, SingleBody(at, "schedule push example", R"({"from":"push", "to":{"a":[1, 2]}})"));
    REQUIRE_MESSAGE(r.status == 200, r.Describe());
    const std::string id = r.Str("/schedule_id");
    CHECK(id.size() == 36);
    CHECK(r.Str("/name") == "schedule push example");
    CHECK(r.Size("") == 2);

    ApiResponse g = fx.sc.Get(fx.app, id);
    REQUIRE_MESSAGE(g.status == 200, g.Describe());
    CHECK(g.Str("/schedule_id") == id);
    CHECK(g.Str("/name") == "schedule push example");
    CHECK(g.Bool("/enabled") == true);
    CHECK(g.Json("/trigger") == SingleTrigger(at));
    CHECK(g.Json("/push") == R"({"from":"push","to":{"a":[1,2]}})");
    CHECK(g.Bool("/expired", true) == false);
    CHECK(g.Int("/next_fire") == at);

    ApiResponse m = fx.sc.MsgIds(fx.app, id);
    REQUIRE_MESSAGE(m.status == 200, m.Describe());
    CHECK(m.Int("/count") == 0);
    CHECK(m.Size("/msgids") == 0);
    CHECK(m.Size("/msg_ids") == 0);
    // The docs' other spelling reaches the same route.
    CHECK(fx.sc.Request("GET", "/v4/schedules/" + id + "/msg_ids", fx.app).status == 200);
  }

  TEST_CASE("names of any script are accepted; a periodical trigger comes back as sent") {
    Fixture fx;
    const std::string start = WallTimeString(WallNowMs() + 86'400'000);
    const std::string end = WallTimeString(WallNowMs() + 10 * 86'400'000LL);
    std::string trigger = R"({"periodical":{"start":")" + start + R"(","end":")" + end +
                          R"(","time":"09:30:00","time_unit":"WEEK","frequency":1,)"
                          R"("point":["fri","MON"],"zone_type":1}})";
    ApiResponse r = fx.sc.Create(
        fx.app, ScheduleBody(JsonString("定时任务 Über_1-a"), "true", trigger, R"({"x":1})"));
    REQUIRE_MESSAGE(r.status == 200, r.Describe());
    CHECK(r.Str("/name") == "定时任务 Über_1-a");
    ApiResponse g = fx.sc.Get(fx.app, r.Str("/schedule_id"));
    CHECK(g.Str("/trigger/periodical/time_unit") == "WEEK");
    CHECK(g.Json("/trigger/periodical/point") == R"(["fri","MON"])");
  }

  TEST_CASE("every field of a create is validated: 28100 naming the field, 28105 for push") {
    Fixture fx;
    const std::string at = fx.At();
    const std::string push = R"({"a":1})";
    auto create = [&](const std::string& body) { return fx.sc.Create(fx.app, body); };

    CheckScheduleError(create("not json"), 400, 28100, "JSON");
    CheckScheduleError(create("[1,2]"), 400, 28100, "object");
    CheckScheduleError(create(ScheduleBody("", "true", at, push)), 400, 28100, "name");
    CheckScheduleError(create(ScheduleBody("\"\"", "true", at, push)), 400, 28100, "name");
    CheckScheduleError(create(ScheduleBody(JsonString(std::string(256, 'a')), "true", at, push)),
                       400, 28100, "name");
    CheckScheduleError(create(ScheduleBody("\"bad!name\"", "true", at, push)), 400, 28100,
                       "name");
    CheckScheduleError(create(ScheduleBody("\"tab\\there\"", "true", at, push)), 400, 28100,
                       "name");
    CheckScheduleError(create(ScheduleBody("42", "true", at, push)), 400, 28100, "name");
    CheckScheduleError(create(ScheduleBody("\"n\"", "", at, push)), 400, 28100, "enabled");
    CheckScheduleError(create(ScheduleBody("\"n\"", "false", at, push)), 400, 28100, "enabled");
    CheckScheduleError(create(ScheduleBody("\"n\"", "\"yes\"", at, push)), 400, 28100,
                       "enabled");
    CheckScheduleError(create(ScheduleBody("\"n\"", "true", "", push)), 400, 28100, "trigger");
    CheckScheduleError(create(ScheduleBody("\"n\"", "true", "{}", push)), 400, 28100, "trigger");
    CheckScheduleError(
        create(ScheduleBody("\"n\"", "true",
                            R"({"single":{"time":"2030-2-15 13:16:59","zone_type":1}})", push)),
        400, 28100, "trigger.single.time");
    CheckScheduleError(create(ScheduleBody("\"n\"", "true", SingleTrigger(WallNowMs() - 60'000),
                                           push)),
                       400, 28100, "trigger.single.time");
    CheckScheduleError(
        create(ScheduleBody("\"n\"", "true", SingleTrigger(WallNowMs() + 400 * 86'400'000LL),
                            push)),
        400, 28100, "trigger.single.time");
    CheckScheduleError(
        create(ScheduleBody("\"n\"", "true",
                            R"({"single":{"time":"2030-02-15 13:16:59","zone_type":"1"}})", push)),
        400, 28100, "trigger.single.zone_type");
    std::string start = WallTimeString(WallNowMs() + 86'400'000);
    std::string end = WallTimeString(WallNowMs() + 5 * 86'400'000LL);
    CheckScheduleError(
        create(ScheduleBody("\"n\"", "true",
                            R"({"periodical":{"start":")" + start + R"(","end":")" + end +
                                R"(","time":"10:00:00","time_unit":"day","frequency":0,)"
                                R"("zone_type":1}})",
                            push)),
        400, 28100, "trigger.periodical.frequency");
    CheckScheduleError(create(ScheduleBody("\"n\"", "true", at, "")), 404, 28105, "push");
    CheckScheduleError(create(ScheduleBody("\"n\"", "true", at, "{}")), 404, 28105, "push");
    CheckScheduleError(create(ScheduleBody("\"n\"", "true", at, "[1]")), 404, 28105, "push");
    CheckScheduleError(create(ScheduleBody("\"n\"", "true", at, "\"text\"")), 404, 28105,
                       "push");
    CheckScheduleError(create(ScheduleBody("\"n\"", "true", at, "null")), 404, 28105, "push");

    ApiResponse list = fx.sc.List(fx.app);
    CHECK(list.Int("/total_count") == 0);  // none of the above created anything
  }

  TEST_CASE("Basic auth only: anything else is 401 with code 28101") {
    Fixture fx;
    const std::string body = SingleBody(WholeSecondAfter(3'600'000));
    CheckScheduleError(fx.sc.RequestWithAuth("POST", "/v4/schedules", "", body), 401, 28101);
    CheckScheduleError(fx.sc.RequestWithAuth("GET", "/v4/schedules",
                                             BasicAuthValue(fx.app.app_key, "wrong-secret")),
                       401, 28101);
    CheckScheduleError(fx.sc.RequestWithAuth("GET", "/v4/schedules",
                                             BasicAuthValue("nosuchappkey0000", fx.app.secret_key)),
                       401, 28101);
    CheckScheduleError(fx.sc.RequestWithAuth("GET", "/v4/schedules",
                                             "Bearer " + ScheduleSharedTock().admin_token()),
                       401, 28101);
    CheckScheduleError(fx.sc.RequestWithAuth("GET", "/v4/schedules", "Basic !!!notbase64"), 401,
                       28101);
    // The Serendipity signed headers are not accepted on this surface.
    httplib::Client c(ScheduleSharedTock().host(), ScheduleSharedTock().port());
    auto res = c.Get("/v4/schedules", SignedHeaders(fx.app, ""));
    REQUIRE(res);
    ApiResponse r;
    r.status = res->status;
    r.body = res->body;
    r.Parse();
    CheckScheduleError(r, 401, 28101);
  }

  TEST_CASE("unknown, malformed or foreign ids are 404 with code 28104") {
    Fixture fx;
    const std::string unknown = "0eac1b80-c2ac-4b69-948b-c65b34b96512";
    CheckScheduleError(fx.sc.Get(fx.app, unknown), 404, 28104);
    CheckScheduleError(fx.sc.Get(fx.app, "not-a-schedule-id"), 404, 28104);
    CheckScheduleError(fx.sc.MsgIds(fx.app, unknown), 404, 28104);
    CheckScheduleError(fx.sc.Update(fx.app, unknown, R"({"name":"x"})"), 404, 28104);
    CheckScheduleError(fx.sc.Delete(fx.app, unknown), 404, 28104);
    // Route forms the surface does not have: "no such route" (28404), never 28104 (issue 14).
    CheckScheduleError(fx.sc.Request("GET", "/v4/schedules/" + unknown + "/other", fx.app), 404,
                       28404, "no such route");
    ApiResponse post_id = fx.sc.Request("POST", "/v4/schedules/" + unknown, fx.app, "{}");
    CheckScheduleError(post_id, 405, 28404, "no such route");
    CHECK(post_id.Header("Allow") == "GET, HEAD, PUT, DELETE");
    CheckScheduleError(fx.sc.Request("PUT", "/v4/schedules", fx.app, "{}"), 405, 28404,
                       "no such route");
  }

  TEST_CASE("delete answers 200 with an empty body; the schedule is gone") {
    Fixture fx;
    std::string id = fx.sc.MustCreate(fx.app, SingleBody(WholeSecondAfter(3'600'000)));
    ApiResponse d = fx.sc.Delete(fx.app, id);
    CHECK_MESSAGE(d.status == 200, d.Describe());
    CHECK(d.body.empty());
    CheckScheduleError(fx.sc.Get(fx.app, id), 404, 28104);
    CheckScheduleError(fx.sc.Delete(fx.app, id), 404, 28104);
    CHECK(fx.sc.List(fx.app).Int("/total_count") == 0);
  }

  TEST_CASE("update replaces the given sections and returns the whole object") {
    Fixture fx;
    const int64_t at = WholeSecondAfter(3'600'000);
    std::string id = fx.sc.MustCreate(fx.app, SingleBody(at, "before", R"({"v":1})"));

    ApiResponse u = fx.sc.Update(fx.app, id, R"({"name":"after"})");
    REQUIRE_MESSAGE(u.status == 200, u.Describe());
    CHECK(u.Str("/schedule_id") == id);
    CHECK(u.Str("/name") == "after");
    CHECK(u.Bool("/enabled") == true);
    CHECK(u.Json("/trigger") == SingleTrigger(at));
    CHECK(u.Json("/push") == R"({"v":1})");

    u = fx.sc.Update(fx.app, id, R"({"push":{"v":2,"w":[true]}})");
    REQUIRE_MESSAGE(u.status == 200, u.Describe());
    CHECK(u.Json("/push") == R"({"v":2,"w":[true]})");

    const int64_t later = at + 60'000;
    u = fx.sc.Update(fx.app, id, "{\"trigger\":" + SingleTrigger(later) + "}");
    REQUIRE_MESSAGE(u.status == 200, u.Describe());
    CHECK(u.Int("/next_fire") == later);

    u = fx.sc.Update(fx.app, id, R"({"enabled":false})");
    REQUIRE_MESSAGE(u.status == 200, u.Describe());
    CHECK(u.Bool("/enabled", true) == false);
    CHECK(u.IsNull("/next_fire"));
    u = fx.sc.Update(fx.app, id, R"({"enabled":true})");
    REQUIRE_MESSAGE(u.status == 200, u.Describe());
    CHECK(u.Int("/next_fire") == later);

    // Refused changes leave the schedule as it was.
    std::string start = WallTimeString(WallNowMs() + 86'400'000);
    std::string end = WallTimeString(WallNowMs() + 5 * 86'400'000LL);
    CheckScheduleError(
        fx.sc.Update(fx.app, id,
                     R"({"trigger":{"periodical":{"start":")" + start + R"(","end":")" + end +
                         R"(","time":"10:00:00","time_unit":"day","frequency":1,"zone_type":1}}})"),
        400, 28100, "trigger");
    CheckScheduleError(fx.sc.Update(fx.app, id, "{\"trigger\":" +
                                                    SingleTrigger(WallNowMs() - 60'000) + "}"),
                       400, 28100, "trigger.single.time");
    CheckScheduleError(fx.sc.Update(fx.app, id, "{}"), 400, 28100);
    CheckScheduleError(fx.sc.Update(fx.app, id, "nope"), 400, 28100);
    CheckScheduleError(fx.sc.Update(fx.app, id, R"({"name":"no/slash"})"), 400, 28100, "name");
    CheckScheduleError(fx.sc.Update(fx.app, id, R"({"enabled":"x"})"), 400, 28100, "enabled");
    CheckScheduleError(fx.sc.Update(fx.app, id, R"({"push":{}})"), 404, 28105, "push");
    CheckScheduleError(fx.sc.Update(fx.app, id, R"({"push":null})"), 404, 28105, "push");
    ApiResponse g = fx.sc.Get(fx.app, id);
    CHECK(g.Str("/name") == "after");
    CHECK(g.Int("/next_fire") == later);
  }

  TEST_CASE("list: by creation time, 50 a page, page past the end empty, bad page 28100") {
    Fixture fx;
    std::vector<std::string> ids;
    for (int i = 0; i < 53; ++i) {
      ids.push_back(fx.sc.MustCreate(
          fx.app, SingleBody(WholeSecondAfter(3'600'000), "s" + std::to_string(i))));
    }
    ApiResponse p1 = fx.sc.List(fx.app);
    REQUIRE_MESSAGE(p1.status == 200, p1.Describe());
    CHECK(p1.Int("/total_count") == 53);
    CHECK(p1.Int("/total_pages") == 2);
    CHECK(p1.Int("/page") == 1);
    REQUIRE(p1.Size("/schedules") == 50);
    for (int i = 0; i < 50; ++i) {
      CHECK(p1.Str("/schedules/" + std::to_string(i) + "/schedule_id") == ids[i]);
    }
    CHECK(p1.Str("/schedules/0/name") == "s0");
    CHECK(p1.Has("/schedules/0/trigger/single/time"));
    CHECK(p1.Has("/schedules/0/push"));
    CHECK(fx.sc.List(fx.app, "?page=").Int("/page") == 1);
    ApiResponse p2 = fx.sc.List(fx.app, "?page=2");
    REQUIRE(p2.Size("/schedules") == 3);
    CHECK(p2.Str("/schedules/2/schedule_id") == ids[52]);
    ApiResponse p7 = fx.sc.List(fx.app, "?page=7");
    CHECK(p7.status == 200);
    CHECK(p7.Int("/page") == 7);
    CHECK(p7.Int("/total_count") == 53);
    CHECK(p7.Size("/schedules") == 0);
    for (const char* bad : {"0", "-1", "abc", "1.5", "99999999999"}) {
      CAPTURE(bad);
      CheckScheduleError(fx.sc.List(fx.app, std::string("?page=") + bad), 400, 28100, "page");
    }
  }

  TEST_CASE("applications never see each other's schedules") {
    Fixture a, b;
    std::string id = a.sc.MustCreate(a.app, SingleBody(WholeSecondAfter(3'600'000)));
    CheckScheduleError(b.sc.Get(b.app, id), 404, 28104);
    CheckScheduleError(b.sc.MsgIds(b.app, id), 404, 28104);
    CheckScheduleError(b.sc.Update(b.app, id, R"({"name":"mine"})"), 404, 28104);
    CheckScheduleError(b.sc.Delete(b.app, id), 404, 28104);
    CHECK(b.sc.List(b.app).Int("/total_count") == 0);
    ApiResponse g = a.sc.Get(a.app, id);
    CHECK(g.status == 200);
    CHECK(g.Str("/name") == "it schedule");
  }

  TEST_CASE("the per-application limit counts unexpired schedules") {
    auto tock = StartScheduleTock({"--max-schedules-per-app", "3"});
    Receiver rx;
    ApiClient api(*tock);
    ScheduleClient sc(*tock);
    App a = api.CreateApp(rx.Url());
    App b = api.CreateApp(rx.Url());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
      ids.push_back(sc.MustCreate(a, SingleBody(WholeSecondAfter(3'600'000))));
    }
    CheckScheduleError(sc.Create(a, SingleBody(WholeSecondAfter(3'600'000))), 400, 28100, "limit");
    sc.MustCreate(b, SingleBody(WholeSecondAfter(3'600'000)));  // another app's budget
    REQUIRE(sc.Delete(a, ids[0]).status == 200);
    sc.MustCreate(a, SingleBody(WholeSecondAfter(3'600'000)));
  }
}

}  // namespace tock::testing
