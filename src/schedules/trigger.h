// Trigger: when a schedule (SPEC §4) fires. Parsing and validation of the `trigger` JSON
// object, its canonical JSON form, and the next fire time. Pure code: no I/O, no clock (the
// current time is a parameter).
//
// A trigger is exactly one of:
//   single      {time, zone_type[, time_zone]}              one fire at a local date-time
//   periodical  {start, end, time, time_unit, frequency, point, zone_type[, time_zone]}
//               at `time` on matching days of every `frequency`-th day/week/month, counted from
//               start's day / week (Monday-based) / month, within [start, end]
//   cron        {expr, time_zone[, start][, end][, zone_type]}  see schedules/cron.h
// zone_type 1 = the server's zone, 2 = the IANA `time_zone` of the trigger (cron: always 2).
// All local times are read in the trigger's zone; results are UTC milliseconds. A local time
// in a spring-forward gap fires at the first instant after the gap; one that occurs twice fires
// once, at the earlier instant.
//
// Thread-safety: Trigger is an immutable value once parsed; the functions are pure and may
// be called from any thread (ParseTrigger uses a thread-local JSON parser).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "schedules/cron.h"
#include "timeutil/civil_time.h"
#include "timeutil/time_zone.h"

namespace tock {

enum class TriggerKind { kSingle, kPeriodical, kCron };
enum class TimeUnit { kDay, kWeek, kMonth };

struct Trigger {
  TriggerKind kind = TriggerKind::kSingle;
  int zone_type = 1;  // 1 = server zone, 2 = `time_zone` (always 2 for cron)
  TimeZone zone;      // the zone every local time below is read in

  // single: the fire time. periodical: start and end (both set). cron: optional bounds.
  CivilTime time;
  std::optional<CivilTime> start, end;

  // periodical only.
  CivilTime time_of_day;  // hour/minute/second only
  TimeUnit unit = TimeUnit::kDay;
  int frequency = 1;
  // week: bit 0 = MON ... bit 6 = SUN; month: bit d = day d (1-31); day: 0.
  uint32_t points = 0;

  // cron only.
  CronSpec cron;

  // Derived from the above and `zone` at parse time (UTC ms): time_ms for single, start_ms /
  // end_ms for periodical and a bounded cron (INT64_MIN / INT64_MAX when unbounded).
  int64_t time_ms = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;

  // Same trigger: kind, zone and the fields of that kind (derived fields follow from them).
  bool operator==(const Trigger& other) const;
};

// Structural validation of the `trigger` object text as the API received it. Errors are
// Status::Invalid naming the field path and the rule, e.g.
// "trigger.periodical.frequency: must be an integer from 1 to 100". Unknown fields are refused.
// `server_zone` is the zone of zone_type 1.
Result<Trigger> ParseTrigger(std::string_view trigger_json, const TimeZone& server_zone);

// The checks that depend on the current time, for create and update: single strictly after
// now and at most one calendar year ahead (the same local date-time a year later; Feb 29 ->
// Feb 28); periodical end at most one year after start; and that the trigger fires at least
// once: periodical within [start, end] and still after now; single/cron after now (cron
// within its bounds and kCronHorizonYears).
Status ValidateForCreate(const Trigger& t, int64_t now_ms);

// The first fire time strictly after `after_ms`, or nullopt when there is none (past the end,
// single already fired, or a cron with no match within kCronHorizonYears).
std::optional<int64_t> NextFireAfter(const Trigger& t, int64_t after_ms);

// Canonical JSON of the trigger object, e.g.
// {"single":{"time":"2026-12-01 09:30:00","zone_type":1}}: time_unit lower-case, week points
// upper-case in MON..SUN order, month points two-digit ascending, always an array; the cron
// expression with single spaces. Round-trips through ParseTrigger to an equal trigger (for
// zone_type 1, given the same server zone).
std::string TriggerToJson(const Trigger& t);

// Whether an update may replace trigger `a` with `b`: only within one kind (single <->
// periodical is refused, and so is any change to or from cron). zone_type may change.
bool IsSameKindForUpdate(const Trigger& a, const Trigger& b);

}  // namespace tock
