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
    CHECK(ReadScheduleTrigger(f, TimeZone::Utc()).status().message() == "trigger: is required");
    CHECK(ReadSchedulePush(f).status().message() == "push: must not be empty");

    auto good = ParseJsonBody(
        R"({"enabled":true,"trigger":{"single":{"time":"2026-12-24 18:00:00","zone_type":1}},)"
        R"("push":{ "a" : [1, 2] }})");
    REQUIRE(good.ok());
    FieldReader g(*good);
    CHECK(*ReadScheduleEnabled(g));
    auto t = ReadScheduleTrigger(g, TimeZone::Utc());
    REQUIRE_MESSAGE(t.ok(), t.status().message());
    CHECK(t->kind == TriggerKind::kSingle);
    CHECK(*ReadSchedulePush(g) == R"({"a":[1,2]})");
  }

  TEST_CASE("a schedule id is a 36-character UUID") {
    CHECK(LooksLikeScheduleId("0b7f7c1e-2a4b-4c3d-9e8f-0123456789ab"));
    CHECK_FALSE(LooksLikeScheduleId("0b7f7c1e-2a4b-4c3d-9e8f-0123456789a"));
    CHECK_FALSE(LooksLikeScheduleId("0b7f7c1e02a4b-4c3d-9e8f-0123456789ab"));
    CHECK_FALSE(LooksLikeScheduleId("0b7f7c1e-2a4b-4c3d-9e8f-0123456789ag"));
  }
}

}  // namespace tock::api
