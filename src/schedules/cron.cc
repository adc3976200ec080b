// DESIGN: a cron expression is six bit masks (see cron.h). The next fire time is found in
// local civil time: starting one second after the local reading of `after_ms`, the walk moves
// to the next allowed month, then day, hour, minute and second, each step jumping straight to
// the next set bit (or carrying into the next larger unit when there is none), so a call costs
// a few dozen cheap steps whatever the distance. Only the matching local time found is
// converted to UTC (TimeZone::ToUtcMs applies the gap and overlap rules).
//
// Why the result can be <= after_ms, and what is done about it: local -> UTC is monotonic
// but not injective. In a fall-back overlap, after_ms may be the SECOND occurrence of a local
// hour; the next matching local times of that hour map to its first occurrence, which is in
// the past. They must not fire again, so the walk restarts at the local time where the first
// occurrence ended (found by a binary search for the transition instant, ~14 offset lookups).
// In a spring-forward gap every matching local time of the gap maps to the same instant (the
// end of the gap); after firing there, the walk restarts one second after the local reading
// of that instant, so the gap fires once and the hour after it is not skipped.
#include "schedules/cron.h"

#include <array>
#include <bit>
#include <cctype>
#include <string>
#include <vector>

#include "timeutil/civil_time.h"

namespace tock {
namespace {

struct FieldDef {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] is value names_base + i; nullptr if none
  int names_base;
  int names_count;
  const char* names_hint;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

enum FieldIndex { kSecond = 0, kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek };

constexpr std::array<FieldDef, 6> kFields = {{
    {"second", 0, 59, nullptr, 0, 0, nullptr},
    {"minute", 0, 59, nullptr, 0, 0, nullptr},
    {"hour", 0, 23, nullptr, 0, 0, nullptr},
    {"day of month", 1, 31, nullptr, 0, 0, nullptr},
    {"month", 1, 12, kMonthNames, 1, 12, "a month name JAN-DEC"},
    {"day of week", 0, 7, kDayNames, 0, 7, "a day name SUN-SAT"},
}};

// Untrusted text echoed into a message: at most 24 printable ASCII bytes.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 24)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (s.size() > 24) out += "...";
  return out + "'";
}

class FieldParser {
 public:
  FieldParser(const FieldDef& def, int position) : def_(def), position_(position) {}

  Status Error(const std::string& what) const {
    return Status::Invalid("cron field " + std::to_string(position_) + " (" + def_.name +
                           "): " + what);
  }

  std::string RangeText() const {
    return std::to_string(def_.min) + "-" + std::to_string(def_.max);
  }

  // A number or (where the field has them) a name, in the field's range.
  Result<int> Value(std::string_view text) const {
    if (text.empty()) return Error("a value is missing");
    if (std::isdigit(static_cast<unsigned char>(text[0]))) {
      int v = 0;
      for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return NotAValue(text);
        v = v * 10 + (c - '0');
        if (v > 1000) break;  // out of range anyway; avoid overflow
      }
      if (v < def_.min || v > def_.max) {
        // Short numbers as written ("32"); long ones quoted and cut.
        const std::string shown = text.size() <= 4 ? std::string(text) : Quote(text);
        return Error(shown + " is out of range " + RangeText());
      }
      return v;
    }
    if (def_.names != nullptr && text.size() == 3) {
      for (int i = 0; i < def_.names_count; ++i) {
        const char* name = def_.names[i];
        bool same = true;
        for (int k = 0; k < 3; ++k) {
          same = same && std::toupper(static_cast<unsigned char>(text[k])) == name[k];
        }
        if (same) return def_.names_base + i;
      }
    }
    return NotAValue(text);
  }

  Status NotAValue(std::string_view text) const {
    std::string expected = "a number " + RangeText();
    if (def_.names_hint != nullptr) expected += " or " + std::string(def_.names_hint);
    return Error(Quote(text) + " is not " + expected);
  }

  // One list item: `*`, `n`, `a-b`, with an optional `/step`.
  Result<uint64_t> Item(std::string_view item) const {
    if (item.empty()) return Error("empty item in a comma list");
    std::string_view range = item;
    int step = 1;
    bool has_step = false;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      std::string_view step_text = item.substr(slash + 1);
      const int span = def_.max - def_.min + 1;
      step = 0;
      bool digits = !step_text.empty() && step_text.size() <= 4;
      for (char c : step_text) {
        digits = digits && std::isdigit(static_cast<unsigned char>(c));
        if (digits) step = step * 10 + (c - '0');
      }
      if (!digits || step < 1 || step > span) {
        return Error("step " + Quote(step_text) + " must be a number from 1 to " +
                     std::to_string(span));
      }
      has_step = true;
    }
    int lo = def_.min, hi = def_.max;
    if (range != "*") {
      size_t dash = range.find('-');
      Result<int> a = Value(range.substr(0, dash));
      if (!a.ok()) return a.status();
      lo = *a;
      hi = has_step ? def_.max : lo;  // "a/s" runs from a to the end of the field
      if (dash != std::string_view::npos) {
        Result<int> b = Value(range.substr(dash + 1));
        if (!b.ok()) return b.status();
        hi = *b;
        if (hi < lo) {
          return Error("range " + Quote(range) + " must not run backwards (" + std::to_string(lo) +
                       " > " + std::to_string(hi) + ")");
        }
      }
    }
    uint64_t mask = 0;
    for (int v = lo; v <= hi; v += step) mask |= uint64_t{1} << v;
    return mask;
  }

  Result<uint64_t> Field(std::string_view text) const {
    uint64_t mask = 0;
    size_t pos = 0;
    while (true) {
      size_t comma = text.find(',', pos);
      Result<uint64_t> item = Item(text.substr(pos, comma - pos));
      if (!item.ok()) return item.status();
      mask |= *item;
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    return mask;
  }

 private:
  const FieldDef& def_;
  int position_;
};

// Smallest set bit >= from, or -1.
int NextBit(uint64_t mask, int from) {
  if (from >= 64) return -1;
  const uint64_t rest = mask & (~uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

// The smallest local time >= c (to the second; millis ignored) that matches `s`, or nullopt
// past the end of `max_year`. c may carry one overflowing unit (second 60, day 32, ...).
std::optional<CivilTime> NextMatch(const CronSpec& s, CivilTime c, int max_year) {
  c.millis = 0;
  const bool or_rule = !s.day_star && !s.weekday_star;
  while (true) {
    // Carry one overflowing unit upwards (each step below bumps at most one unit by one).
    if (c.second > 59) c.second = 0, ++c.minute;
    if (c.minute > 59) c.minute = 0, ++c.hour;
    if (c.hour > 23) c.hour = 0, ++c.day;
    if (c.day > DaysInMonth(c.year, c.month)) c.day = 1, ++c.month;
    if (c.month > 12) c.month = 1, ++c.year;
    if (c.year > max_year) return std::nullopt;

    const int month = NextBit(s.months, c.month);
    if (month < 0) {
      c = CivilTime{c.year + 1, 1, 1, 0, 0, 0, 0};
      continue;
    }
    if (month != c.month) c = CivilTime{c.year, month, 1, 0, 0, 0, 0};

    // At most 31 cheap steps; the weekday advances with the day instead of being recomputed.
    const int days_in_month = DaysInMonth(c.year, c.month);
    int day = c.day;
    int weekday = (DayOfWeek(c.year, c.month, day) + 1) % 7;  // cron numbering, 0 = Sunday
    for (; day <= days_in_month; ++day, weekday = (weekday + 1) % 7) {
      const bool dom = (s.days >> day) & 1;
      const bool dow = (s.weekdays >> weekday) & 1;
      if (or_rule ? (dom || dow) : (dom && dow)) break;
    }
    if (day > days_in_month) {
      c = CivilTime{c.year, c.month + 1, 1, 0, 0, 0, 0};
      continue;
    }
    if (day != c.day) c = CivilTime{c.year, c.month, day, 0, 0, 0, 0};

    const int hour = NextBit(s.hours, c.hour);
    if (hour < 0) {
      c = CivilTime{c.year, c.month, c.day + 1, 0, 0, 0, 0};
      continue;
    }
    if (hour != c.hour) c.hour = hour, c.minute = 0, c.second = 0;

    const int minute = NextBit(s.minutes, c.minute);
    if (minute < 0) {
      ++c.hour, c.minute = 0, c.second = 0;
      continue;
    }
    if (minute != c.minute) c.minute = minute, c.second = 0;

    const int second = NextBit(s.seconds, c.second);
    if (second < 0) {
      ++c.minute, c.second = 0;
      continue;
    }
    c.second = second;
    return c;
  }
}

// The local reading at which the first occurrence of a repeated (fall-back) stretch ends,
// given an instant `early` before the transition and `late` after it (different offsets).
// Transitions fall on whole seconds: binary search over seconds, ~log2(overlap) lookups.
CivilTime EndOfFirstOccurrence(const TimeZone& zone, int64_t early, int64_t late) {
  const int64_t early_offset = zone.OffsetSeconds(early);
  int64_t lo = FloorDiv(early, 1000);  // offset == early_offset
  int64_t hi = FloorDiv(late, 1000);   // offset != early_offset
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (zone.OffsetSeconds(mid * 1000) == early_offset ? lo : hi) = mid;
  }
  // Transition instant `hi`, read with the offset in force before it.
  return TimeZone::Utc().ToCivil((hi + early_offset) * 1000);
}

}  // namespace

bool CronSpec::DayMatches(int y, int m, int d) const {
  const bool dom = (days >> d) & 1;
  const bool dow = (weekdays >> ((DayOfWeek(y, m, d) + 1) % 7)) & 1;
  return !day_star && !weekday_star ? (dom || dow) : (dom && dow);
}

Result<CronSpec> ParseCron(std::string_view expr) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos < expr.size()) {
    if (expr[pos] == ' ' || expr[pos] == '\t') {
      ++pos;
      continue;
    }
    size_t end = pos;
    while (end < expr.size() && expr[end] != ' ' && expr[end] != '\t') ++end;
    if (parts.size() == 7) break;  // enough to report "too many"
    parts.push_back(expr.substr(pos, end - pos));
    pos = end;
  }
  if (parts.size() != 5 && parts.size() != 6) {
    return Status::Invalid(
        "cron expression must have 5 fields (minute hour day-of-month month day-of-week) or 6 "
        "(second first), got " +
        (parts.size() > 6 ? std::string("more than 6") : std::to_string(parts.size())));
  }
  CronSpec spec;
  spec.has_seconds = parts.size() == 6;
  const int first_field = spec.has_seconds ? kSecond : kMinute;
  std::array<uint64_t, 6> masks = {uint64_t{1}, 0, 0, 0, 0, 0};  // 5 fields: second 0
  for (size_t i = 0; i < parts.size(); ++i) {
    const int field = first_field + static_cast<int>(i);
    FieldParser parser(kFields[field], static_cast<int>(i) + 1);
    Result<uint64_t> mask = parser.Field(parts[i]);
    if (!mask.ok()) return mask.status();
    masks[field] = *mask;
    if (i > 0) spec.expr.push_back(' ');
    spec.expr.append(parts[i]);
  }
  spec.seconds = masks[kSecond];
  spec.minutes = masks[kMinute];
  spec.hours = masks[kHour];
  spec.days = masks[kDayOfMonth];
  spec.months = masks[kMonth];
  spec.weekdays = masks[kDayOfWeek];
  if (spec.weekdays & (uint64_t{1} << 7)) spec.weekdays = (spec.weekdays & 0x7f) | 1;  // 7 = SUN
  spec.day_star = parts[kDayOfMonth - first_field].front() == '*';
  spec.weekday_star = parts[kDayOfWeek - first_field].front() == '*';

  // Under the AND rule a day must match the day-of-month field: some allowed month must have
  // one of the allowed days (February counted with 29; see NextCronFire for leap years).
  if (spec.day_star || spec.weekday_star) {
    static constexpr int kMaxDays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      const uint64_t days_in_month = (uint64_t{1} << (kMaxDays[m] + 1)) - 2;  // bits 1..n
      possible = ((spec.months >> m) & 1) && (spec.days & days_in_month) != 0;
    }
    if (!possible) {
      return Status::Invalid(
          "cron expression never fires: none of its months has any of its "
          "days of month");
    }
  }
  return spec;
}

std::optional<int64_t> NextCronFire(const CronSpec& spec, const TimeZone& zone, int64_t after_ms) {
  CivilTime start = zone.ToCivil(after_ms);
  const int max_year = start.year + kCronHorizonYears;
  start.millis = 0;
  ++start.second;  // local times <= the reading of after_ms map to instants <= after_ms
  // Bounded: each round either returns or restarts strictly later; only a fall-back overlap
  // takes a second round.
  for (int round = 0; round < 8; ++round) {
    std::optional<CivilTime> match = NextMatch(spec, start, max_year);
    if (!match) return std::nullopt;
    const int64_t at = zone.ToUtcMs(*match);
    if (at > after_ms) return at;
    // `match` is in the first occurrence of a repeated stretch and after_ms in the second.
    CivilTime next = *match;
    ++next.second;
    if (zone.OffsetSeconds(at) != zone.OffsetSeconds(after_ms)) {
      const CivilTime end = EndOfFirstOccurrence(zone, at, after_ms);
      if (TimeZone::Utc().ToUtcMs(end) > TimeZone::Utc().ToUtcMs(next)) next = end;
    }
    start = next;
  }
  return std::nullopt;  // not reached for real zones
}

}  // namespace tock
