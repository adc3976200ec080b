// Civil (calendar) time arithmetic in the proleptic Gregorian calendar: day numbers, weekdays,
// month lengths, validity. No time zones here: see time_zone.h, which includes this header.
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>

namespace tock {

// A wall-clock reading "year-month-day hour:minute:second.millis" with no zone attached.
struct CivilTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int millis = 0;
  bool operator==(const CivilTime&) const = default;
};

// 0 = Monday ... 6 = Sunday (ISO 8601 order, minus one). Any date, including day 0 or day 32
// (they are counted from the first of the month).
int DayOfWeek(int y, int m, int d);

// 28-31; 0 if m is not 1-12.
int DaysInMonth(int y, int m);

bool IsLeapYear(int y);

// True if c is a real calendar date with year 0000-9999 and a time 00:00:00.000-23:59:59.999
// (no leap second).
bool IsValidCivil(const CivilTime& c);

// Days since 1970-01-01 (negative before). REQUIRES: 1 <= m <= 12; d may be any value and is
// counted from the first of the month.
int64_t DaysFromCivil(int64_t y, int m, int d);

// The date `days` days after 1970-01-01 (time fields zero). REQUIRES: |days| < 2^40.
CivilTime CivilFromDays(int64_t days);

// Floor division and its remainder, for times before the epoch. REQUIRES: b > 0.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }
inline int64_t FloorMod(int64_t a, int64_t b) { return a % b + (a % b < 0 ? b : 0); }

}  // namespace tock
