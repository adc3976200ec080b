#include "timeutil/time_parse.h"

#include <doctest/doctest.h>

#include <limits>

namespace tock {
namespace {

constexpr int64_t k20261121 = 1795240359000;  // 2026-11-21T05:52:39Z

TimeZone NewYork() {
  Result<TimeZone> tz = TimeZone::Load("America/New_York");
  REQUIRE(tz.ok());
  return *tz;
}

int64_t Runtime(std::string_view text, const TimeZone& tz = TimeZone::Utc()) {
  Result<int64_t> r = ParseRuntime(text, tz);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return *r;
}

}  // namespace

TEST_SUITE("TimeParse") {
  TEST_CASE("runtime: wall-clock form is read in the given zone") {
    CHECK(Runtime("2026-11-21 05:52:39") == k20261121);
    CHECK(Runtime("2026-11-21 00:52:39", NewYork()) == k20261121);      // EST = UTC-5
    CHECK(Runtime("2026-03-08 02:30:00", NewYork()) == 1772953200000);  // gap -> 03:00 EDT
    CHECK(Runtime("2026-11-01 01:30:00", NewYork()) == 1793511000000);  // overlap -> EDT
    CHECK(Runtime("2024-02-29 12:00:00") == 1709208000000);
    CHECK(Runtime("2000-02-29 00:00:00") == 951782400000);
  }

  TEST_CASE("runtime: RFC 3339 forms") {
    const TimeZone ny = NewYork();  // the zone is ignored when the text has an offset
    CHECK(Runtime("2026-11-21T05:52:39Z", ny) == k20261121);
    CHECK(Runtime("2026-11-21t05:52:39z") == k20261121);
    CHECK(Runtime("2026-11-21 05:52:39Z", ny) == k20261121);
    CHECK(Runtime("2026-11-21T05:52:39+00:00") == k20261121);
    CHECK(Runtime("2026-11-21T05:52:39-00:00") == k20261121);
    CHECK(Runtime("2026-11-21T13:52:39+08:00") == k20261121);
    CHECK(Runtime("2026-11-21T00:22:39-05:30") == k20261121);
    CHECK(Runtime("2026-11-20T23:52:39-06:00") == k20261121);
    CHECK(Runtime("2026-11-21T05:52:39.123Z") == k20261121 + 123);
    CHECK(Runtime("2026-11-21T05:52:39.1Z") == k20261121 + 100);
    CHECK(Runtime("2026-11-21T05:52:39.12Z") == k20261121 + 120);
    CHECK(Runtime("2026-11-21T05:52:39.999999999Z") == k20261121 + 999);  // truncated
    CHECK(Runtime("2026-11-21T05:52:39.000Z") == k20261121);
    CHECK(Runtime("2026-11-21 07:52:39.5+02:00") == k20261121 + 500);
    CHECK(Runtime("2026-11-21T05:52:39+23:59") == k20261121 - (23 * 60 + 59) * 60000);
  }

  TEST_CASE("runtime: unix seconds") {
    CHECK(Runtime("1700000000") == 1700000000000);
    CHECK(Runtime("0") == 0);
    CHECK(Runtime("001700000000") == 1700000000000);  // leading zeros are still digits
    CHECK(Runtime("253402300799") == 253402300799000);
    CHECK_FALSE(ParseRuntime("253402300800", TimeZone::Utc()).ok());
    CHECK_FALSE(ParseRuntime("1700000000000", TimeZone::Utc()).ok());  // ms, not s
    CHECK_FALSE(ParseRuntime("99999999999999999999999", TimeZone::Utc()).ok());
  }

  TEST_CASE("runtime: rejects other forms, stating the accepted ones") {
    // clang-format off
    for (const char* text : {
             "", " ", "now", "tomorrow", "2026-11-21", "05:52:39", "2026/11/21 05:52:39",
             "2026-11-21  05:52:39", " 2026-11-21 05:52:39", "2026-11-21 05:52:39 ",
             "2026-11-21T05:52:39", "2026-11-21t05:52:39", "2026-11-21 05:52:39.123",
             "2026-11-21T05:52", "2026-11-21T05:52Z", "26-11-21 05:52:39", "2026-1-21 05:52:39",
             "2026-11-21 5:52:39", "+2026-11-21 05:52:39", "2026-11-21_05:52:39",
             "2026-11-21T05:52:39.Z", "2026-11-21T05:52:39ZZ", "2026-11-21T05:52:39+0800",
             "2026-11-21T05:52:39+08", "2026-11-21T05:52:39+08:00:00", "2026-11-21T05:52:39 Z",
             "2026-11-21T05:52:39UTC", "2026-11-21T05:52:39+24:00", "2026-11-21T05:52:39+08:60",
             "-1700000000", "1700000000.5", "1.7e9", "0x65", "1700000000 ", "１７００"}) {
      // clang-format on
      CAPTURE(text);
      Result<int64_t> r = ParseRuntime(text, TimeZone::Utc());
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Code::kInvalid);
      CHECK_FALSE(r.status().message().empty());
    }
    CHECK_FALSE(ParseRuntime(std::string_view("2026-11-21\0"
                                              "05:52:39",
                                              19),
                             TimeZone::Utc())
                    .ok());
    const Result<int64_t> r = ParseRuntime("next tuesday", TimeZone::Utc());
    CHECK(r.status().message().find("YYYY-MM-DD HH:MM:SS") != std::string::npos);
    CHECK(r.status().message().find("RFC 3339") != std::string::npos);
    CHECK(r.status().message().find("unix seconds") != std::string::npos);
    CHECK(r.status().message().find("next tuesday") == std::string::npos);  // never echoed
    const Result<int64_t> no_offset = ParseRuntime("2026-11-21T05:52:39", TimeZone::Utc());
    CHECK(no_offset.status().message().find("RFC 3339") != std::string::npos);
  }

  TEST_CASE("runtime: impossible dates and times are rejected") {
    for (const char* text : {"2021-02-30 00:00:00", "2023-02-29 00:00:00", "1900-02-29 00:00:00",
                             "2026-04-31 00:00:00", "2026-13-01 00:00:00", "2026-00-10 00:00:00",
                             "2026-01-00 00:00:00", "2026-01-01 24:00:00", "2026-01-01 12:60:00",
                             "2026-01-01 12:00:60", "2026-12-31T23:59:60Z", "2023-02-29T00:00:00Z",
                             "2026-01-01T24:00:00+01:00"}) {
      CAPTURE(text);
      Result<int64_t> r = ParseRuntime(text, TimeZone::Utc());
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Code::kInvalid);
      CHECK(r.status().message().find("real date") != std::string::npos);
    }
    CHECK(ParseRuntime("2024-02-29 00:00:00", TimeZone::Utc()).ok());
    CHECK(ParseRuntime("2000-02-29 00:00:00", TimeZone::Utc()).ok());
  }

  TEST_CASE("strict date-time") {
    Result<CivilTime> c = ParseStrictDateTime("2021-07-27 17:30:30");
    REQUIRE(c.ok());
    CHECK(*c == CivilTime{2021, 7, 27, 17, 30, 30});
    CHECK(ParseStrictDateTime("2024-02-29 23:59:59").ok());
    CHECK(ParseStrictDateTime("0000-01-01 00:00:00").ok());
    for (const char* text : {"2021-07-27T17:30:30", "2021-07-27 17:30:30Z", "2021-07-27 17:30",
                             "2021-7-27 17:30:30", "2021-07-27 17:30:30.0", "", "2021-07-27"}) {
      CAPTURE(text);
      Result<CivilTime> r = ParseStrictDateTime(text);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().message() == "must be \"yyyy-mm-dd hh:mm:ss\"");
    }
    for (const char* text : {"2023-02-29 00:00:00", "1900-02-29 10:00:00", "2021-02-30 10:00:00",
                             "2021-07-27 24:00:00", "2021-07-27 12:60:00"}) {
      CAPTURE(text);
      Result<CivilTime> r = ParseStrictDateTime(text);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().message().find("real date") != std::string::npos);
    }
  }

  TEST_CASE("strict time of day") {
    Result<CivilTime> t = ParseStrictTimeOfDay("08:05:09");
    REQUIRE(t.ok());
    CHECK(t->hour == 8);
    CHECK(t->minute == 5);
    CHECK(t->second == 9);
    CHECK(ParseStrictTimeOfDay("00:00:00").ok());
    CHECK(ParseStrictTimeOfDay("23:59:59").ok());
    for (const char* text : {"24:00:00", "12:60:00", "12:00:60", "99:99:99"}) {
      CAPTURE(text);
      CHECK(ParseStrictTimeOfDay(text).status().message().find("real time of day") !=
            std::string::npos);
    }
    for (const char* text :
         {"8:05:09", "08:05", "08:05:09Z", " 08:05:09", "08-05-09", "", "08:05:09.5", "+8:05:09"}) {
      CAPTURE(text);
      CHECK(ParseStrictTimeOfDay(text).status().message() == "must be \"hh:mm:ss\"");
    }
  }

  TEST_CASE("formatting") {
    CHECK(FormatRfc3339Utc(1795240359123) == "2026-11-21T05:52:39.123Z");
    CHECK(FormatRfc3339Utc(0) == "1970-01-01T00:00:00.000Z");
    CHECK(FormatRfc3339Utc(-1) == "1969-12-31T23:59:59.999Z");
    CHECK(FormatRfc3339Utc(std::numeric_limits<int64_t>::max()) == "9999-12-31T23:59:59.999Z");
    CHECK(FormatRfc3339Utc(std::numeric_limits<int64_t>::min()) == "0000-01-01T00:00:00.000Z");
    CHECK(FormatDateTime(1795240359999, TimeZone::Utc()) == "2026-11-21 05:52:39");
    CHECK(FormatDateTime(1795240359000, NewYork()) == "2026-11-21 00:52:39");
    CHECK(FormatDateTime(1782907200000, NewYork()) == "2026-07-01 08:00:00");  // EDT
    CHECK(FormatDateTime(std::numeric_limits<int64_t>::max(), NewYork()) == "9999-12-31 18:59:59");
    CHECK(FormatDateTime(std::numeric_limits<int64_t>::min(), NewYork()) == "0000-01-01 00:00:00");
  }

  TEST_CASE("formatted text parses back to the same instant") {
    const TimeZone ny = NewYork();
    for (int64_t ms : {int64_t{0}, int64_t{1795240359123}, int64_t{951782400000},
                       int64_t{1772953200000}, int64_t{253402300799999}}) {
      CAPTURE(ms);
      CHECK(Runtime(FormatRfc3339Utc(ms)) == ms);
      CHECK(Runtime(FormatDateTime(ms, ny), ny) == ms / 1000 * 1000);
    }
  }
}

}  // namespace tock
