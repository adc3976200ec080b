#include "schedules/trigger.h"

#include <doctest/doctest.h>

#include "common/must_load_zone.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "timeutil/time_parse.h"

namespace tock {
namespace {

TimeZone MustLoad(std::string_view name) { return testing::MustLoadZone(name); }

Trigger MustParse(std::string_view json, const TimeZone& server = TimeZone::Utc()) {
  Result<Trigger> t = ParseTrigger(json, server);
  REQUIRE_MESSAGE(t.ok(), t.status().message());
  return *t;
}

// The message of a ParseTrigger failure.
std::string ParseError(std::string_view json, const TimeZone& server = TimeZone::Utc()) {
  Result<Trigger> t = ParseTrigger(json, server);
  REQUIRE_FALSE_MESSAGE(t.ok(), json);
  CHECK(t.status().code() == Code::kInvalid);
  return t.status().message();
}

// The message of a ValidateForCreate failure, or "" when it passes.
std::string CreateError(const Trigger& t, int64_t now) {
  Status s = ValidateForCreate(t, now);
  if (s.ok()) return "";
  CHECK(s.code() == Code::kInvalid);
  return s.message();
}

int64_t Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return TimeZone::Utc().ToUtcMs({y, mo, d, h, mi, s});
}

// Every fire strictly after `after`, at most `n`.
std::vector<int64_t> Fires(const Trigger& t, int64_t after, int n = 100) {
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) {
    std::optional<int64_t> next = NextFireAfter(t, after);
    if (!next) break;
    out.push_back(*next);
    after = *next;
  }
  return out;
}

std::string Single(std::string_view time, std::string_view extra = "") {
  return "{\"single\":{\"time\":\"" + std::string(time) + "\",\"zone_type\":1" +
         std::string(extra) + "}}";
}

std::string Periodical(std::string_view start, std::string_view end, std::string_view time,
                       std::string_view unit, int frequency, std::string_view point_json,
                       std::string_view extra = "") {
  std::string json = "{\"periodical\":{\"start\":\"" + std::string(start) + "\",\"end\":\"" +
                     std::string(end) + "\",\"time\":\"" + std::string(time) +
                     "\",\"time_unit\":\"" + std::string(unit) +
                     "\",\"frequency\":" + std::to_string(frequency);
  if (!point_json.empty()) json += ",\"point\":" + std::string(point_json);
  if (extra.empty()) return json + ",\"zone_type\":1}}";
  return json + std::string(extra) + "}}";
}

const int64_t kNow = Utc(2026, 6, 1, 12, 0, 0);

}  // namespace

TEST_SUITE("TriggerSingle") {
  TEST_CASE("a future time within a year is accepted and fires once") {
    const Trigger t = MustParse(Single("2026-12-01 09:30:00"));
    CHECK(t.kind == TriggerKind::kSingle);
    CHECK(t.zone_type == 1);
    CHECK(t.time_ms == Utc(2026, 12, 1, 9, 30));
    CHECK(CreateError(t, kNow) == "");
    CHECK(NextFireAfter(t, kNow) == Utc(2026, 12, 1, 9, 30));
    CHECK(NextFireAfter(t, Utc(2026, 12, 1, 9, 30) - 1) == Utc(2026, 12, 1, 9, 30));
    CHECK(NextFireAfter(t, Utc(2026, 12, 1, 9, 30)) == std::nullopt);
  }

  TEST_CASE("a past or present time is refused") {
    CHECK(CreateError(MustParse(Single("2026-06-01 12:00:00")), kNow) ==
          "trigger.single.time: must be in the future");
    CHECK(CreateError(MustParse(Single("2025-06-01 12:00:00")), kNow) ==
          "trigger.single.time: must be in the future");
    CHECK(CreateError(MustParse(Single("2026-06-01 12:00:01")), kNow) == "");
  }

  TEST_CASE("at most the same local date-time one year later") {
    CHECK(CreateError(MustParse(Single("2027-06-01 12:00:00")), kNow) == "");
    CHECK(CreateError(MustParse(Single("2027-06-01 12:00:01")), kNow)
              .find("trigger.single.time: must be at most one year ahead") == 0);
    CHECK(CreateError(MustParse(Single("2028-01-01 00:00:00")), kNow) != "");
    // From Feb 29 the limit is Feb 28 of the next year.
    const int64_t leap_now = Utc(2028, 2, 29, 10, 0, 0);
    CHECK(CreateError(MustParse(Single("2029-02-28 10:00:00")), leap_now) == "");
    CHECK(CreateError(MustParse(Single("2029-02-28 10:00:01")), leap_now) != "");
  }

  TEST_CASE("time must be strictly yyyy-mm-dd hh:mm:ss") {
    for (const char* bad :
         {"2014-2-15 13:16:59", "2014-12-15 13:16", "2026-02-30 10:00:00", "2026-06-01T12:00:00",
          " 2026-06-01 12:00:00", "2026-06-01 24:00:00", ""}) {
      CAPTURE(bad);
      CHECK(ParseError(Single(bad)).find("trigger.single.time: must be") == 0);
    }
    CHECK(ParseError(Single("2014-2-15 13:16:59")) ==
          "trigger.single.time: must be \"yyyy-mm-dd hh:mm:ss\" (got '2014-2-15 13:16:59')");
  }

  TEST_CASE("zone_type 2 reads the time in the trigger's time_zone") {
    const Trigger ny = MustParse(
        R"({"single":{"time":"2026-12-01 09:30:00","zone_type":2,
            "time_zone":"America/New_York"}})");
    CHECK(ny.zone_type == 2);
    CHECK(ny.zone.name() == "America/New_York");
    CHECK(ny.time_ms == Utc(2026, 12, 1, 14, 30));  // EST
    // zone_type 1 uses the server's zone.
    const Trigger server = MustParse(Single("2026-07-01 09:30:00"), MustLoad("America/New_York"));
    CHECK(server.time_ms == Utc(2026, 7, 1, 13, 30));  // EDT
    CHECK(server.zone.name() == "America/New_York");
  }

  TEST_CASE("zone_type absent, null, 0 or any integer but 1 and 2: the server's zone (issue 14)") {
    const TimeZone ny = MustLoad("America/New_York");
    for (std::string_view zone_type : {"", ",\"zone_type\":null", ",\"zone_type\":0",
                                       ",\"zone_type\":3", ",\"zone_type\":-1",
                                       ",\"zone_type\":18446744073709551615"}) {
      CAPTURE(zone_type);
      const Trigger t = MustParse(
          "{\"single\":{\"time\":\"2026-07-01 09:30:00\"" + std::string(zone_type) + "}}", ny);
      CHECK(t.zone_type == 1);
      CHECK(t.zone.name() == "America/New_York");
      CHECK(t.time_ms == Utc(2026, 7, 1, 13, 30));  // EDT
      CHECK(TriggerToJson(t) == R"({"single":{"time":"2026-07-01 09:30:00","zone_type":1}})");
    }
    const Trigger p = MustParse(
        R"({"periodical":{"start":"2026-06-04 00:00:00","end":"2026-07-05 00:00:00",
            "time":"12:00:00","time_unit":"WEEK","frequency":1,"point":["MON"]}})",
        ny);
    CHECK(p.zone_type == 1);
    CHECK(p.zone.name() == "America/New_York");
  }

  TEST_CASE("zone_type 2 without time_zone: the terminal (application's) zone, kept by name") {
    const TriggerZones zones{TimeZone::Utc(), MustLoad("Asia/Tokyo")};
    Result<Trigger> t =
        ParseTrigger(R"({"single":{"time":"2026-12-01 09:30:00","zone_type":2}})", zones);
    REQUIRE_MESSAGE(t.ok(), t.status().message());
    CHECK(t->zone_type == 2);
    CHECK(t->zone.name() == "Asia/Tokyo");
    CHECK(t->time_ms == Utc(2026, 12, 1, 0, 30));  // JST, UTC+9
    // The stored form names the zone, so it reads back the same with the server's zone alone
    // (and a later change of the application's zone does not move this trigger).
    const std::string stored = TriggerToJson(*t);
    CHECK(stored ==
          R"({"single":{"time":"2026-12-01 09:30:00","zone_type":2,"time_zone":"Asia/Tokyo"}})");
    CHECK(MustParse(stored) == *t);
    // A time_zone given still wins; zone_type 1 still uses the server's zone.
    Result<Trigger> named = ParseTrigger(
        R"({"single":{"time":"2026-12-01 09:30:00","zone_type":2,"time_zone":"UTC"}})", zones);
    REQUIRE(named.ok());
    CHECK(named->zone.name() == "UTC");
    Result<Trigger> server = ParseTrigger(Single("2026-12-01 09:30:00"), zones);
    REQUIRE(server.ok());
    CHECK(server->zone.IsUtc());
  }

  TEST_CASE("zone_type 2 needs a known time_zone when it names one") {
    CHECK(ParseError(R"({"single":{"time":"2026-12-01 09:30:00","zone_type":2,
                         "time_zone":"Mars/Olympus_Mons"}})")
              .find("trigger.single.time_zone: unknown time zone 'Mars/Olympus_Mons'") == 0);
    CHECK(ParseError(R"({"single":{"time":"2026-12-01 09:30:00","zone_type":2,
                         "time_zone":"america/new_york"}})")
              .find("trigger.single.time_zone: unknown time zone") == 0);
    CHECK(ParseError(R"({"single":{"time":"2026-12-01 09:30:00","zone_type":1,
                         "time_zone":"America/New_York"}})") ==
          "trigger.single.time_zone: is only allowed with zone_type 2 (without zone_type 2 "
          "the server's time zone is used)");
    CHECK(ParseError(R"({"single":{"time":"2026-12-01 09:30:00",
                         "time_zone":"America/New_York"}})")
              .find("trigger.single.time_zone: is only allowed with zone_type 2") == 0);
  }

  TEST_CASE("a time in the New York spring-forward gap fires at 03:00 EDT") {
    const Trigger t = MustParse(
        R"({"single":{"time":"2026-03-08 02:30:00","zone_type":2,
            "time_zone":"America/New_York"}})");
    CHECK(t.time_ms == Utc(2026, 3, 8, 7, 0));
    CHECK(TriggerToJson(t).find("\"time\":\"2026-03-08 02:30:00\"") != std::string::npos);
  }
}

TEST_SUITE("TriggerPeriodical") {
  TEST_CASE("every 3 days from start's date, skipping a first time before start") {
    const Trigger t = MustParse(
        Periodical("2026-06-04 09:00:00", "2026-06-20 23:59:59", "08:00:00", "day", 3, ""));
    CHECK(t.unit == TimeUnit::kDay);
    CHECK(t.frequency == 3);
    CHECK(Fires(t, kNow) == std::vector<int64_t>{Utc(2026, 6, 7, 8), Utc(2026, 6, 10, 8),
                                                 Utc(2026, 6, 13, 8), Utc(2026, 6, 16, 8),
                                                 Utc(2026, 6, 19, 8)});
    CHECK(CreateError(t, kNow) == "");
  }

  TEST_CASE("the first fire may be on start's date at or after start") {
    const Trigger t = MustParse(
        Periodical("2026-06-04 09:00:00", "2026-06-06 23:59:59", "09:00:00", "day", 1, ""));
    CHECK(Fires(t, kNow) ==
          std::vector<int64_t>{Utc(2026, 6, 4, 9), Utc(2026, 6, 5, 9), Utc(2026, 6, 6, 9)});
  }

  TEST_CASE("end is inclusive") {
    const Trigger t = MustParse(
        Periodical("2026-06-08 00:00:00", "2026-06-10 09:00:00", "09:00:00", "DAY", 1, ""));
    CHECK(Fires(t, kNow) ==
          std::vector<int64_t>{Utc(2026, 6, 8, 9), Utc(2026, 6, 9, 9), Utc(2026, 6, 10, 9)});
    CHECK(NextFireAfter(t, Utc(2026, 6, 10, 9)) == std::nullopt);
    const Trigger before = MustParse(
        Periodical("2026-06-08 00:00:00", "2026-06-10 08:59:59", "09:00:00", "day", 1, ""));
    CHECK(Fires(before, kNow).size() == 2);
  }

  TEST_CASE("every 2 weeks on WED and FRI at 12:00, start on a Thursday") {
    // Week 0 is Mon 2026-06-01..Sun 06-07: Wed 06-03 is before start, Fri 06-05 fires.
    const Trigger t = MustParse(Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00:00",
                                           "week", 2, R"(["WED","FRI"])"));
    CHECK(Fires(t, kNow) == std::vector<int64_t>{Utc(2026, 6, 5, 12), Utc(2026, 6, 17, 12),
                                                 Utc(2026, 6, 19, 12), Utc(2026, 7, 1, 12),
                                                 Utc(2026, 7, 3, 12)});
  }

  TEST_CASE("every 2 weeks on WED and FRI, start on a Sunday: week 0 is already over") {
    const Trigger t = MustParse(Periodical("2026-06-07 00:00:00", "2026-07-05 00:00:00", "12:00:00",
                                           "week", 2, R"(["wed","Fri"])"));
    CHECK(Fires(t, kNow) == std::vector<int64_t>{Utc(2026, 6, 17, 12), Utc(2026, 6, 19, 12),
                                                 Utc(2026, 7, 1, 12), Utc(2026, 7, 3, 12)});
  }

  TEST_CASE("every 2 weeks on WED and FRI, start on a Monday") {
    const Trigger t = MustParse(Periodical("2026-06-08 00:00:00", "2026-07-05 00:00:00", "12:00:00",
                                           "week", 2, R"(["FRI","WED"])"));
    CHECK(Fires(t, kNow) == std::vector<int64_t>{Utc(2026, 6, 10, 12), Utc(2026, 6, 12, 12),
                                                 Utc(2026, 6, 24, 12), Utc(2026, 6, 26, 12)});
  }

  TEST_CASE("a start after the point's time on that day skips to the next matching week") {
    const Trigger t = MustParse(Periodical("2026-06-05 12:00:01", "2026-07-05 00:00:00", "12:00:00",
                                           "week", 2, R"("FRI")"));
    CHECK(NextFireAfter(t, kNow) == Utc(2026, 6, 19, 12));
    const Trigger exact = MustParse(Periodical("2026-06-05 12:00:00", "2026-07-05 00:00:00",
                                               "12:00:00", "week", 2, R"("FRI")"));
    CHECK(NextFireAfter(exact, kNow) == Utc(2026, 6, 5, 12));
  }

  TEST_CASE("month points 29-31 skip the days a month lacks") {
    const Trigger t = MustParse(Periodical("2026-01-15 00:00:00", "2026-12-31 23:59:59", "10:00:00",
                                           "month", 2, R"(["31","29","30"])"));
    CHECK(Fires(t, Utc(2026, 1, 1)) ==
          std::vector<int64_t>{Utc(2026, 1, 29, 10), Utc(2026, 1, 30, 10), Utc(2026, 1, 31, 10),
                               Utc(2026, 3, 29, 10), Utc(2026, 3, 30, 10), Utc(2026, 3, 31, 10),
                               Utc(2026, 5, 29, 10), Utc(2026, 5, 30, 10), Utc(2026, 5, 31, 10),
                               Utc(2026, 7, 29, 10), Utc(2026, 7, 30, 10), Utc(2026, 7, 31, 10),
                               Utc(2026, 9, 29, 10), Utc(2026, 9, 30, 10), Utc(2026, 11, 29, 10),
                               Utc(2026, 11, 30, 10)});
  }

  TEST_CASE("February 29 fires in a leap year only") {
    const Trigger leap = MustParse(Periodical("2028-01-31 00:00:00", "2028-03-29 23:00:00",
                                              "10:00:00", "month", 1, R"(["29","30","31"])"));
    CHECK(Fires(leap, Utc(2028, 1, 1)) ==
          std::vector<int64_t>{Utc(2028, 1, 31, 10), Utc(2028, 2, 29, 10), Utc(2028, 3, 29, 10)});
    const Trigger plain = MustParse(Periodical("2027-01-31 00:00:00", "2027-03-29 23:00:00",
                                               "10:00:00", "month", 1, R"(["29","30","31"])"));
    CHECK(Fires(plain, Utc(2027, 1, 1)) ==
          std::vector<int64_t>{Utc(2027, 1, 31, 10), Utc(2027, 3, 29, 10)});
  }

  TEST_CASE("month frequency counts from start's month") {
    const Trigger t = MustParse(Periodical("2026-06-20 00:00:00", "2027-06-20 00:00:00", "10:00:00",
                                           "month", 5, R"("01")"));
    // Month 0 (June): the 1st is before start. Months 5 (Nov) and 10 (Apr 2027).
    CHECK(Fires(t, kNow) == std::vector<int64_t>{Utc(2026, 11, 1, 10), Utc(2027, 4, 1, 10)});
  }

  TEST_CASE("span over one year is refused") {
    CHECK(CreateError(MustParse(Periodical("2026-06-01 00:00:00", "2027-06-01 00:00:00", "10:00:00",
                                           "day", 1, "")),
                      kNow) == "");
    CHECK(CreateError(MustParse(Periodical("2026-06-01 00:00:00", "2027-06-01 00:00:01", "10:00:00",
                                           "day", 1, "")),
                      kNow)
              .find("trigger.periodical.end: must be at most one year after start") == 0);
  }

  TEST_CASE("a trigger that would never fire is refused") {
    // Monday is outside Thursday..Friday.
    CHECK(CreateError(MustParse(Periodical("2026-06-04 00:00:00", "2026-06-05 23:59:59", "10:00:00",
                                           "week", 1, R"(["MON"])")),
                      kNow)
              .find("trigger.periodical: would never fire") == 0);
    // No 31st in February.
    CHECK(CreateError(MustParse(Periodical("2026-02-01 00:00:00", "2026-02-28 23:59:59", "10:00:00",
                                           "month", 1, R"(["31"])")),
                      kNow)
              .find("trigger.periodical: would never fire") == 0);
    // The only day's time is after end.
    CHECK(CreateError(MustParse(Periodical("2026-06-04 00:00:00", "2026-06-04 09:59:59", "10:00:00",
                                           "day", 1, "")),
                      kNow)
              .find("trigger.periodical: would never fire") == 0);
    // Every fire is already in the past.
    CHECK(CreateError(MustParse(Periodical("2026-05-01 00:00:00", "2026-05-31 23:59:59", "10:00:00",
                                           "day", 1, "")),
                      kNow)
              .find("trigger.periodical: would never fire: its last fire") == 0);
    // Started in the past, fires left: fine.
    CHECK(CreateError(MustParse(Periodical("2026-05-01 00:00:00", "2026-06-30 23:59:59", "10:00:00",
                                           "day", 1, "")),
                      kNow) == "");
  }

  TEST_CASE("end must be after start") {
    CHECK(ParseError(Periodical("2026-06-04 00:00:00", "2026-06-04 00:00:00", "10:00:00", "day", 1,
                                "")) == "trigger.periodical.end: must be after start");
  }

  TEST_CASE("zone_type 2: New York local times, across the spring-forward gap") {
    const Trigger t =
        MustParse(Periodical("2026-03-07 00:00:00", "2026-03-09 23:00:00", "02:30:00", "day", 1, "",
                             R"(,"zone_type":2,"time_zone":"America/New_York")"));
    CHECK(Fires(t, Utc(2026, 3, 1)) == std::vector<int64_t>{Utc(2026, 3, 7, 7, 30),
                                                            Utc(2026, 3, 8, 7, 0),
                                                            Utc(2026, 3, 9, 6, 30)});
    // Without a time_zone, zone_type 2 reads the terminal zone (MustParse: the server's).
    CHECK(MustParse(Periodical("2026-03-07 00:00:00", "2026-03-09 23:00:00", "02:30:00", "day", 1,
                               "", R"(,"zone_type":2)"),
                    MustLoad("America/New_York")) == t);
    CHECK(ParseError(Periodical("2026-03-07 00:00:00", "2026-03-09 23:00:00", "02:30:00", "day", 1,
                                "", R"(,"zone_type":2,"time_zone":"Nowhere/City")"))
              .find("trigger.periodical.time_zone: unknown time zone 'Nowhere/City'") == 0);
  }

  TEST_CASE("a time in the fall-back overlap fires once, at the earlier instant") {
    const Trigger t =
        MustParse(Periodical("2026-10-31 00:00:00", "2026-11-02 23:00:00", "01:30:00", "day", 1, "",
                             R"(,"zone_type":2,"time_zone":"America/New_York")"));
    CHECK(Fires(t, Utc(2026, 10, 1)) == std::vector<int64_t>{Utc(2026, 10, 31, 5, 30),
                                                             Utc(2026, 11, 1, 5, 30),
                                                             Utc(2026, 11, 2, 6, 30)});
  }

  TEST_CASE("agrees with a day-by-day reference") {
    std::mt19937 rng(4242);
    const auto pick = [&](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    const char* zones[] = {"UTC", "America/New_York", "Europe/London"};
    const char* units[] = {"day", "week", "month"};
    const char* names[] = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};
    for (int round = 0; round < 300; ++round) {
      const TimeZone zone = MustLoad(zones[round % 3]);
      const int unit = pick(0, 2);
      const int frequency = pick(1, 10);
      const int64_t start_day = DaysFromCivil(2026, 1, 1) + pick(0, 400);
      const int64_t end_day = start_day + pick(0, 300);
      CivilTime start = CivilFromDays(start_day);
      start.hour = pick(0, 23);
      start.minute = pick(0, 1) * 30;
      CivilTime end = CivilFromDays(end_day);
      end.hour = pick(0, 23);
      if (end_day == start_day) end.hour = 23, end.minute = 59;
      const int hour = pick(0, 1) == 0 ? pick(0, 3) : pick(0, 23);
      std::string point;
      uint32_t bits = 0;
      if (unit != 0) {
        point = "[";
        for (int n = pick(1, 4); n > 0; --n) {
          const int v = unit == 1 ? pick(0, 6) : pick(1, 31);
          bits |= uint32_t{1} << v;
          char buf[8];
          std::snprintf(buf, sizeof buf, "%02d", v);
          point += std::string(point.size() > 1 ? "," : "") + "\"" +
                   (unit == 1 ? std::string(names[v]) : std::string(buf)) + "\"";
        }
        point += "]";
      }
      char time[16];
      std::snprintf(time, sizeof time, "%02d:30:00", hour);
      const auto format = [](const CivilTime& c) {
        return FormatDateTime(TimeZone::Utc().ToUtcMs(c), TimeZone::Utc());
      };
      const std::string json =
          Periodical(format(start), format(end), time, units[unit], frequency, point,
                     ",\"zone_type\":2,\"time_zone\":\"" + zone.name() + "\"");
      CAPTURE(json);
      const Trigger t = MustParse(json);

      std::vector<int64_t> want;
      const int64_t monday0 = start_day - DayOfWeek(start.year, start.month, start.day);
      for (int64_t d = start_day; d <= end_day; ++d) {
        CivilTime c = CivilFromDays(d);
        bool match = false;
        if (unit == 0) match = (d - start_day) % frequency == 0;
        if (unit == 1) {
          match = ((d - monday0) / 7) % frequency == 0 && ((bits >> ((d - monday0) % 7)) & 1);
        }
        if (unit == 2) {
          const int index = (c.year - start.year) * 12 + c.month - start.month;
          match = index % frequency == 0 && ((bits >> c.day) & 1);
        }
        if (!match) continue;
        c.hour = hour;
        c.minute = 30;
        const int64_t at = zone.ToUtcMs(c);
        if (at >= zone.ToUtcMs(start) && at <= zone.ToUtcMs(end)) want.push_back(at);
      }
      CHECK(Fires(t, zone.ToUtcMs(start) - 1, 1000) == want);
      if (!want.empty()) {
        CHECK(NextFireAfter(t, want.front()) ==
              (want.size() > 1 ? std::optional<int64_t>(want[1]) : std::nullopt));
      }
    }
  }

  TEST_CASE("points are checked per unit") {
    const auto p = [](std::string_view unit, std::string_view point) {
      return Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00:00", unit, 1, point);
    };
    CHECK(ParseError(p("day", R"(["MON"])")) ==
          "trigger.periodical.point: must be absent when time_unit is day");
    CHECK(ParseError(p("day", R"("01")")) ==
          "trigger.periodical.point: must be absent when time_unit is day");
    MustParse(p("day", "[]"));
    MustParse(p("day", "null"));
    MustParse(p("day", R"("")"));
    CHECK(ParseError(p("week", ""))
              .find("trigger.periodical.point: is required when time_unit "
                    "is week") == 0);
    CHECK(ParseError(p("week", "[]")).find("trigger.periodical.point: is required") == 0);
    CHECK(ParseError(p("month", R"("")"))
              .find("trigger.periodical.point: is required when "
                    "time_unit is month") == 0);
    CHECK(ParseError(p("week", R"(["MON","MONDAY"])")) ==
          "trigger.periodical.point[1]: must be one of MON, TUE, WED, THU, FRI, SAT, SUN "
          "(got 'MONDAY')");
    CHECK(ParseError(p("week", R"(["MON",2])")) ==
          "trigger.periodical.point[1]: must be one of MON, TUE, WED, THU, FRI, SAT, SUN");
    CHECK(ParseError(p("week", R"("01")")).find("trigger.periodical.point: must be one of") == 0);
    CHECK(ParseError(p("month", R"(["1"])"))
              .find("trigger.periodical.point[0]: must be a "
                    "two-digit day of month") == 0);
    CHECK(ParseError(p("month", R"(["32"])")).find("trigger.periodical.point[0]:") == 0);
    CHECK(ParseError(p("month", R"(["00"])")).find("trigger.periodical.point[0]:") == 0);
    CHECK(ParseError(p("month", R"([1])")).find("trigger.periodical.point[0]:") == 0);
    CHECK(ParseError(p("month", R"("MON")")).find("trigger.periodical.point: must be a") == 0);
    CHECK(ParseError(p("month", "5")).find("trigger.periodical.point: must be a") == 0);
    CHECK(ParseError(p("week", R"({"a":1})")).find("trigger.periodical.point: must be") == 0);
    CHECK(MustParse(p("week", R"("sun")")).points == 1u << 6);
    CHECK(MustParse(p("month", R"(["01","31","01"])")).points == ((1u << 1) | (1u << 31)));
  }
}

TEST_SUITE("TriggerCron") {
  TEST_CASE("a cron trigger fires in its time_zone") {
    const Trigger t =
        MustParse(R"({"cron":{"expr":"0 9 * * MON-FRI","time_zone":"America/New_York"}})");
    CHECK(t.kind == TriggerKind::kCron);
    CHECK(t.zone_type == 2);
    // 2026-06-05 is a Friday: 09:00 EDT = 13:00Z; next Monday 06-08.
    CHECK(Fires(t, Utc(2026, 6, 5), 2) ==
          std::vector<int64_t>{Utc(2026, 6, 5, 13), Utc(2026, 6, 8, 13)});
    CHECK(CreateError(t, kNow) == "");
  }

  TEST_CASE("start and end bound the fires, end inclusive") {
    const Trigger t = MustParse(R"({"cron":{"expr":"0 9 * * *","time_zone":"America/New_York",
        "start":"2026-06-10 00:00:00","end":"2026-06-12 09:00:00"}})");
    CHECK(Fires(t, kNow) ==
          std::vector<int64_t>{Utc(2026, 6, 10, 13), Utc(2026, 6, 11, 13), Utc(2026, 6, 12, 13)});
    CHECK(CreateError(t, kNow) == "");
    CHECK(CreateError(t, Utc(2026, 6, 12, 13)).find("trigger.cron: would never fire") == 0);
    const Trigger at_start = MustParse(R"({"cron":{"expr":"0 9 * * *","time_zone":"UTC",
        "start":"2026-06-10 09:00:00"}})");
    CHECK(NextFireAfter(at_start, kNow) == Utc(2026, 6, 10, 9));
  }

  TEST_CASE("a cron trigger that would never fire is refused") {
    CHECK(ParseError(R"({"cron":{"expr":"0 0 30 2 *","time_zone":"UTC"}})")
              .find("trigger.cron.expr: cron expression never fires") == 0);
    const Trigger leap = MustParse(R"({"cron":{"expr":"0 0 29 2 *","time_zone":"UTC"}})");
    CHECK(CreateError(leap, kNow) == "");
    CHECK(NextFireAfter(leap, kNow) == Utc(2028, 2, 29));
    const Trigger bounded = MustParse(
        R"({"cron":{"expr":"0 0 29 2 *","time_zone":"UTC","end":"2027-12-31 00:00:00"}})");
    CHECK(CreateError(bounded, kNow).find("trigger.cron: would never fire") == 0);
  }

  TEST_CASE("field errors name the cron field") {
    CHECK(ParseError(R"({"cron":{"expr":"0 0 32 * *","time_zone":"UTC"}})") ==
          "trigger.cron.expr: cron field 3 (day of month): 32 is out of range 1-31");
    CHECK(ParseError(R"({"cron":{"expr":"0 0 * *","time_zone":"UTC"}})")
              .find("trigger.cron.expr: cron expression must have 5 fields") == 0);
  }

  TEST_CASE("time_zone is required; zone_type may only be 2") {
    CHECK(ParseError(R"({"cron":{"expr":"0 0 * * *"}})")
              .find("trigger.cron.time_zone: is required") == 0);
    CHECK(ParseError(R"({"cron":{"expr":"0 0 * * *","time_zone":"Mars/Base"}})")
              .find("trigger.cron.time_zone: unknown time zone 'Mars/Base'") == 0);
    CHECK(ParseError(R"({"cron":{"expr":"0 0 * * *","time_zone":"UTC","zone_type":1}})")
              .find("trigger.cron.zone_type: must be 2") == 0);
    MustParse(R"({"cron":{"expr":"0 0 * * *","time_zone":"UTC","zone_type":2}})");
    CHECK(ParseError(R"({"cron":{"expr":"0 0 * * *","time_zone":"UTC",
        "start":"2026-06-10 00:00:00","end":"2026-06-10 00:00:00"}})") ==
          "trigger.cron.end: must be after start");
  }
}

TEST_SUITE("TriggerJson") {
  TEST_CASE("exactly one kind") {
    CHECK(ParseError("{}") == "trigger: exactly one of single, periodical or cron is required");
    CHECK(ParseError(R"({"single":null})") ==
          "trigger: exactly one of single, periodical or cron is required");
    CHECK(ParseError(R"({"single":{"time":"2026-12-01 09:30:00","zone_type":1},
                         "cron":{"expr":"0 0 * * *","time_zone":"UTC"}})") ==
          "trigger: exactly one of single, periodical or cron is allowed (got single and cron)");
    CHECK(ParseError(R"({"single":{},"periodical":{},"cron":{}})")
              .find("(got single and periodical and cron)") != std::string::npos);
    CHECK(ParseError(R"({"singel":{}})") ==
          "trigger.singel: the trigger kind 'singel' is not offered by tock (it offers single, "
          "periodical and cron)");
    CHECK(ParseError("[]").find("trigger: must be an object") == 0);
    CHECK(ParseError("nope").find("trigger: is not valid JSON") == 0);
    CHECK(ParseError("").find("trigger: is not valid JSON") == 0);
    CHECK(ParseError(R"({"single":"2026-12-01 09:30:00"})") == "trigger.single: must be an object");
  }

  TEST_CASE("kinds tock does not offer are named as such (issue 14)") {
    CHECK(ParseError(R"({"intelligent":{"backup_time":"2026-12-01 09:30:00"}})") ==
          "trigger.intelligent: the trigger kind 'intelligent' is not offered by tock (it offers "
          "single, periodical and cron)");
    CHECK(ParseError(R"({"a\tb":{}})") ==
          "trigger.a?b: the trigger kind 'a?b' is not offered by tock (it offers single, "
          "periodical and cron)");
    // Also next to a kind tock offers: nothing of the trigger is silently dropped.
    CHECK(ParseError(R"({"single":{"time":"2026-12-01 09:30:00"},"intelligent":true})")
              .find("trigger.intelligent: the trigger kind 'intelligent' is not offered") == 0);
  }

  TEST_CASE("wrong types on every field") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"single":{"time":5,"zone_type":1}})", "trigger.single.time: must be a date-time"},
        {R"({"single":{"zone_type":1}})", "trigger.single.time: is required"},
        {R"({"single":{"time":"2026-12-01 09:30:00","zone_type":"1"}})",
         "trigger.single.zone_type: must be an integer: 2 (the trigger's time_zone, else the "
         "application's time zone) or 1 (the server's time zone); absent or any other integer "
         "also means the server's"},
        {R"({"single":{"time":"2026-12-01 09:30:00","zone_type":2.0}})",
         "trigger.single.zone_type: must be an integer"},
        {R"({"single":{"time":"2026-12-01 09:30:00","zone_type":true}})",
         "trigger.single.zone_type: must be an integer"},
        {R"({"single":{"time":"2026-12-01 09:30:00","zone_type":2,"time_zone":5}})",
         "trigger.single.time_zone: must be an IANA time zone name"},
        {R"({"single":{"time":"2026-12-01 09:30:00","zone_type":1,"when":1}})",
         "trigger.single: unknown field 'when' (expected time, zone_type, time_zone)"},
        {R"({"periodical":[]})", "trigger.periodical: must be an object"},
        {Periodical("x", "2026-07-05 00:00:00", "12:00:00", "day", 1, ""),
         "trigger.periodical.start: must be \"yyyy-mm-dd hh:mm:ss\""},
        {R"({"periodical":{"start":1,"zone_type":1}})",
         "trigger.periodical.start: must be a date-time"},
        {R"({"periodical":{"start":"2026-06-04 00:00:00","end":true,"zone_type":1}})",
         "trigger.periodical.end: must be a date-time"},
        {R"({"periodical":{"start":"2026-06-04 00:00:00","end":"2026-06-05 00:00:00",
             "time":1200,"zone_type":1}})",
         "trigger.periodical.time: must be a time of day"},
        {Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00", "day", 1, ""),
         "trigger.periodical.time: must be \"hh:mm:ss\" (got '12:00')"},
        {Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "24:00:00", "day", 1, ""),
         "trigger.periodical.time: must be a real time of day"},
        {R"({"periodical":{"start":"2026-06-04 00:00:00","end":"2026-06-05 00:00:00",
             "time":"12:00:00","time_unit":1,"frequency":1,"zone_type":1}})",
         "trigger.periodical.time_unit: must be \"day\", \"week\" or \"month\""},
        {Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00:00", "year", 1, ""),
         "trigger.periodical.time_unit: must be \"day\", \"week\" or \"month\" (got 'year')"},
        {R"({"periodical":{"start":"2026-06-04 00:00:00","end":"2026-06-05 00:00:00",
             "time":"12:00:00","time_unit":"day","frequency":"2","zone_type":1}})",
         "trigger.periodical.frequency: must be an integer from 1 to 100"},
        {R"({"periodical":{"start":"2026-06-04 00:00:00","end":"2026-06-05 00:00:00",
             "time":"12:00:00","time_unit":"day","frequency":2.5,"zone_type":1}})",
         "trigger.periodical.frequency: must be an integer from 1 to 100"},
        {R"({"periodical":{"start":"2026-06-04 00:00:00","end":"2026-06-05 00:00:00",
             "time":"12:00:00","time_unit":"day","zone_type":1}})",
         "trigger.periodical.frequency: is required"},
        {Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00:00", "day", 0, ""),
         "trigger.periodical.frequency: must be an integer from 1 to 100"},
        {Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00:00", "day", 101, ""),
         "trigger.periodical.frequency: must be an integer from 1 to 100"},
        {Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00:00", "day", 1, "",
                    R"(,"zone_type":"2")"),
         "trigger.periodical.zone_type: must be an integer"},
        {R"({"cron":{"expr":5,"time_zone":"UTC"}})", "trigger.cron.expr: must be a cron"},
        {R"({"cron":{"time_zone":"UTC"}})", "trigger.cron.expr: is required"},
        {R"({"cron":{"expr":"0 0 * * *","time_zone":["UTC"]}})",
         "trigger.cron.time_zone: must be an IANA"},
        {R"({"cron":{"expr":"0 0 * * *","time_zone":"UTC","start":5}})",
         "trigger.cron.start: must be a date-time"},
        {R"({"cron":{"expr":"0 0 * * *","time_zone":"UTC","end":"2026-06-01"}})",
         "trigger.cron.end: must be \"yyyy-mm-dd hh:mm:ss\""},
        {R"({"cron":{"expr":"0 0 * * *","time_zone":"UTC","zone_type":"2"}})",
         "trigger.cron.zone_type: must be 2"},
        {R"({"cron":{"expr":"0 0 * * *","time_zone":"UTC","tz":"UTC"}})",
         "trigger.cron: unknown field 'tz'"},
        {R"({"cron":{"expr":")" + std::string(300, '*') + R"(","time_zone":"UTC"}})",
         "trigger.cron.expr: must be at most 256 bytes"},
    };
    for (const auto& [json, expected] : cases) {
      CAPTURE(json);
      const std::string message = ParseError(json);
      CAPTURE(message);
      CHECK(message.find(expected) == 0);
    }
  }

  TEST_CASE("null optional fields count as absent") {
    const Trigger t = MustParse(R"({"cron":{"expr":"0 0 * * *","time_zone":"UTC","start":null,
                                    "end":null,"zone_type":null},"single":null})");
    CHECK_FALSE(t.start.has_value());
    CHECK_FALSE(t.end.has_value());
  }

  TEST_CASE("canonical JSON: normalised fields, and it round-trips") {
    const TimeZone ny = MustLoad("America/New_York");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"single":{"time":"2026-12-01 09:30:00","zone_type":1}})",
         R"({"single":{"time":"2026-12-01 09:30:00","zone_type":1}})"},
        {R"({"single":{"zone_type":2,"time_zone":"Europe/London","time":"2026-12-01 09:30:00"}})",
         R"({"single":{"time":"2026-12-01 09:30:00","zone_type":2,"time_zone":"Europe/London"}})"},
        {Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00:00", "WEEK", 2,
                    R"(["fri","Wed","FRI"])"),
         R"({"periodical":{"start":"2026-06-04 00:00:00","end":"2026-07-05 00:00:00",)"
         R"("time":"12:00:00","time_unit":"week","frequency":2,"point":["WED","FRI"],)"
         R"("zone_type":1}})"},
        {Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00:00", "Month", 1, R"("07")",
                    R"(,"zone_type":2,"time_zone":"Asia/Tokyo")"),
         R"({"periodical":{"start":"2026-06-04 00:00:00","end":"2026-07-05 00:00:00",)"
         R"("time":"12:00:00","time_unit":"month","frequency":1,"point":["07"],)"
         R"("zone_type":2,"time_zone":"Asia/Tokyo"}})"},
        {Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "00:00:00", "day", 7, "[]"),
         R"({"periodical":{"start":"2026-06-04 00:00:00","end":"2026-07-05 00:00:00",)"
         R"("time":"00:00:00","time_unit":"day","frequency":7,"zone_type":1}})"},
        {R"({"cron":{"expr":" 0  9 * * mon-fri ","time_zone":"America/New_York","zone_type":2,
            "end":"2026-12-31 23:59:59"}})",
         R"({"cron":{"expr":"0 9 * * mon-fri","time_zone":"America/New_York",)"
         R"("end":"2026-12-31 23:59:59"}})"},
        {R"({"cron":{"expr":"*/10 * * * * *","time_zone":"UTC","start":"2026-06-01 00:00:00"}})",
         R"({"cron":{"expr":"*/10 * * * * *","time_zone":"UTC","start":"2026-06-01 00:00:00"}})"},
    };
    for (const auto& [input, canonical] : cases) {
      CAPTURE(input);
      const Trigger t = MustParse(input, ny);
      const std::string json = TriggerToJson(t);
      CHECK(json == canonical);
      const Trigger again = MustParse(json, ny);
      CHECK(again == t);
      CHECK(TriggerToJson(again) == json);
      CHECK(again.time_ms == t.time_ms);
      CHECK(again.start_ms == t.start_ms);
      CHECK(again.end_ms == t.end_ms);
    }
    CHECK_FALSE(MustParse(Single("2026-12-01 09:30:00")) ==
                MustParse(Single("2026-12-01 09:30:01")));
    CHECK_FALSE(MustParse(Single("2026-12-01 09:30:00"), ny) ==
                MustParse(Single("2026-12-01 09:30:00")));
  }

  TEST_CASE("updates keep the kind and the zone_type") {
    const Trigger single = MustParse(Single("2026-12-01 09:30:00"));
    const Trigger single_no_zone_type = MustParse(R"({"single":{"time":"2026-12-03 09:30:00"}})");
    const Trigger tokyo = MustParse(
        R"({"single":{"time":"2026-12-02 09:30:00","zone_type":2,"time_zone":"Asia/Tokyo"}})");
    const Trigger utc2 = MustParse(
        R"({"single":{"time":"2026-12-02 09:30:00","zone_type":2,"time_zone":"UTC"}})");
    const Trigger periodical = MustParse(
        Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00:00", "day", 1, ""));
    const Trigger periodical_terminal =
        MustParse(Periodical("2026-06-04 00:00:00", "2026-07-05 00:00:00", "12:00:00", "day", 1,
                             "", R"(,"zone_type":2,"time_zone":"Asia/Tokyo")"));
    const Trigger cron = MustParse(R"({"cron":{"expr":"0 0 * * *","time_zone":"UTC"}})");
    CHECK(CheckTriggerUpdate(single, single_no_zone_type).ok());
    CHECK(CheckTriggerUpdate(tokyo, utc2).ok());  // another terminal zone
    CHECK(CheckTriggerUpdate(periodical, periodical).ok());
    CHECK(CheckTriggerUpdate(cron, cron).ok());
    for (const auto& [from, to] : {std::pair{&single, &periodical}, std::pair{&periodical, &single},
                                   std::pair{&cron, &single}, std::pair{&periodical, &cron}}) {
      CHECK(CheckTriggerUpdate(*from, *to).message().find(
                "trigger: cannot change the kind of a schedule's trigger") == 0);
    }
    // Server zone <-> terminal zone is refused, as in the original (issue 11).
    CHECK(CheckTriggerUpdate(single, tokyo).message() ==
          "trigger.single.zone_type: cannot change between the server's time zone (1, also when "
          "absent) and a terminal time zone (2): this schedule has 1; create a new schedule "
          "instead");
    CHECK(CheckTriggerUpdate(tokyo, single_no_zone_type).code() == Code::kInvalid);
    CHECK(CheckTriggerUpdate(periodical_terminal, periodical).message().find(
              "trigger.periodical.zone_type: cannot change") == 0);
  }

  TEST_CASE("a year of chained calls finds every fire of a week and a month trigger") {
    const TimeZone ny = MustLoad("America/New_York");
    const Trigger week =
        MustParse(Periodical("2026-01-01 00:00:00", "2027-01-01 00:00:00", "12:00:00", "week", 1,
                             R"(["MON","TUE","WED","THU","FRI","SAT","SUN"])"),
                  ny);
    const Trigger month = MustParse(Periodical("2026-01-01 00:00:00", "2027-01-01 00:00:00",
                                               "12:00:00", "month", 1, R"(["31"])"),
                                    ny);
    CHECK(Fires(week, Utc(2025, 12, 1), 400).size() == 365);
    CHECK(Fires(month, Utc(2025, 12, 1), 400).size() == 7);  // the months with a 31st
  }
}

}  // namespace tock
