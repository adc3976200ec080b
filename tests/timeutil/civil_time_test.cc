#include "timeutil/civil_time.h"

#include <doctest/doctest.h>

namespace tock {

TEST_SUITE("CivilTime") {
  TEST_CASE("DayOfWeek of known dates") {
    CHECK(DayOfWeek(1970, 1, 1) == 3);    // Thursday
    CHECK(DayOfWeek(1969, 12, 31) == 2);  // Wednesday
    CHECK(DayOfWeek(2000, 1, 1) == 5);    // Saturday
    CHECK(DayOfWeek(2024, 2, 29) == 3);   // Thursday
    CHECK(DayOfWeek(2026, 3, 8) == 6);    // Sunday (US DST starts)
    CHECK(DayOfWeek(2026, 11, 1) == 6);   // Sunday (US DST ends)
    CHECK(DayOfWeek(2026, 11, 23) == 0);  // Monday
    CHECK(DayOfWeek(1900, 1, 1) == 0);    // Monday
    CHECK(DayOfWeek(1, 1, 1) == 0);       // Monday (proleptic Gregorian)
  }

  TEST_CASE("DaysInMonth knows the Gregorian leap rule") {
    CHECK(DaysInMonth(2026, 1) == 31);
    CHECK(DaysInMonth(2026, 4) == 30);
    CHECK(DaysInMonth(2023, 2) == 28);
    CHECK(DaysInMonth(2024, 2) == 29);
    CHECK(DaysInMonth(1900, 2) == 28);
    CHECK(DaysInMonth(2000, 2) == 29);
    CHECK(DaysInMonth(2026, 12) == 31);
    CHECK(DaysInMonth(2026, 0) == 0);
    CHECK(DaysInMonth(2026, 13) == 0);
  }

  TEST_CASE("IsValidCivil accepts real times only") {
    CHECK(IsValidCivil({2024, 2, 29, 0, 0, 0}));
    CHECK(IsValidCivil({2000, 2, 29, 23, 59, 59, 999}));
    CHECK(IsValidCivil({0, 1, 1, 0, 0, 0}));
    CHECK(IsValidCivil({9999, 12, 31, 23, 59, 59}));
    CHECK_FALSE(IsValidCivil({2023, 2, 29, 0, 0, 0}));
    CHECK_FALSE(IsValidCivil({1900, 2, 29, 0, 0, 0}));
    CHECK_FALSE(IsValidCivil({2021, 2, 30, 0, 0, 0}));
    CHECK_FALSE(IsValidCivil({2026, 4, 31, 0, 0, 0}));
    CHECK_FALSE(IsValidCivil({2026, 0, 1, 0, 0, 0}));
    CHECK_FALSE(IsValidCivil({2026, 13, 1, 0, 0, 0}));
    CHECK_FALSE(IsValidCivil({2026, 1, 0, 0, 0, 0}));
    CHECK_FALSE(IsValidCivil({2026, 1, 1, 24, 0, 0}));
    CHECK_FALSE(IsValidCivil({2026, 1, 1, 12, 60, 0}));
    CHECK_FALSE(IsValidCivil({2026, 1, 1, 12, 0, 60}));
    CHECK_FALSE(IsValidCivil({2026, 1, 1, 12, 0, 0, 1000}));
    CHECK_FALSE(IsValidCivil({2026, 1, 1, -1, 0, 0}));
    CHECK_FALSE(IsValidCivil({-1, 1, 1, 0, 0, 0}));
    CHECK_FALSE(IsValidCivil({10000, 1, 1, 0, 0, 0}));
  }

  TEST_CASE("day numbers round-trip across eras") {
    CHECK(DaysFromCivil(1970, 1, 1) == 0);
    CHECK(DaysFromCivil(1969, 12, 31) == -1);
    CHECK(DaysFromCivil(2000, 3, 1) == 11017);
    CHECK(DaysFromCivil(0, 1, 1) == -719528);
    for (int64_t d = -800000; d <= 3000000; d += 97) {
      const CivilTime c = CivilFromDays(d);
      REQUIRE(DaysFromCivil(c.year, c.month, c.day) == d);
      REQUIRE(c.day >= 1);
      REQUIRE(c.day <= DaysInMonth(c.year, c.month));
    }
    CHECK(CivilFromDays(19723) == CivilTime{2024, 1, 1, 0, 0, 0});
  }

  TEST_CASE("floor division rounds toward minus infinity") {
    CHECK(FloorDiv(7, 2) == 3);
    CHECK(FloorDiv(-7, 2) == -4);
    CHECK(FloorDiv(-8, 2) == -4);
    CHECK(FloorMod(-7, 2) == 1);
    CHECK(FloorMod(-1, 1000) == 999);
  }
}

}  // namespace tock
