// Cron expressions for schedule triggers (SPEC §4 `cron`): parsing into per-field bit masks,
// and the next fire time in an IANA zone with explicit DST rules.
//
// Syntax: 5 fields "minute hour day-of-month month day-of-week", or 6 with seconds first.
// Each field is a comma list of `*`, `n`, `a-b`, `*/s`, `a-b/s` or `a/s` (= a-max/s).
// Months accept JAN-DEC, days of week SUN-SAT (any case); day of week 0-7 (0 and 7 = Sunday).
// Day matching follows Vixie cron exactly: when neither the day-of-month nor the day-of-week
// field starts with `*`, a day matches if EITHER matches; otherwise both must match (so a
// field written `*` or `*/2` does not switch on the OR rule).
//
// DST: the fire instants are {ToUtcMs(c) : c a matching local time}, deduplicated, with
// TimeZone's rules: a matching local time inside a spring-forward gap fires at the first
// valid instant after the gap (once, however many matching times the gap swallowed); a
// local time that occurs twice (fall back) fires once, at the earlier instant.
//
// Thread-safety: CronSpec is an immutable value; the functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "timeutil/time_zone.h"

namespace tock {

// A parsed cron expression. Bit i of a mask set = value i matches.
struct CronSpec {
  uint64_t seconds = 0;       // bits 0-59 (only bit 0 for a 5-field expression)
  uint64_t minutes = 0;       // bits 0-59
  uint64_t hours = 0;         // bits 0-23
  uint64_t days = 0;          // bits 1-31, day of month
  uint64_t months = 0;        // bits 1-12
  uint64_t weekdays = 0;      // bits 0-6, 0 = Sunday (cron numbering; 7 is folded into 0)
  bool day_star = false;      // the day-of-month field starts with '*'
  bool weekday_star = false;  // the day-of-week field starts with '*'
  bool has_seconds = false;   // written with 6 fields
  std::string expr;           // the fields joined by single spaces, as written otherwise

  bool operator==(const CronSpec&) const = default;

  // Does the local date y-m-d (a real date) match the day fields (Vixie rule above)?
  bool DayMatches(int y, int m, int d) const;
};

// Parses `expr`. Errors name the field: "cron field 3 (day of month): 32 is out of range 1-31".
// Also refuses expressions that can match no date at all ("0 0 30 2 *").
Result<CronSpec> ParseCron(std::string_view expr);

// The first fire instant strictly after `after_ms` (UTC ms), the local times read in `zone`,
// or nullopt if there is none within kCronHorizonYears local years of `after_ms`.
// Cost: one ToCivil, a walk that skips whole months/days/hours/minutes that cannot match
// (a few dozen steps), and usually one ToUtcMs; a handful more inside a DST overlap.
std::optional<int64_t> NextCronFire(const CronSpec& spec, const TimeZone& zone, int64_t after_ms);

// How far NextCronFire looks: past the 8-year leap-day gap around 2100 and the 28-year cycle
// of weekdays on a given date, so "0 0 29 2 */6" (AND rule: Feb 29 on a Sunday or Saturday)
// is found.
inline constexpr int kCronHorizonYears = 30;

}  // namespace tock
