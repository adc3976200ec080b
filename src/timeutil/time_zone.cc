// DESIGN: the calendar arithmetic is ours (civil_time.cc); the tz library is asked only one
// question, "what is the UTC offset here", via time_zone::get_info(). So the library's
// exceptions, its chrono types and its range limits stay inside this file:
//   - get_info() is only given instants within years 0000-9999 (outside, the offset at the
//     nearest end of that range is used; tock never schedules that far);
//   - every call that can throw is wrapped; Load() also forces the zone file to be parsed,
//     so a zone that loads never throws later (the library parses a zone once, under its own
//     std::call_once, and keeps it).
// Known limit: with USE_OS_TZDB the library reads only the explicit transitions of the
// zoneinfo file, not its POSIX TZ footer. Debian's "fat" files list transitions until 2037,
// so later years keep the offset in force after the last listed one.
#include "timeutil/time_zone.h"

#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <mutex>

namespace tock {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;
constexpr int64_t kMinLookupS = -62'167'219'200;  // 0000-01-01T00:00:00Z
constexpr int64_t kMaxLookupS = 253'402'300'799;  // 9999-12-31T23:59:59Z

const std::string& UtcName() {
  static const std::string name = "UTC";
  return name;
}

// Reads the zone directory listing once; returns the reason if that failed.
const std::string* TzdbError() {
  static std::once_flag once;
  static std::string error;  // written once, under `once`; read-only afterwards
  static bool failed = false;
  std::call_once(once, [] {
    // No exception may leave the call_once callable: keep the failure as a value instead.
    try {
      (void)date::get_tzdb();
    } catch (const std::exception& e) {
      failed = true;
      error = e.what();
      while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    } catch (...) {
      failed = true;
      error = "unknown error";
    }
  });
  return failed ? &error : nullptr;
}

// Zone names come from configs and requests: quote at most 64 printable ASCII bytes.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (s.size() > 64) out += "...";
  return out;
}

// Milliseconds of `c` read as if it were UTC, with out-of-range fields normalised.
int64_t NaiveMs(const CivilTime& c) {
  // Clamping the year keeps every product below within int64 (10^6 years ~ 3.2e16 ms).
  const int64_t month0 = static_cast<int64_t>(c.month) - 1;
  const int64_t year = std::clamp<int64_t>(c.year, -1'000'000, 1'000'000) + FloorDiv(month0, 12);
  const int month = static_cast<int>(FloorMod(month0, 12)) + 1;
  const int64_t days = DaysFromCivil(year, month, 1) + static_cast<int64_t>(c.day) - 1;
  return days * kMsPerDay + static_cast<int64_t>(c.hour) * 3'600'000 +
         static_cast<int64_t>(c.minute) * 60'000 + static_cast<int64_t>(c.second) * 1000 + c.millis;
}

CivilTime CivilFromNaiveMs(int64_t ms) {
  const int64_t days = FloorDiv(ms, kMsPerDay);
  const int64_t in_day = FloorMod(ms, kMsPerDay);  // not ms - days * kMsPerDay: may overflow
  CivilTime c = CivilFromDays(days);
  c.hour = static_cast<int>(in_day / 3'600'000);
  c.minute = static_cast<int>(in_day / 60'000 % 60);
  c.second = static_cast<int>(in_day / 1000 % 60);
  c.millis = static_cast<int>(in_day % 1000);
  return c;
}

int64_t ClampLookup(int64_t ms) { return std::clamp(FloorDiv(ms, 1000), kMinLookupS, kMaxLookupS); }

}  // namespace

Result<TimeZone> TimeZone::Load(std::string_view iana_name) {
  if (iana_name == UtcName()) return Utc();
  if (iana_name.empty()) return Status::Invalid("time zone name is empty");
  if (const std::string* error = TzdbError()) {
    return Status::Invalid("time zone '" + Printable(iana_name) +
                           "': the time zone database cannot be read (" + *error + ")");
  }
  try {
    // A binary search of the zone list read at start-up; no file is opened for an unknown
    // name, so a name like "../../etc/passwd" is simply not found.
    const date::time_zone* zone = date::get_tzdb().locate_zone(iana_name);
    // Parse the zone file now: a broken or non-zone file must fail here, not in ToUtcMs.
    (void)zone->get_info(date::sys_seconds{});
    return TimeZone(zone);
  } catch (...) {
    return Status::Invalid("unknown time zone '" + Printable(iana_name) +
                           "' (expected an IANA name such as \"UTC\" or \"America/New_York\")");
  }
}

TimeZone TimeZone::Utc() { return TimeZone(nullptr); }

const std::string& TimeZone::name() const { return zone_ ? zone_->name() : UtcName(); }

int64_t TimeZone::OffsetSeconds(int64_t utc_ms) const {
  if (!zone_) return 0;
  try {
    const date::sys_seconds at{std::chrono::seconds{ClampLookup(utc_ms)}};
    return zone_->get_info(at).offset.count();
  } catch (...) {
    return 0;  // unreachable once Load() has parsed the zone
  }
}

int64_t TimeZone::ToUtcMs(const CivilTime& local) const {
  const int64_t local_ms = NaiveMs(local);
  if (!zone_) return local_ms;
  const int64_t lookup_s = ClampLookup(local_ms);
  try {
    const date::local_info info =
        zone_->get_info(date::local_seconds{std::chrono::seconds{lookup_s}});
    if (info.result == date::local_info::nonexistent && lookup_s == FloorDiv(local_ms, 1000)) {
      // In the gap: the first valid instant after it is the transition itself.
      return static_cast<int64_t>(info.second.begin.time_since_epoch().count()) * 1000;
    }
    // unique, or ambiguous: `first` is the earlier of the two readings.
    return local_ms - static_cast<int64_t>(info.first.offset.count()) * 1000;
  } catch (...) {
    return local_ms;  // unreachable once Load() has parsed the zone
  }
}

CivilTime TimeZone::ToCivil(int64_t utc_ms) const {
  const int64_t offset_ms = OffsetSeconds(utc_ms) * 1000;
  // Saturate at the extremes of int64 instead of overflowing (offsets are under a day).
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (offset_ms > 0 && utc_ms > kMax - offset_ms) return CivilFromNaiveMs(kMax);
  if (offset_ms < 0 && utc_ms < kMin - offset_ms) return CivilFromNaiveMs(kMin);
  return CivilFromNaiveMs(utc_ms + offset_ms);
}

}  // namespace tock
