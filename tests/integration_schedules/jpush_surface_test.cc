// /v3/schedules, JPush's schedule API, beside /v4 on the same store (issue 14): the same
// objects through either path, JPush's error codes (8xxx) where EngageLab's are 28xxx, a bad
// push as JPush's document has it (8100/400, not 28105/404), and the URL forms JPush's
// clients use (msg_ids, "/v3/schedules/?page=1").
#include <string>

#include "integration_schedules/schedule_it_util.h"

namespace tock::testing {
namespace {

struct Fixture {
  Receiver rx;
  ApiClient api{ScheduleSharedTock()};
  ScheduleClient v3{ScheduleSharedTock(), "/v3/schedules"};
  ScheduleClient v4{ScheduleSharedTock()};
  App app;
  Fixture() {
    app = api.CreateApp(rx.Url());
    REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
  }
};

}  // namespace

TEST_SUITE("ScheduleJPushApi") {
  TEST_CASE("/v3 and /v4 serve the same schedules") {
    Fixture fx;
    const int64_t at = WholeSecondAfter(3'600'000);
    const std::string from_v4 = fx.v4.MustCreate(fx.app, SingleBody(at, "made on v4"));
    const std::string from_v3 = fx.v3.MustCreate(fx.app, SingleBody(at, "made on v3"));
    for (ScheduleClient* sc : {&fx.v3, &fx.v4}) {
      ApiResponse list = sc->List(fx.app, "?page=1");
      REQUIRE_MESSAGE(list.status == 200, list.Describe());
      CHECK(list.Int("/total_count") == 2);
      CHECK(list.Str("/schedules/0/schedule_id") == from_v4);
      CHECK(list.Str("/schedules/1/schedule_id") == from_v3);
      CHECK(sc->Get(fx.app, from_v4).Json("/trigger") == SingleTrigger(at));
    }
    ApiResponse u = fx.v3.Update(fx.app, from_v4, R"({"name":"renamed on v3"})");
    REQUIRE_MESSAGE(u.status == 200, u.Describe());
    CHECK(fx.v4.Get(fx.app, from_v4).Str("/name") == "renamed on v3");
    ApiResponse m = fx.v3.Request("GET", "/v3/schedules/" + from_v3 + "/msg_ids", fx.app);
    CHECK_MESSAGE(m.status == 200, m.Describe());
    CHECK(m.Json("/msgids") == "[]");
    CHECK(fx.v3.Delete(fx.app, from_v4).status == 200);
    CheckScheduleError(fx.v4.Get(fx.app, from_v4), 404, 28104);
    // JPush's Python client: "/v3/schedules/" for create and list (its base URL ends in /).
    ApiResponse c = fx.v3.Request("POST", "/v3/schedules/", fx.app, SingleBody(at));
    CHECK_MESSAGE(c.status == 200, c.Describe());
    CHECK(fx.v3.Request("GET", "/v3/schedules/?page=1", fx.app).Int("/total_count") == 2);
  }

  TEST_CASE("/v3 answers with JPush's codes: 8100, 8101, 8104, 8404") {
    Fixture fx;
    const std::string unknown = "0eac1b80-c2ac-4b69-948b-c65b34b96512";
    CheckScheduleError(fx.v3.Create(fx.app, R"({"name":"bad!","enabled":true})"), 400, 8100,
                       "name");
    CheckScheduleError(fx.v3.RequestWithAuth("GET", "/v3/schedules",
                                             BasicAuthValue(fx.app.app_key, "wrong")),
                       401, 8101, "Basic authentication failed");
    CheckScheduleError(fx.v3.Get(fx.app, unknown), 404, 8104, "does not exist");
    CheckScheduleError(fx.v3.Delete(fx.app, "nope"), 404, 8104);
    CheckScheduleError(fx.v3.List(fx.app, "?page=0"), 400, 8100, "page");
    CheckScheduleError(fx.v3.Request("GET", "/v3/schedules/" + unknown + "/report", fx.app), 404,
                       8404, "no such route");
    CheckScheduleError(fx.v3.Request("GET", "/v3/push", fx.app), 404, 8404, "no such route");
  }

  TEST_CASE("cid: a create repeated with the same cid returns the same schedule") {
    Fixture fx;
    const int64_t at = WholeSecondAfter(3'600'000);
    const std::string cid = "7103a4c428a0b98974ec1849-711161d4-5f17-4d2f-b855-5e5a8909b26e";
    auto with_cid = [&](const std::string& name, const std::string& cid_json) {
      return R"({"cid":)" + cid_json + R"(,"name":")" + name + R"(","enabled":true,"trigger":)" +
             SingleTrigger(at) + R"(,"push":{"platform":"all","audience":"all"}})";
    };
    const std::string id = fx.v3.MustCreate(fx.app, with_cid("first", JsonString(cid)));
    ApiResponse again = fx.v3.Create(fx.app, with_cid("retried", JsonString(cid)));
    REQUIRE_MESSAGE(again.status == 200, again.Describe());
    CHECK(again.Str("/schedule_id") == id);
    CHECK(again.Str("/name") == "first");
    CHECK(fx.v4.Create(fx.app, with_cid("via v4", JsonString(cid))).Str("/schedule_id") == id);
    CHECK(fx.v3.List(fx.app).Int("/total_count") == 1);
    CHECK(fx.v3.Get(fx.app, id).Str("/cid") == cid);
    CheckScheduleError(fx.v3.Create(fx.app, with_cid("bad", R"("has space")")), 400, 8100,
                       "cid: may contain only");
    CheckScheduleError(fx.v3.Create(fx.app, with_cid("bad", "42")), 400, 8100,
                       "cid: must be a string");
  }

  TEST_CASE("a bad push: JPush has no 28105, so /v3 says 8100 with 400") {
    Fixture fx;
    const std::string trigger = SingleTrigger(WholeSecondAfter(3'600'000));
    for (const std::string push : {"", "{}", "[1]", "null"}) {
      CAPTURE(push);
      const std::string body = ScheduleBody(R"("p")", "true", trigger, push);
      CheckScheduleError(fx.v3.Create(fx.app, body), 400, 8100, "push");
      CheckScheduleError(fx.v4.Create(fx.app, body), 404, 28105, "push");
    }
  }
}

}  // namespace tock::testing
