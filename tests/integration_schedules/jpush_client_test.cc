// JPush's official Node.js client (npm jpush-sdk 3.5.0, installed by tools/deps.sh --test),
// unchanged but for its host constant, against the real binary on /v3/schedules and
// /v4/schedules (issue 14). jpush_client.mjs makes every call and checks each answer; this
// test gives it a server and an application, and then waits for the one schedule it creates
// without zone_type to be delivered at the server's zone time.
//
// The server runs in Asia/Tokyo (UTC+9, no DST) and the application in America/New_York, so
// the three readings of a local time (server zone, application zone, UTC) are hours apart:
// a delivery within seconds of the server-zone instant can only come from the right one.
#include <string>

#include "common/json_writer.h"
#include "integration/integration_util.h"
#include "integration_schedules/schedule_it_util.h"
#include "timeutil/time_parse.h"
#include "timeutil/time_zone.h"

namespace tock::testing {
namespace {

constexpr const char* kServerZone = "Asia/Tokyo";
constexpr const char* kAppZone = "America/New_York";
// A JPush appKey is 24 hex digits, and the client refuses anything shorter (it checks
// /^[a-zA-Z0-9]{24}/): tock keeps the appKey it is given at /application/create.
constexpr const char* kJPushAppKey = "7d431e42dfa6a6d693ac2d04";

std::string Local(int64_t ms, const char* zone_name) {
  Result<TimeZone> zone = TimeZone::Load(zone_name);
  REQUIRE_MESSAGE(zone.ok(), zone.status().message());
  return FormatDateTime(ms, *zone);
}

// Runs the client against `prefix` ("/v3/schedules" or "/v4/schedules") of a fresh tock and
// checks the fire of its last schedule.
void RunClient(const std::string& prefix, int code_base) {
  auto tock = StartScheduleTock({"--time-zone", kServerZone});
  Receiver rx;
  ApiClient api(*tock);
  App app = api.CreateApp(rx.Url(), {.app_key = kJPushAppKey, .time_zone = kAppZone});
  REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
  REQUIRE(app.app_key == kJPushAppKey);

  const int64_t now = WallNowMs();
  const int64_t single = WholeSecondAfter(3'600'000);
  const int64_t terminal = single + 3'600'000;
  const int64_t moved = single + 1'800'000;
  // The script makes about fifteen calls before it creates this one (about a second on this
  // machine); 8 s leaves room for a slow run, and a late create fails loudly ("must be in the
  // future"), it cannot pass by accident.
  const int64_t fire = WholeSecondAfter(8000);
  JsonWriter w;
  w.BeginObject();
  w.Key("api"); w.String("http://" + tock->host() + ":" + std::to_string(tock->port()) + prefix);
  w.Key("app_key"); w.String(app.app_key);
  w.Key("master_secret"); w.String(app.secret_key);
  w.Key("code_base"); w.Int(code_base);
  w.Key("server_zone"); w.String(kServerZone);
  w.Key("app_zone"); w.String(kAppZone);
  w.Key("times"); w.BeginObject();
  w.Key("single"); w.String(Local(single, kServerZone));
  w.Key("terminal"); w.String(Local(terminal, kAppZone));
  w.Key("moved"); w.String(Local(moved, kServerZone));
  w.Key("start"); w.String(Local(now + 86'400'000, kServerZone));
  w.Key("end"); w.String(Local(now + 30 * 86'400'000LL, kServerZone));
  w.Key("fire"); w.String(Local(fire, kServerZone));
  w.EndObject();
  w.Key("expect"); w.BeginObject();
  w.Key("single_ms"); w.Int(single);
  w.Key("terminal_ms"); w.Int(terminal);
  w.Key("moved_ms"); w.Int(moved);
  w.EndObject();
  w.EndObject();

  std::string output;
  const int rc = RunNodeScript("tests/integration_schedules/jpush_client.mjs", w.str(), &output);
  MESSAGE("jpush-sdk against " << prefix << ":\n" << output);
  REQUIRE_MESSAGE(rc == 0, output);
  const std::string marker = "fire_schedule_id ";
  const size_t at = output.find(marker);
  REQUIRE(at != std::string::npos);
  const std::string fire_id = output.substr(at + marker.size(), 36);

  // Delivered at the server-zone instant: never before it (tock does not fire early), and
  // well within the wait; the application-zone and UTC readings are 14 and 9 hours away.
  REQUIRE_MESSAGE(rx.WaitForCount(1, std::chrono::milliseconds(fire - WallNowMs() + 10'000)),
                  "no delivery of " << fire_id << "; log:\n" << tock->ReadLog());
  const ReceivedRequest q = rx.Requests()[0];
  CHECK(q.arrival_wall_ms >= fire);
  const ApiResponse body = ParseJson(q.body);
  CHECK(body.Str("/scheduleId") == fire_id);
  CHECK(body.Int("/scheduledAt") == fire);
  CHECK(body.Str("/data/notification/alert") == "fires at the server zone time");
  ScheduleClient sc(*tock, prefix);
  ApiResponse m = sc.Request("GET", prefix + "/" + fire_id + "/msg_ids", app);
  CHECK_MESSAGE(m.Int("/count") == 1, m.Describe());
  CHECK(m.Str("/msg_ids/0") == body.Str("/msgId"));
}

}  // namespace

TEST_SUITE("ScheduleJPushClient") {
  TEST_CASE("jpush-sdk works unchanged against /v3/schedules (issue 14)") {
    RunClient("/v3/schedules", 8000);
  }

  TEST_CASE("jpush-sdk works unchanged against /v4/schedules (issue 14)") {
    RunClient("/v4/schedules", 28000);
  }
}

}  // namespace tock::testing
