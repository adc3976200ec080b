// The /v4/schedules body sections (api/schedule_requests.h), read on their own; the routes'
// behaviour around them is covered by tests/integration_schedules.
#include "api/schedule_requests.h"

#include <doctest/doctest.h>

#include <string>

namespace tock::api {

TEST_SUITE("ScheduleRequests") {
  TEST_CASE("name: letters of any script, digits, '_', ' ' and '-'; 1-255 bytes") {
    auto ok = ParseJsonBody(R"({"name":"daily report_\u00e9 \u65e5\u62a5-1"})");
    REQUIRE(ok.ok());
    auto name = ReadScheduleName(FieldReader(*ok));
    REQUIRE_MESSAGE(name.ok(), name.status().message());
    CHECK(*name == "daily report_\xC3\xA9 \xE6\x97\xA5\xE6\x8A\xA5-1");

    auto emoji = ParseJsonBody(R"({"name":"go \ud83d\ude80"})");
    REQUIRE(emoji.ok());
    auto bad = ReadScheduleName(FieldReader(*emoji));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message() ==
          "name: may hold only letters (any script), digits, '_', ' ' and '-' "
          "(got \"\xF0\x9F\x9A\x80\" at byte 3)");

    auto nul = ParseJsonBody(R"({"name":"a\u0000b"})");
    REQUIRE(nul.ok());
    CHECK_FALSE(ReadScheduleName(FieldReader(*nul)).ok());

    auto long_name = ParseJsonBody("{\"name\":\"" + std::string(256, 'a') + "\"}");
    REQUIRE(long_name.ok());
    CHECK(ReadScheduleName(FieldReader(*long_name)).status().message() ==
          "name: must be 1 to 255 bytes (got 256)");
  }

  TEST_CASE("enabled, trigger and push are required and typed") {
    auto obj = ParseJsonBody(R"({"enabled":1,"push":{}})");
    REQUIRE(obj.ok());
    FieldReader f(*obj);
    CHECK(ReadScheduleEnabled(f).status().message() == "enabled: must be true or false");
    const TriggerZones utc{TimeZone::Utc(), TimeZone::Utc()};
    CHECK(ReadScheduleTrigger(f, utc).status().message() == "trigger: is required");
    CHECK(ReadSchedulePush(f).status().message() == "push: must not be empty");

    auto good = ParseJsonBody(
        R"({"enabled":true,"trigger":{"single":{"time":"2026-12-24 18:00:00","zone_type":1}},)"
        R"("push":{ "a" : [1, 2] }})");
    REQUIRE(good.ok());
    FieldReader g(*good);
    CHECK(*ReadScheduleEnabled(g));
    auto t = ReadScheduleTrigger(g, utc);
    REQUIRE_MESSAGE(t.ok(), t.status().message());
    CHECK(t->trigger.kind == TriggerKind::kSingle);
    CHECK(*ReadSchedulePush(g) == R"({"a":[1,2]})");
  }

  TEST_CASE("the trigger is kept as sent, minified, beside its parsed form (issue 14)") {
    auto body = ParseJsonBody(
        R"({"trigger":{"periodical":{"start":"2026-06-04 00:00:00","end":"2026-07-05 00:00:00",)"
        R"( "time":"12:00:00","time_unit":"WEEK","frequency":1,"point":["fri","MON"]}}})");
    REQUIRE(body.ok());
    auto t = ReadScheduleTrigger(FieldReader(*body), {TimeZone::Utc(), TimeZone::Utc()});
    REQUIRE_MESSAGE(t.ok(), t.status().message());
    CHECK(t->sent ==
          R"({"periodical":{"start":"2026-06-04 00:00:00","end":"2026-07-05 00:00:00",)"
          R"("time":"12:00:00","time_unit":"WEEK","frequency":1,"point":["fri","MON"]}})");
    CHECK(t->trigger.unit == TimeUnit::kWeek);
    CHECK(t->trigger.zone_type == 1);
  }

  TEST_CASE("an application's trigger zones: its timeZone for zone_type 2, else the server's") {
    App app;
    app.app_key = "AppKey0123456789";
    const TimeZone server = TimeZone::Utc();
    Result<TriggerZones> none = AppTriggerZones(app, server);
    REQUIRE(none.ok());
    CHECK(none->terminal.IsUtc());
    app.time_zone = "Asia/Tokyo";
    Result<TriggerZones> tokyo = AppTriggerZones(app, server);
    REQUIRE_MESSAGE(tokyo.ok(), tokyo.status().message());
    CHECK(tokyo->terminal.name() == "Asia/Tokyo");
    CHECK(tokyo->server.IsUtc());
    app.time_zone = "Nowhere/Gone";  // a zone that stopped loading
    CHECK(AppTriggerZones(app, server).status().code() == Code::kInternal);
  }

  TEST_CASE("a schedule id is a 36-character UUID") {
    CHECK(LooksLikeScheduleId("0b7f7c1e-2a4b-4c3d-9e8f-0123456789ab"));
    CHECK_FALSE(LooksLikeScheduleId("0b7f7c1e-2a4b-4c3d-9e8f-0123456789a"));
    CHECK_FALSE(LooksLikeScheduleId("0b7f7c1e02a4b-4c3d-9e8f-0123456789ab"));
    CHECK_FALSE(LooksLikeScheduleId("0b7f7c1e-2a4b-4c3d-9e8f-0123456789ag"));
  }
}

}  // namespace tock::api
