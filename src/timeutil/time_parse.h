// Parsing and formatting of the wall-clock texts tock accepts and prints.
//
// ParseRuntime() reads the task 'runtime' field (SPEC §3), accepting exactly:
//   - "YYYY-MM-DD HH:MM:SS"                       read in the given zone (DST rules: time_zone.h)
//   - RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)"  'T', 't' or ' ' between date and time,
//                                                 'Z' or 'z'; the fraction is truncated to ms
//   - unix seconds: 1-12 ASCII digits, at most 253402300799 (9999-12-31T23:59:59Z)
// and rejects everything else, including impossible dates and times (2023-02-29, 24:00:00,
// 12:60:00, leap second :60) and surrounding spaces. Error messages name the rule, not the
// field, and never echo the input: the caller prefixes "field 'runtime': ".
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "timeutil/civil_time.h"
#include "timeutil/time_zone.h"

namespace tock {

// UTC ms of `text` (see above); a zone-less date-time is read in `tz`.
Result<int64_t> ParseRuntime(std::string_view text, const TimeZone& tz);

// Exactly "yyyy-mm-dd hh:mm:ss", a real date and time (millis = 0).
Result<CivilTime> ParseStrictDateTime(std::string_view text);

// Exactly "hh:mm:ss", 00:00:00-23:59:59. Only hour/minute/second are set; the date fields
// are 0 (not a valid date: combine with one before converting).
Result<CivilTime> ParseStrictTimeOfDay(std::string_view text);

// "yyyy-mm-dd hh:mm:ss", local time in `tz`, milliseconds dropped.
std::string FormatDateTime(int64_t utc_ms, const TimeZone& tz);

// "2026-11-21T05:52:39.123Z": always UTC, always milliseconds.
std::string FormatRfc3339Utc(int64_t utc_ms);

}  // namespace tock
