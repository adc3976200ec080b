#include "schedules/cron.h"

#include <doctest/doctest.h>

#include "common/must_load_zone.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace tock {
namespace {

TimeZone MustLoad(std::string_view name) { return testing::MustLoadZone(name); }

CronSpec MustParse(std::string_view expr) {
  Result<CronSpec> spec = ParseCron(expr);
  REQUIRE_MESSAGE(spec.ok(), spec.status().message());
  return *spec;
}

// UTC ms of a UTC wall-clock reading.
int64_t Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return TimeZone::Utc().ToUtcMs({y, mo, d, h, mi, s});
}

uint64_t Bits(std::initializer_list<int> values) {
  uint64_t mask = 0;
  for (int v : values) mask |= uint64_t{1} << v;
  return mask;
}

uint64_t Range(int lo, int hi, int step = 1) {
  uint64_t mask = 0;
  for (int v = lo; v <= hi; v += step) mask |= uint64_t{1} << v;
  return mask;
}

// The first `n` fires strictly after `after`.
std::vector<int64_t> Fires(const CronSpec& spec, const TimeZone& zone, int64_t after, int n) {
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) {
    std::optional<int64_t> next = NextCronFire(spec, zone, after);
    if (!next) break;
    out.push_back(*next);
    after = *next;
  }
  return out;
}

std::string ErrorOf(std::string_view expr) {
  Result<CronSpec> spec = ParseCron(expr);
  REQUIRE_FALSE_MESSAGE(spec.ok(), expr);
  CHECK(spec.status().code() == Code::kInvalid);
  return spec.status().message();
}

}  // namespace

TEST_SUITE("CronParse") {
  TEST_CASE("stars, values, lists, ranges and steps fill the masks") {
    const CronSpec s = MustParse("*/15 0,12 1-5 */3 1-5/2");
    CHECK(s.seconds == Bits({0}));
    CHECK(s.minutes == Bits({0, 15, 30, 45}));
    CHECK(s.hours == Bits({0, 12}));
    CHECK(s.days == Range(1, 5));
    CHECK(s.months == Bits({1, 4, 7, 10}));
    CHECK(s.weekdays == Bits({1, 3, 5}));
    CHECK_FALSE(s.has_seconds);
    CHECK_FALSE(s.day_star);
    CHECK_FALSE(s.weekday_star);

    const CronSpec all = MustParse("* * * * *");
    CHECK(all.minutes == Range(0, 59));
    CHECK(all.hours == Range(0, 23));
    CHECK(all.days == Range(1, 31));
    CHECK(all.months == Range(1, 12));
    CHECK(all.weekdays == Range(0, 6));
    CHECK(all.day_star);
    CHECK(all.weekday_star);

    CHECK(MustParse("10-20/5 * * * *").minutes == Bits({10, 15, 20}));
    CHECK(MustParse("50/5 * * * *").minutes == Bits({50, 55}));  // a/n = a-max/n
    CHECK(MustParse("0 0 1,15,31 * *").days == Bits({1, 15, 31}));
    CHECK(MustParse("0 0 * * *").day_star);
    CHECK(MustParse("0 0 */2 * 1").day_star);  // a '*' step is still "starred" (Vixie)
  }

  TEST_CASE("month and weekday names in any case, in lists and ranges") {
    CHECK(MustParse("0 0 1 jan-Mar,DEC *").months == Bits({1, 2, 3, 12}));
    CHECK(MustParse("0 0 * * mon-FRI").weekdays == Range(1, 5));
    CHECK(MustParse("0 0 * * SUN,sat").weekdays == Bits({0, 6}));
    CHECK(MustParse("0 0 * JUL/2 *").months == Bits({7, 9, 11}));
  }

  TEST_CASE("day of week 0 and 7 are both Sunday") {
    CHECK(MustParse("0 0 * * 0").weekdays == Bits({0}));
    CHECK(MustParse("0 0 * * 7").weekdays == Bits({0}));
    CHECK(MustParse("0 0 * * 5-7").weekdays == Bits({0, 5, 6}));
    CHECK(MustParse("0 0 * * 0-7").weekdays == Range(0, 6));
  }

  TEST_CASE("six fields put seconds first") {
    const CronSpec s = MustParse("*/10 30 9 * * MON");
    CHECK(s.has_seconds);
    CHECK(s.seconds == Bits({0, 10, 20, 30, 40, 50}));
    CHECK(s.minutes == Bits({30}));
    CHECK(s.hours == Bits({9}));
    CHECK(s.weekdays == Bits({1}));
  }

  TEST_CASE("whitespace between fields is normalised in expr") {
    CHECK(MustParse("  0\t0   1 *  * ").expr == "0 0 1 * *");
    CHECK(MustParse("0 0 1 jan mon").expr == "0 0 1 jan mon");
  }

  TEST_CASE("errors name the field and the rule") {
    CHECK(ErrorOf("0 0 32 * *") == "cron field 3 (day of month): 32 is out of range 1-31");
    CHECK(ErrorOf("60 * * * *") == "cron field 1 (minute): 60 is out of range 0-59");
    CHECK(ErrorOf("60 * * * * *") == "cron field 1 (second): 60 is out of range 0-59");
    CHECK(ErrorOf("0 60 * * * *") == "cron field 2 (minute): 60 is out of range 0-59");
    CHECK(ErrorOf("0 24 * * *") == "cron field 2 (hour): 24 is out of range 0-23");
    CHECK(ErrorOf("0 0 0 * *") == "cron field 3 (day of month): 0 is out of range 1-31");
    CHECK(ErrorOf("0 0 * 13 *") == "cron field 4 (month): 13 is out of range 1-12");
    CHECK(ErrorOf("0 0 * * 8") == "cron field 5 (day of week): 8 is out of range 0-7");
    CHECK(ErrorOf("0 0 * FOO *")
              .find("cron field 4 (month): 'FOO' is not a number 1-12 or "
                    "a month name JAN-DEC") == 0);
    CHECK(ErrorOf("0 0 * * MONDAY").find("cron field 5 (day of week): 'MONDAY'") == 0);
    CHECK(ErrorOf("0 0 * MON *").find("cron field 4 (month)") == 0);  // names per field
    CHECK(ErrorOf("0 0 * * JAN").find("cron field 5 (day of week)") == 0);
    CHECK(ErrorOf("0 JAN * * *").find("cron field 2 (hour)") == 0);
    CHECK(ErrorOf("*/0 * * * *").find("cron field 1 (minute): step '0' must be") == 0);
    CHECK(ErrorOf("*/x * * * *").find("cron field 1 (minute): step 'x'") == 0);
    CHECK(ErrorOf("*/ * * * *").find("cron field 1 (minute): step") == 0);
    CHECK(ErrorOf("0 5-1 * * *")
              .find("cron field 2 (hour): range '5-1' must not run "
                    "backwards") == 0);
    CHECK(ErrorOf("1,,2 * * * *") == "cron field 1 (minute): empty item in a comma list");
    CHECK(ErrorOf("1, * * * *") == "cron field 1 (minute): empty item in a comma list");
    CHECK(ErrorOf("0 1- * * *") == "cron field 2 (hour): a value is missing");
    CHECK(ErrorOf("-1 * * * *") == "cron field 1 (minute): a value is missing");
    CHECK(ErrorOf("1x * * * *").find("cron field 1 (minute): '1x' is not a number") == 0);
    CHECK(ErrorOf("99999999999 * * * *") ==
          "cron field 1 (minute): '99999999999' is out of range 0-59");
  }

  TEST_CASE("the number of fields must be 5 or 6") {
    for (const char* expr : {"", "   ", "* * * *", "* * * * * * *", "* * * * * * * * * *"}) {
      CAPTURE(expr);
      CHECK(ErrorOf(expr).find("cron expression must have 5 fields") == 0);
    }
    CHECK(ErrorOf("* * * *").find("got 4") != std::string::npos);
    CHECK(ErrorOf("* * * * * * * *").find("got more than 6") != std::string::npos);
  }

  TEST_CASE("expressions that match no date are refused") {
    CHECK(ErrorOf("0 0 30 2 *").find("never fires") != std::string::npos);
    CHECK(ErrorOf("0 0 31 4,6,9,11 *").find("never fires") != std::string::npos);
    CHECK(ErrorOf("0 0 30,31 2 */2").find("never fires") != std::string::npos);
    MustParse("0 0 29 2 *");    // leap years
    MustParse("0 0 30 2 MON");  // OR rule: every Monday in February
    MustParse("0 0 31 * *");
  }
}

TEST_SUITE("CronNextFire") {
  TEST_CASE("every 15 minutes, strictly after the given instant") {
    const CronSpec s = MustParse("*/15 * * * *");
    const TimeZone utc = TimeZone::Utc();
    CHECK(NextCronFire(s, utc, Utc(2026, 5, 1, 10, 0, 0)) == Utc(2026, 5, 1, 10, 15));
    CHECK(NextCronFire(s, utc, Utc(2026, 5, 1, 10, 0, 0) - 1) == Utc(2026, 5, 1, 10, 0));
    CHECK(NextCronFire(s, utc, Utc(2026, 5, 1, 10, 14, 59) + 999) == Utc(2026, 5, 1, 10, 15));
    CHECK(NextCronFire(s, utc, Utc(2026, 5, 1, 23, 50)) == Utc(2026, 5, 2, 0, 0));
  }

  TEST_CASE("crosses month and year ends") {
    const TimeZone utc = TimeZone::Utc();
    CHECK(NextCronFire(MustParse("0 0 1 1 *"), utc, Utc(2026, 12, 31, 23, 59, 59)) ==
          Utc(2027, 1, 1));
    CHECK(NextCronFire(MustParse("0 0 1 1 *"), utc, Utc(2027, 1, 1)) == Utc(2028, 1, 1));
    CHECK(NextCronFire(MustParse("59 23 31 * *"), utc, Utc(2026, 4, 1)) ==
          Utc(2026, 5, 31, 23, 59));
    CHECK(NextCronFire(MustParse("30 6 * 3 *"), utc, Utc(2026, 3, 31, 7)) ==
          Utc(2027, 3, 1, 6, 30));
    CHECK(Fires(MustParse("0 0 31 * *"), utc, Utc(2026, 1, 31), 4) ==
          std::vector<int64_t>{Utc(2026, 3, 31), Utc(2026, 5, 31), Utc(2026, 7, 31),
                               Utc(2026, 8, 31)});
  }

  TEST_CASE("leap day fires only in leap years, across the 2100 gap") {
    const CronSpec s = MustParse("0 0 29 2 *");
    const TimeZone utc = TimeZone::Utc();
    CHECK(NextCronFire(s, utc, Utc(2026, 3, 1)) == Utc(2028, 2, 29));
    CHECK(NextCronFire(s, utc, Utc(2028, 2, 29)) == Utc(2032, 2, 29));
    CHECK(NextCronFire(s, utc, Utc(2096, 3, 1)) == Utc(2104, 2, 29));
  }

  TEST_CASE("six-field expressions fire on seconds") {
    const TimeZone utc = TimeZone::Utc();
    const CronSpec s = MustParse("*/20 * * * * *");
    CHECK(Fires(s, utc, Utc(2026, 5, 1, 10, 0, 5), 4) ==
          std::vector<int64_t>{Utc(2026, 5, 1, 10, 0, 20), Utc(2026, 5, 1, 10, 0, 40),
                               Utc(2026, 5, 1, 10, 1, 0), Utc(2026, 5, 1, 10, 1, 20)});
    CHECK(NextCronFire(MustParse("30 0 0 1 1 *"), utc, Utc(2026, 6, 1)) ==
          Utc(2027, 1, 1, 0, 0, 30));
  }

  TEST_CASE("Vixie rule: both day fields restricted match on either") {
    const TimeZone utc = TimeZone::Utc();
    // April 2026: the 13th is a Monday; Fridays are 3, 10, 17, 24.
    CHECK(Fires(MustParse("0 12 13 * FRI"), utc, Utc(2026, 4, 1), 5) ==
          std::vector<int64_t>{Utc(2026, 4, 3, 12), Utc(2026, 4, 10, 12), Utc(2026, 4, 13, 12),
                               Utc(2026, 4, 17, 12), Utc(2026, 4, 24, 12)});
    // A starred day-of-month (even with a step) means AND: odd days that are Fridays.
    CHECK(Fires(MustParse("0 12 */2 * FRI"), utc, Utc(2026, 4, 1), 2) ==
          std::vector<int64_t>{Utc(2026, 4, 3, 12), Utc(2026, 4, 17, 12)});
    CHECK(Fires(MustParse("0 12 * * FRI"), utc, Utc(2026, 4, 1), 2) ==
          std::vector<int64_t>{Utc(2026, 4, 3, 12), Utc(2026, 4, 10, 12)});
    CHECK(Fires(MustParse("0 12 13 * *"), utc, Utc(2026, 4, 1), 2) ==
          std::vector<int64_t>{Utc(2026, 4, 13, 12), Utc(2026, 5, 13, 12)});
    CHECK(MustParse("0 12 13 * FRI").DayMatches(2026, 4, 13));
    CHECK_FALSE(MustParse("0 12 13 * FRI").DayMatches(2026, 4, 14));
  }

  TEST_CASE("New York spring-forward: a time in the gap fires at 03:00 EDT") {
    const TimeZone ny = MustLoad("America/New_York");
    const CronSpec s = MustParse("30 2 * * *");
    // 2026-03-07 02:30 EST = 07:30Z; 03-08 02:30 does not exist -> 03:00 EDT = 07:00Z;
    // 03-09 02:30 EDT = 06:30Z.
    CHECK(Fires(s, ny, Utc(2026, 3, 7), 3) == std::vector<int64_t>{Utc(2026, 3, 7, 7, 30),
                                                                   Utc(2026, 3, 8, 7, 0),
                                                                   Utc(2026, 3, 9, 6, 30)});
  }

  TEST_CASE("New York spring-forward: the gap fires once and the hour after is kept") {
    const TimeZone ny = MustLoad("America/New_York");
    // 02:00, 02:30 and 03:00 all map to 07:00Z: one fire; then 03:30 EDT.
    CHECK(
        Fires(MustParse("0,30 2,3 8 3 *"), ny, Utc(2026, 3, 8), 3) ==
        std::vector<int64_t>{Utc(2026, 3, 8, 7, 0), Utc(2026, 3, 8, 7, 30), Utc(2027, 3, 8, 7, 0)});
    CHECK(Fires(MustParse("*/20 * * * *"), ny, Utc(2026, 3, 8, 6, 30), 4) ==
          std::vector<int64_t>{Utc(2026, 3, 8, 6, 40), Utc(2026, 3, 8, 7, 0),
                               Utc(2026, 3, 8, 7, 20), Utc(2026, 3, 8, 7, 40)});
    CHECK(NextCronFire(MustParse("0 3 * * *"), ny, Utc(2026, 3, 8)) == Utc(2026, 3, 8, 7, 0));
  }

  TEST_CASE("New York fall-back: a repeated time fires once, at the earlier instant") {
    const TimeZone ny = MustLoad("America/New_York");
    // 2026-11-01 01:30 EDT = 05:30Z (not 06:30Z EST); next day 01:30 EST = 06:30Z.
    CHECK(Fires(MustParse("30 1 * * *"), ny, Utc(2026, 11, 1), 2) ==
          std::vector<int64_t>{Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 2, 6, 30)});
    // Every 30 minutes: 01:00 and 01:30 once (EDT), then 02:00 EST.
    CHECK(Fires(MustParse("*/30 * * * *"), ny, Utc(2026, 11, 1, 4, 59), 5) ==
          std::vector<int64_t>{Utc(2026, 11, 1, 5, 0), Utc(2026, 11, 1, 5, 30),
                               Utc(2026, 11, 1, 7, 0), Utc(2026, 11, 1, 7, 30),
                               Utc(2026, 11, 1, 8, 0)});
    // Asked from inside the second 01:xx (EST): nothing in the repeated hour fires again.
    CHECK(NextCronFire(MustParse("*/30 * * * *"), ny, Utc(2026, 11, 1, 6, 10)) ==
          Utc(2026, 11, 1, 7, 0));
    CHECK(NextCronFire(MustParse("* * * * * *"), ny, Utc(2026, 11, 1, 6, 15)) ==
          Utc(2026, 11, 1, 7, 0));
    CHECK(NextCronFire(MustParse("45 1 * * *"), ny, Utc(2026, 11, 1, 6, 15)) ==
          Utc(2026, 11, 2, 6, 45));
    // From the first occurrence, the rest of the first occurrence still fires.
    CHECK(NextCronFire(MustParse("45 1 * * *"), ny, Utc(2026, 11, 1, 5, 15)) ==
          Utc(2026, 11, 1, 5, 45));
  }

  TEST_CASE("London transitions of 2026") {
    const TimeZone london = MustLoad("Europe/London");
    // 2026-03-29 01:00 GMT -> 02:00 BST at 01:00Z: 01:30 does not exist -> 01:00Z.
    CHECK(Fires(MustParse("30 1 * * *"), london, Utc(2026, 3, 28), 3) ==
          std::vector<int64_t>{Utc(2026, 3, 28, 1, 30), Utc(2026, 3, 29, 1, 0),
                               Utc(2026, 3, 30, 0, 30)});
    // 2026-10-25 02:00 BST -> 01:00 GMT at 01:00Z: 01:30 fires at 00:30Z only.
    CHECK(Fires(MustParse("30 1 * * *"), london, Utc(2026, 10, 24), 3) ==
          std::vector<int64_t>{Utc(2026, 10, 24, 0, 30), Utc(2026, 10, 25, 0, 30),
                               Utc(2026, 10, 26, 1, 30)});
    CHECK(Fires(MustParse("0 * 25 10 *"), london, Utc(2026, 10, 24, 23, 30), 4) ==
          std::vector<int64_t>{Utc(2026, 10, 25, 0, 0),  // 01:00 BST
                               Utc(2026, 10, 25, 2, 0),  // 02:00 GMT; 01:00 GMT skipped
                               Utc(2026, 10, 25, 3, 0), Utc(2026, 10, 25, 4, 0)});
  }

  TEST_CASE("far fires are found without walking every minute") {
    const TimeZone ny = MustLoad("America/New_York");
    const CronSpec s = MustParse("0 9 29 2 MON");  // OR: any Monday in Feb, or Feb 29
    CHECK(NextCronFire(s, ny, Utc(2026, 3, 1)) == Utc(2027, 2, 1, 14));
    const CronSpec monday_leap = MustParse("0 9 29 2 */1");  // AND: just Feb 29
    CHECK(NextCronFire(monday_leap, ny, Utc(2026, 3, 1)) == Utc(2028, 2, 29, 14));
  }

  TEST_CASE("agrees with a minute-by-minute reference around DST changes") {
    // Reference: every local minute of a window, kept if it matches, mapped with ToUtcMs;
    // the next fire is the least instant above `after`.
    std::mt19937 rng(20260308);
    const auto pick = [&](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    const auto list = [&](int lo, int hi) {
      if (pick(0, 3) == 0) return std::string("*");
      if (pick(0, 3) == 0) return "*/" + std::to_string(pick(2, 20));
      std::string out = std::to_string(pick(lo, hi));
      for (int n = pick(0, 3); n > 0; --n) out += "," + std::to_string(pick(lo, hi));
      return out;
    };
    struct Change {
      const char* zone;
      int64_t at;
    };
    const std::vector<Change> changes = {
        {"America/New_York", Utc(2026, 3, 8, 7)},     {"America/New_York", Utc(2026, 11, 1, 6)},
        {"Europe/London", Utc(2026, 3, 29, 1)},       {"Europe/London", Utc(2026, 10, 25, 1)},
        {"Australia/Lord_Howe", Utc(2026, 4, 4, 15)},  // 30-minute shift
    };
    for (int round = 0; round < 400; ++round) {
      const Change& change = changes[round % changes.size()];
      const TimeZone zone = MustLoad(change.zone);
      const std::string expr = list(0, 59) + " " + list(0, 23) + " " +
                               (pick(0, 2) == 0 ? list(1, 31) : "*") + " * " +
                               (pick(0, 2) == 0 ? list(0, 6) : "*");
      Result<CronSpec> spec = ParseCron(expr);
      if (!spec.ok()) continue;
      const int64_t after = change.at + int64_t{pick(-3 * 3600, 3 * 3600)} * 1000 + pick(0, 999);
      std::optional<int64_t> want;
      CivilTime c = zone.ToCivil(after - 86'400'000);
      c.second = 0;
      c.millis = 0;
      for (int minute = 0; minute < 3 * 24 * 60; ++minute, ++c.minute) {
        const CivilTime n = TimeZone::Utc().ToCivil(TimeZone::Utc().ToUtcMs(c));
        c = n;
        if (!((spec->minutes >> n.minute) & 1) || !((spec->hours >> n.hour) & 1) ||
            !((spec->months >> n.month) & 1) || !spec->DayMatches(n.year, n.month, n.day)) {
          continue;
        }
        const int64_t at = zone.ToUtcMs(n);
        if (at > after && (!want || at < *want)) want = at;
      }
      if (!want) continue;  // fires beyond the window: not checked here
      CAPTURE(expr);
      CAPTURE(change.zone);
      CAPTURE(after);
      CHECK(NextCronFire(*spec, zone, after) == want);
    }
  }

  TEST_CASE("100 000 chained calls each find the next fire") {
    const TimeZone ny = MustLoad("America/New_York");
    const CronSpec s = MustParse("*/5 9-17 * * MON-FRI");
    int64_t at = Utc(2026, 1, 1);
    for (int i = 0; i < 100'000; ++i) {
      std::optional<int64_t> next = NextCronFire(s, ny, at);
      REQUIRE(next.has_value());
      REQUIRE(*next > at);
      at = *next;
    }
  }
}

}  // namespace tock
