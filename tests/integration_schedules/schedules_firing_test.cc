// Schedules firing through the real binary (SPEC §4, §5; issue: schedules): on-time delivery
// with scheduleId/msgId, update and delete effects on firing, a cron schedule's repeated
// fires, kill -9 and restart keeping schedules and their next fires, and misfires after
// downtime. Single times are whole seconds, so each wait here is 2-4 s.
#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/integration_util.h"
#include "integration_schedules/schedule_it_util.h"

namespace tock::testing {
namespace {

// The callback bodies are read with the integration suite's JSON helper.
ApiResponse ParseBody(const std::string& text) { return ParseJson(text); }

std::vector<std::string> ScheduleIdsOf(const std::vector<ReceivedRequest>& reqs) {
  std::vector<std::string> out;
  for (const ReceivedRequest& q : reqs) out.push_back(ParseBody(q.body).Str("/scheduleId"));
  return out;
}

// A receiver and an application on the shared server, with clients for both surfaces.
struct SharedTockApp {
  Receiver rx;
  ApiClient api{ScheduleSharedTock()};
  ScheduleClient sc{ScheduleSharedTock()};
  App app = MustCreateApp(api, rx);

  static App MustCreateApp(ApiClient& api, Receiver& rx) {
    App app = api.CreateApp(rx.Url());
    REQUIRE(app.ok());
    return app;
  }
};

}  // namespace

TEST_SUITE("ScheduleFiring") {
  TEST_CASE("a single schedule is delivered on time with scheduleId and msgId, then expires") {
    SharedTockApp f;
    auto& [rx, api, sc, app] = f;
    const int64_t at = WholeSecondAfter(1500);
    std::string id = sc.MustCreate(app, SingleBody(at, "on time", R"({"alert":"hi","n":[1,2]})"));

    REQUIRE_MESSAGE(rx.WaitForCount(1, std::chrono::milliseconds(at - WallNowMs() + 3000)),
                    "no delivery");
    ReceivedRequest q = rx.Requests()[0];
    CHECK(q.arrival_wall_ms >= at);
    CHECK_MESSAGE(q.arrival_wall_ms <= at + 1000, "late by " << q.arrival_wall_ms - at << " ms");
    ApiResponse body = ParseBody(q.body);
    CHECK(body.Json("/data") == R"({"alert":"hi","n":[1,2]})");
    CHECK(body.Str("/scheduleId") == id);
    const std::string msg_id = body.Str("/msgId");
    CHECK(msg_id == std::to_string(body.Int("/taskId")));
    CHECK(q.Header("webhook-id") == msg_id);
    CHECK(body.Str("/name") == "on time");
    CHECK(body.Int("/scheduledAt") == at);

    ApiResponse m = sc.MsgIds(app, id);
    REQUIRE_MESSAGE(m.status == 200, m.Describe());
    CHECK(m.Int("/count") == 1);
    CHECK(m.Str("/msgids/0") == msg_id);

    // The message is a task of the application like any other.
    ApiResponse d = api.WaitForStatus(app, body.Int("/taskId"), 2, 5s);
    CHECK_MESSAGE(d.Int("/data/status") == 2, d.Describe());

    ApiResponse g = sc.Get(app, id);
    REQUIRE_MESSAGE(g.status == 200, g.Describe());
    CHECK(g.Bool("/expired") == true);
    CHECK(g.IsNull("/next_fire"));
    CHECK(sc.List(app).Int("/total_count") == 0);
    CheckScheduleError(sc.Update(app, id, R"({"name":"again"})"), 400, 28100, "expired");
    CHECK(sc.Delete(app, id).status == 200);
  }

  TEST_CASE("a daily periodical schedule fires at its time of day and records the msg-id") {
    SharedTockApp f;
    auto& [rx, api, sc, app] = f;
    const int64_t at = WholeSecondAfter(1500);
    const std::string start = WallTimeString(at - 60'000);
    const std::string end = WallTimeString(at + 2 * 86'400'000LL);
    const std::string time_of_day = WallTimeString(at).substr(11);
    const std::string trigger = R"({"periodical":{"start":")" + start + R"(","end":")" + end +
                                R"(","time":")" + time_of_day +
                                R"(","time_unit":"DAY","frequency":1,"zone_type":1}})";
    std::string id = sc.MustCreate(app, ScheduleBody(R"("daily")", "true", trigger,
                                                     R"({"kind":"daily"})"));
    ApiResponse before = sc.Get(app, id);
    REQUIRE_MESSAGE(before.status == 200, before.Describe());
    CHECK(before.Int("/next_fire") == at);
    CHECK(before.Str("/trigger/periodical/time_unit") == "DAY");  // as sent

    REQUIRE_MESSAGE(rx.WaitForCount(1, std::chrono::milliseconds(at - WallNowMs() + 3000)),
                    "no delivery");
    ReceivedRequest q = rx.Requests()[0];
    CHECK(q.arrival_wall_ms >= at);
    CHECK_MESSAGE(q.arrival_wall_ms <= at + 1000, "late by " << q.arrival_wall_ms - at << " ms");
    ApiResponse body = ParseBody(q.body);
    CHECK(body.Str("/scheduleId") == id);
    CHECK(body.Json("/data") == R"({"kind":"daily"})");

    ApiResponse m = sc.MsgIds(app, id);
    REQUIRE_MESSAGE(m.status == 200, m.Describe());
    CHECK(m.Int("/count") == 1);
    CHECK(m.Str("/msgids/0") == body.Str("/msgId"));
    // Not expired: the next fire is the same time tomorrow.
    ApiResponse after = sc.Get(app, id);
    CHECK(after.Bool("/expired") == false);
    CHECK(after.Int("/next_fire") == at + 86'400'000LL);
    CHECK(sc.List(app).Int("/total_count") == 1);
    CHECK(sc.Delete(app, id).status == 200);
  }

  TEST_CASE("deleted and disabled schedules do not fire; a re-triggered one fires when moved") {
    SharedTockApp f;
    auto& [rx, api, sc, app] = f;
    const int64_t at = WholeSecondAfter(1500);
    std::string gone = sc.MustCreate(app, SingleBody(at, "deleted"));
    std::string off = sc.MustCreate(app, SingleBody(at, "disabled"));
    std::string moved = sc.MustCreate(app, SingleBody(at, "moved"));
    REQUIRE(sc.Delete(app, gone).status == 200);
    ApiResponse u = sc.Update(app, off, R"({"enabled":false})");
    REQUIRE_MESSAGE(u.status == 200, u.Describe());
    u = sc.Update(app, moved, "{\"trigger\":" + SingleTrigger(at + 2000) + "}");
    REQUIRE_MESSAGE(u.status == 200, u.Describe());

    REQUIRE(rx.WaitForCount(1, std::chrono::milliseconds(at + 2000 - WallNowMs() + 3000)));
    std::this_thread::sleep_for(500ms);  // room for a wrong second delivery to show up
    std::vector<ReceivedRequest> reqs = rx.Requests();
    REQUIRE(reqs.size() == 1);
    CHECK(ParseBody(reqs[0].body).Str("/scheduleId") == moved);
    CHECK(reqs[0].arrival_wall_ms >= at + 2000);
    CHECK(sc.MsgIds(app, off).Int("/count") == 0);
    CHECK(sc.Get(app, off).Bool("/expired") == true);  // its time passed while disabled
  }

  TEST_CASE("a cron schedule creates one message per fire until it is deleted") {
    SharedTockApp f;
    auto& [rx, api, sc, app] = f;
    std::string id = sc.MustCreate(
        app, ScheduleBody("\"every second\"", "true",
                          R"({"cron":{"expr":"* * * * * *","time_zone":"UTC"}})", R"({"c":1})"));
    REQUIRE(rx.WaitForCount(2, 4s));
    ApiResponse m = sc.MsgIds(app, id);
    REQUIRE(m.status == 200);
    CHECK(m.Int("/count") >= 2);
    std::set<std::string> distinct;
    for (int64_t i = 0; i < m.Size("/msgids"); ++i) {
      distinct.insert(m.Str("/msgids/" + std::to_string(i)));
    }
    CHECK(distinct.size() == static_cast<size_t>(m.Size("/msgids")));
    REQUIRE(sc.Delete(app, id).status == 200);
    std::this_thread::sleep_for(300ms);  // messages created before the delete arrive
    const size_t settled = rx.Count();
    std::this_thread::sleep_for(1500ms);
    CHECK(rx.Count() == settled);
    for (const std::string& s : ScheduleIdsOf(rx.Requests())) CHECK(s == id);
  }

  TEST_CASE("kill -9 and restart keep schedules and their next fires; no fire is repeated") {
    auto tock = StartScheduleTock();
    Receiver rx;
    App app;
    // Far enough ahead that a kill -9 and a restart on a loaded machine end before it (one
    // run beside CPU-burning loops took longer than 2.5 s); checked below, not assumed.
    const int64_t at = WholeSecondAfter(8000);
    const int64_t far = at + 86'400'000;
    std::string soon, later;
    {
      ApiClient api(*tock);
      ScheduleClient sc(*tock);
      app = api.CreateApp(rx.Url());
      REQUIRE(app.ok());
      soon = sc.MustCreate(app, SingleBody(at, "soon"));
      later = sc.MustCreate(app, SingleBody(far, "later"));
    }
    tock->Kill9();
    std::string error;
    REQUIRE_MESSAGE(tock->Start(&error), error);
    ScheduleClient sc(*tock);
    ApiResponse soon_after_restart = sc.Get(app, soon);
    ApiResponse listed = sc.List(app);
    REQUIRE_MESSAGE(WallNowMs() < at, "the restart took past the fire time; nothing to check");
    CHECK(soon_after_restart.Int("/next_fire") == at);
    CHECK(sc.Get(app, later).Int("/next_fire") == far);
    CHECK(listed.Int("/total_count") == 2);

    REQUIRE(rx.WaitForCount(1, std::chrono::milliseconds(at - WallNowMs() + 3000)));
    CHECK(ParseBody(rx.Requests()[0].body).Str("/scheduleId") == soon);
    CHECK(sc.MsgIds(app, soon).Int("/count") == 1);
    CHECK(sc.Get(app, soon).Bool("/expired") == true);
    CHECK(sc.Get(app, later).Bool("/expired", true) == false);

    // Once more: the fire is on disk as done, so no second message is made after another
    // crash. The message's delivery itself may repeat (its outcome is written unsynced:
    // at-least-once), but only ever as the same message, with the same webhook-id.
    const std::string msg_webhook_id = rx.Requests()[0].Header("webhook-id");
    tock->Kill9();
    REQUIRE_MESSAGE(tock->Start(&error), error);
    std::this_thread::sleep_for(1500ms);
    for (const ReceivedRequest& q : rx.Requests()) {
      CHECK(q.Header("webhook-id") == msg_webhook_id);
      CHECK(ParseBody(q.body).Str("/scheduleId") == soon);
    }
    ScheduleClient sc2(*tock);
    CHECK(sc2.MsgIds(app, soon).Int("/count") == 1);
    CHECK(sc2.List(app).Int("/total_count") == 1);
  }

  TEST_CASE("after downtime a fire within misfire-grace fires once, an older one is skipped") {
    auto tock = StartScheduleTock({"--misfire-grace", "3"});
    Receiver rx;
    App app;
    const int64_t old_at = WholeSecondAfter(1500);
    const int64_t recent_at = old_at + 4000;
    std::string old_id, recent_id;
    {
      ApiClient api(*tock);
      ScheduleClient sc(*tock);
      app = api.CreateApp(rx.Url());
      REQUIRE(app.ok());
      old_id = sc.MustCreate(app, SingleBody(old_at, "old"));
      recent_id = sc.MustCreate(app, SingleBody(recent_at, "recent"));
    }
    tock->Kill9();
    // Down until the first fire is over 3 s late and the second only just passed.
    while (WallNowMs() < recent_at + 300) std::this_thread::sleep_for(50ms);
    std::string error;
    REQUIRE_MESSAGE(tock->Start(&error), error);

    REQUIRE(rx.WaitForCount(1, 3s));
    std::this_thread::sleep_for(500ms);
    std::vector<ReceivedRequest> reqs = rx.Requests();
    REQUIRE(reqs.size() == 1);
    CHECK(ParseBody(reqs[0].body).Str("/scheduleId") == recent_id);
    ScheduleClient sc(*tock);
    CHECK(sc.MsgIds(app, recent_id).Int("/count") == 1);
    CHECK(sc.MsgIds(app, old_id).Int("/count") == 0);
    CHECK(sc.Get(app, old_id).Bool("/expired") == true);
    CHECK(tock->ReadLog().find("schedule.misfire_skipped") != std::string::npos);
  }
}

}  // namespace tock::testing
