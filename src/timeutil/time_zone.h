// TimeZone: conversion between UTC milliseconds (tock's only internal time) and the wall
// clock of an IANA zone ("America/New_York"), with explicit DST rules:
//   - a local time that does not exist (spring-forward gap) maps to the first valid instant
//     after the gap: 02:30 on a New York spring-forward day -> 03:00 EDT (07:00Z);
//   - a local time that occurs twice (fall-back overlap) maps to the EARLIER instant:
//     01:30 on a New York fall-back day -> 01:30 EDT (05:30Z), not 01:30 EST.
// Zone rules come from the system's /usr/share/zoneinfo (package tzdata), read at run time.
// "UTC" needs no zone files at all.
// Known limit: the tz library reads only the transitions listed in the zone files, not their
// POSIX rule footer; Debian's files list transitions up to 2037, so from 2038 on a zone keeps
// its last listed offset (New York stays on EST all year).
//
// Thread-safety: a TimeZone is immutable and may be shared and copied freely between
// threads; Load() may be called from any thread (the zone database is read once, under
// std::call_once, on first use).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "timeutil/civil_time.h"

namespace date {
class time_zone;  // <date/tz.h>, kept out of this header on purpose
}  // namespace date

namespace tock {

class TimeZone {
 public:
  // "UTC", "America/New_York", ... Invalid naming the zone if unknown (names are
  // case-sensitive, as in the IANA database) or if the zone database cannot be read.
  static Result<TimeZone> Load(std::string_view iana_name);
  static TimeZone Utc();
  TimeZone() = default;  // UTC

  const std::string& name() const;
  bool IsUtc() const { return zone_ == nullptr; }

  // Local civil time -> UTC ms, with the gap/overlap rules above. Fields out of range are
  // normalised arithmetically (month 13 = January next year, day 0 = last day of the
  // previous month, hour 24 = 00 next day), so callers may step by adding to a field.
  int64_t ToUtcMs(const CivilTime& local) const;

  // UTC ms -> local civil time.
  CivilTime ToCivil(int64_t utc_ms) const;

  // The zone's offset from UTC at that instant, in seconds (east positive).
  int64_t OffsetSeconds(int64_t utc_ms) const;

 private:
  explicit TimeZone(const date::time_zone* zone) : zone_(zone) {}

  // Points into the tz database, which lives until exit; nullptr = fixed UTC.
  const date::time_zone* zone_ = nullptr;
};

}  // namespace tock
