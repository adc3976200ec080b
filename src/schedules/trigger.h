// Trigger: when a schedule (SPEC §4) fires. Parsing and validation of the `trigger` JSON
// object, its canonical JSON form, and the next fire time. Pure code: no I/O, no clock (the
// current time is a parameter).
//
// A trigger is exactly one of:
//   single      {time[, zone_type][, time_zone]}            one fire at a local date-time
//   periodical  {start, end, time, time_unit, frequency, point[, zone_type][, time_zone]}
//               at `time` on matching days of every `frequency`-th day/week/month, counted from
//               start's day / week (Monday-based) / month, within [start, end]
//   cron        {expr, time_zone[, start][, end][, zone_type]}  see schedules/cron.h
// Any other key of the trigger object names a kind tock does not offer ("intelligent") and is
// refused as such.
// The zone of single and periodical (the original's words: "zone_type ... the value is 1 or 2,
// Otherwise, it will be pushed according to the time zone of the server"):
//   zone_type 2            the IANA `time_zone` of the trigger; without one, the terminal
//                          zone of TriggerZones (the application's time zone)
//   zone_type 1, absent,   the server's zone; `time_zone` is refused with it
//   null or any other integer
//   not an integer         refused
// cron: always its `time_zone` (zone_type 2 when given).
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
  int zone_type = 1;  // 1 = server zone, 2 = a named zone (always 2 for cron)
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

// The zones a single or periodical trigger falls back on when it names none.
struct TriggerZones {
  TimeZone server;    // zone_type 1 (and absent, null, any other integer)
  TimeZone terminal;  // zone_type 2 without time_zone: the application's zone
};

// Structural validation of the `trigger` object text as the API received it. Errors are
// Status::Invalid naming the field path and the rule, e.g.
// "trigger.periodical.frequency: must be an integer from 1 to 100". Unknown fields are refused.
Result<Trigger> ParseTrigger(std::string_view trigger_json, const TriggerZones& zones);
// The same with the server's zone for both: how stored canonical triggers are read back
// (TriggerToJson names the zone of every zone_type 2 trigger).
inline Result<Trigger> ParseTrigger(std::string_view trigger_json, const TimeZone& server_zone) {
  return ParseTrigger(trigger_json, TriggerZones{server_zone, server_zone});
}

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
// {"single":{"time":"2026-12-01 09:30:00","zone_type":1}}: zone_type 1 or 2 (2 always with
// its time_zone, so a trigger that fell back on the application's zone keeps that zone even
// if the application's changes), time_unit lower-case, week points upper-case in MON..SUN
// order, month points two-digit ascending, always an array; the cron expression with single
// spaces. Round-trips through ParseTrigger to an equal trigger (for zone_type 1, given the
// same server zone).
std::string TriggerToJson(const Trigger& t);

// Whether an update may replace trigger `current` with `next`: only within one kind (single
// <-> periodical is refused, and so is any change to or from cron) and, as in the original,
// not between the server's zone (zone_type 1) and a terminal zone (zone_type 2); a zone_type 2
// trigger may change its time_zone. Invalid naming the rule otherwise.
Status CheckTriggerUpdate(const Trigger& current, const Trigger& next);

}  // namespace tock
