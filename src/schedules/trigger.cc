// DESIGN: a trigger keeps the user's LOCAL times (civil) plus its zone, and converts to UTC
// only when asked for a fire time, so every fire is computed on the wall clock of its zone.
// UTC instants of the fixed times (single time, start, end) are derived once at parse time.
//
// Next fire strictly after `after`, per kind:
//   - single: its instant if that is after `after`, else none.
//   - periodical: the lower bound is max(after + 1 ms, start). From the local date of that
//     bound (minus one day, for the rare gap that crosses midnight) the next matching day is
//     found arithmetically, never by walking over non-matching units: day unit, the next
//     multiple of `frequency` days after start's date; week unit, the next week whose index
//     from the Monday of start's week is a multiple of `frequency`, then the next point in
//     it; month unit, the same with month indexes from start's month, skipping point days the
//     month lacks. That day at `time` is converted to UTC; if it is below the bound, the next
//     day is tried (at most twice in practice); if it is after end (inclusive), none.
//   - cron: NextCronFire (cron.cc walks local time field by field) from max(after, start - 1),
//     none if past end.
// DST rules, all from TimeZone::ToUtcMs: a local time that does not exist (spring forward)
// fires at the first valid instant after the gap; one that occurs twice (fall back) fires
// once, at the earlier instant. Local -> UTC is monotonic, so "first matching local time whose
// instant is > after" is the next fire; cron.cc handles the two places where several local
// times map to one instant or a later local time maps to an earlier instant.
// Cost: a periodical or single call is O(1) with one or two zone lookups; cron, see cron.h.
#include "schedules/trigger.h"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <utility>
#include <vector>

#include "common/json_writer.h"
#include "timeutil/time_parse.h"

namespace tock {
namespace {

constexpr size_t kMaxTriggerJson = 64 * 1024;
constexpr size_t kMaxExprBytes = 256;
constexpr int64_t kMinMs = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxMs = std::numeric_limits<int64_t>::max();

constexpr const char* kWeekdayNames[7] = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};
constexpr const char* kDateTimeRule = "must be a date-time string \"yyyy-mm-dd hh:mm:ss\"";

// Untrusted text echoed into a message: at most 32 printable ASCII bytes.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 32)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (s.size() > 32) out += "...";
  return out + "'";
}

// Naive (zone-free) milliseconds of a civil time: for ordering and arithmetic on local times.
int64_t NaiveMs(const CivilTime& c) { return TimeZone::Utc().ToUtcMs(c); }

int64_t DayNumber(const CivilTime& c) { return DaysFromCivil(c.year, c.month, c.day); }

std::string FormatCivilDateTime(const CivilTime& c) {
  return FormatDateTime(NaiveMs(c), TimeZone::Utc());
}

std::string FormatTimeOfDay(const CivilTime& c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", c.hour, c.minute, c.second);
  return buf;
}

// The same local date-time one calendar year later; Feb 29 becomes Feb 28.
CivilTime AddOneYear(CivilTime c) {
  ++c.year;
  if (c.month == 2 && c.day == 29 && !IsLeapYear(c.year)) c.day = 28;
  return c;
}

// Smallest set bit >= from, or -1.
int NextBit(uint32_t mask, int from) {
  if (from >= 32) return -1;
  const uint32_t rest = mask & (~uint32_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

// Field access on one JSON object whose fields are reported as `path.key`.
class ObjectReader {
 public:
  ObjectReader(simdjson::dom::object obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  std::string Path(std::string_view key) const { return path_ + "." + std::string(key); }
  Status Error(std::string_view key, const std::string& rule) const {
    return Status::Invalid(Path(key) + ": " + rule);
  }

  // Every key must be one of `allowed`.
  Status CheckKeys(std::initializer_list<std::string_view> allowed) const {
    for (auto field : obj_) {
      if (std::find(allowed.begin(), allowed.end(), field.key) != allowed.end()) continue;
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return Status::Invalid(path_ + ": unknown field " + Quote(field.key) + " (expected " + list +
                             ")");
    }
    return Status::Ok();
  }

  // Present and not null.
  std::optional<simdjson::dom::element> Get(std::string_view key) const {
    simdjson::dom::element v;
    if (obj_.at_key(key).get(v) || v.is_null()) return std::nullopt;
    return v;
  }

  // Required string: "is required" when absent or null, `rule` when not a string.
  Result<std::string_view> RequiredString(std::string_view key, const std::string& rule) const {
    std::optional<simdjson::dom::element> v = Get(key);
    if (!v) return Error(key, "is required (" + rule + ")");
    std::string_view s;
    if (v->get_string().get(s)) return Error(key, rule);
    return s;
  }

  // Optional string: nullopt when absent or null.
  Result<std::optional<std::string_view>> OptionalString(std::string_view key,
                                                         const std::string& rule) const {
    std::optional<simdjson::dom::element> v = Get(key);
    if (!v) return std::optional<std::string_view>();
    std::string_view s;
    if (v->get_string().get(s)) return Error(key, rule);
    return std::optional<std::string_view>(s);
  }

  // Optional integer in [lo, hi]; `rule` on a wrong type or value.
  Result<std::optional<int64_t>> OptionalInt(std::string_view key, int64_t lo, int64_t hi,
                                             const std::string& rule) const {
    std::optional<simdjson::dom::element> v = Get(key);
    if (!v) return std::optional<int64_t>();
    int64_t n;
    if (v->get_int64().get(n) || n < lo || n > hi) return Error(key, rule);
    return std::optional<int64_t>(n);
  }

  Result<CivilTime> DateTime(std::string_view key) const {
    Result<std::string_view> text = RequiredString(key, kDateTimeRule);
    if (!text.ok()) return text.status();
    return ParseDateTimeText(key, *text);
  }

  Result<std::optional<CivilTime>> OptionalDateTime(std::string_view key) const {
    Result<std::optional<std::string_view>> text = OptionalString(key, kDateTimeRule);
    if (!text.ok()) return text.status();
    if (!*text) return std::optional<CivilTime>();
    Result<CivilTime> c = ParseDateTimeText(key, **text);
    if (!c.ok()) return c.status();
    return std::optional<CivilTime>(*c);
  }

 private:
  Result<CivilTime> ParseDateTimeText(std::string_view key, std::string_view text) const {
    Result<CivilTime> c = ParseStrictDateTime(text);
    if (!c.ok()) return Error(key, c.status().message() + " (got " + Quote(text) + ")");
    return c;
  }

  simdjson::dom::object obj_;
  std::string path_;
};

// zone_type and time_zone of a single or periodical trigger (the rules: trigger.h).
Status ReadZone(const ObjectReader& r, const TriggerZones& zones, Trigger* t) {
  constexpr const char* kZoneTypeRule =
      "must be an integer: 2 (the trigger's time_zone, else the application's time zone) or "
      "1 (the server's time zone); absent or any other integer also means the server's";
  std::optional<simdjson::dom::element> zone_type = r.Get("zone_type");
  int64_t given = 1;
  if (zone_type) {
    uint64_t big;
    // A JSON integer of any size; 2.0, "2" and true are not integers.
    if (zone_type->get_int64().get(given) && zone_type->get_uint64().get(big)) {
      return r.Error("zone_type", kZoneTypeRule);
    }
  }
  t->zone_type = given == 2 ? 2 : 1;
  constexpr const char* kZoneRule = "must be an IANA time zone name such as \"America/New_York\"";
  Result<std::optional<std::string_view>> name = r.OptionalString("time_zone", kZoneRule);
  if (!name.ok()) return name.status();
  if (t->zone_type == 1) {
    if (*name) {
      return r.Error("time_zone",
                     "is only allowed with zone_type 2 (without zone_type 2 the server's time "
                     "zone is used)");
    }
    t->zone = zones.server;
    return Status::Ok();
  }
  if (!*name) {
    t->zone = zones.terminal;
    return Status::Ok();
  }
  Result<TimeZone> zone = TimeZone::Load(**name);
  if (!zone.ok()) return r.Error("time_zone", zone.status().message());
  t->zone = *zone;
  return Status::Ok();
}

Status ParseSingle(const ObjectReader& r, const TriggerZones& zones, Trigger* t) {
  TOCK_RETURN_IF_ERROR(r.CheckKeys({"time", "zone_type", "time_zone"}));
  TOCK_RETURN_IF_ERROR(ReadZone(r, zones, t));
  Result<CivilTime> time = r.DateTime("time");
  if (!time.ok()) return time.status();
  t->time = *time;
  t->time_ms = t->zone.ToUtcMs(t->time);
  return Status::Ok();
}

// One week point ("MON".."SUN", any case) as its bit, or -1.
int WeekdayBit(std::string_view s) {
  if (s.size() != 3) return -1;
  for (int i = 0; i < 7; ++i) {
    bool same = true;
    for (int k = 0; k < 3; ++k) {
      same = same && std::toupper(static_cast<unsigned char>(s[k])) == kWeekdayNames[i][k];
    }
    if (same) return i;
  }
  return -1;
}

// One month point ("01".."31") as its bit, or -1.
int MonthDayBit(std::string_view s) {
  if (s.size() != 2 || !std::isdigit(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1]))) {
    return -1;
  }
  const int d = (s[0] - '0') * 10 + (s[1] - '0');
  return d >= 1 && d <= 31 ? d : -1;
}

Status ParsePoints(const ObjectReader& r, Trigger* t) {
  std::optional<simdjson::dom::element> point = r.Get("point");
  const std::string path = r.Path("point");
  if (t->unit == TimeUnit::kDay) {
    std::string_view s;
    simdjson::dom::array a;
    const bool empty = !point || (!point->get_string().get(s) && s.empty()) ||
                       (!point->get_array().get(a) && a.size() == 0);
    if (!empty) return Status::Invalid(path + ": must be absent when time_unit is day");
    t->points = 0;
    return Status::Ok();
  }
  const bool week = t->unit == TimeUnit::kWeek;
  const std::string rule = week ? "must be one of MON, TUE, WED, THU, FRI, SAT, SUN"
                                : "must be a two-digit day of month \"01\" to \"31\"";
  const std::string required = ": is required when time_unit is " +
                               std::string(week ? "week" : "month") +
                               ": a string or an array of strings, each " + rule;
  auto add = [&](simdjson::dom::element e, const std::string& where) -> Status {
    std::string_view s;
    if (e.get_string().get(s)) return Status::Invalid(where + ": " + rule);
    const int bit = week ? WeekdayBit(s) : MonthDayBit(s);
    if (bit < 0) return Status::Invalid(where + ": " + rule + " (got " + Quote(s) + ")");
    t->points |= uint32_t{1} << bit;
    return Status::Ok();
  };
  t->points = 0;
  if (!point) return Status::Invalid(path + required);
  simdjson::dom::array items;
  if (!point->get_array().get(items)) {
    size_t i = 0;
    for (simdjson::dom::element e : items) {
      TOCK_RETURN_IF_ERROR(add(e, path + "[" + std::to_string(i++) + "]"));
    }
    if (i == 0) return Status::Invalid(path + required);
    return Status::Ok();
  }
  std::string_view s;
  if (!point->get_string().get(s) && s.empty()) return Status::Invalid(path + required);
  return add(*point, path);
}

Status ParsePeriodical(const ObjectReader& r, const TriggerZones& zones, Trigger* t) {
  TOCK_RETURN_IF_ERROR(r.CheckKeys(
      {"start", "end", "time", "time_unit", "frequency", "point", "zone_type", "time_zone"}));
  TOCK_RETURN_IF_ERROR(ReadZone(r, zones, t));
  Result<CivilTime> start = r.DateTime("start");
  if (!start.ok()) return start.status();
  Result<CivilTime> end = r.DateTime("end");
  if (!end.ok()) return end.status();
  if (NaiveMs(*end) <= NaiveMs(*start)) return r.Error("end", "must be after start");
  t->start = *start;
  t->end = *end;

  constexpr const char* kTimeRule = "must be a time of day string \"hh:mm:ss\"";
  Result<std::string_view> time_text = r.RequiredString("time", kTimeRule);
  if (!time_text.ok()) return time_text.status();
  Result<CivilTime> time = ParseStrictTimeOfDay(*time_text);
  if (!time.ok()) {
    return r.Error("time", time.status().message() + " (got " + Quote(*time_text) + ")");
  }
  t->time_of_day = *time;

  constexpr const char* kUnitRule = "must be \"day\", \"week\" or \"month\"";
  Result<std::string_view> unit = r.RequiredString("time_unit", kUnitRule);
  if (!unit.ok()) return unit.status();
  std::string lower;
  for (char c : unit->substr(0, 8)) {
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (unit->size() > 8) lower.clear();
  if (lower == "day") {
    t->unit = TimeUnit::kDay;
  } else if (lower == "week") {
    t->unit = TimeUnit::kWeek;
  } else if (lower == "month") {
    t->unit = TimeUnit::kMonth;
  } else {
    return r.Error("time_unit", std::string(kUnitRule) + " (got " + Quote(*unit) + ")");
  }

  constexpr const char* kFrequencyRule = "must be an integer from 1 to 100";
  Result<std::optional<int64_t>> frequency = r.OptionalInt("frequency", 1, 100, kFrequencyRule);
  if (!frequency.ok()) return frequency.status();
  if (!*frequency) return r.Error("frequency", "is required (" + std::string(kFrequencyRule) + ")");
  t->frequency = static_cast<int>(**frequency);

  TOCK_RETURN_IF_ERROR(ParsePoints(r, t));
  t->start_ms = t->zone.ToUtcMs(*t->start);
  t->end_ms = t->zone.ToUtcMs(*t->end);
  return Status::Ok();
}

Status ParseCronTrigger(const ObjectReader& r, Trigger* t) {
  TOCK_RETURN_IF_ERROR(r.CheckKeys({"expr", "time_zone", "start", "end", "zone_type"}));
  Result<std::optional<int64_t>> zone_type = r.OptionalInt(
      "zone_type", 2, 2, "must be 2 when given (a cron trigger always uses its time_zone)");
  if (!zone_type.ok()) return zone_type.status();
  t->zone_type = 2;
  constexpr const char* kZoneRule = "must be an IANA time zone name such as \"America/New_York\"";
  Result<std::string_view> name = r.RequiredString("time_zone", kZoneRule);
  if (!name.ok()) return name.status();
  Result<TimeZone> zone = TimeZone::Load(*name);
  if (!zone.ok()) return r.Error("time_zone", zone.status().message());
  t->zone = *zone;

  constexpr const char* kExprRule =
      "must be a cron expression string: 5 fields (minute hour day-of-month month "
      "day-of-week) or 6 (second first)";
  Result<std::string_view> expr = r.RequiredString("expr", kExprRule);
  if (!expr.ok()) return expr.status();
  if (expr->size() > kMaxExprBytes) {
    return r.Error("expr", "must be at most " + std::to_string(kMaxExprBytes) + " bytes");
  }
  Result<CronSpec> spec = ParseCron(*expr);
  if (!spec.ok()) return r.Error("expr", spec.status().message());
  t->cron = std::move(*spec);

  Result<std::optional<CivilTime>> start = r.OptionalDateTime("start");
  if (!start.ok()) return start.status();
  Result<std::optional<CivilTime>> end = r.OptionalDateTime("end");
  if (!end.ok()) return end.status();
  if (*start && *end && NaiveMs(**end) <= NaiveMs(**start)) {
    return r.Error("end", "must be after start");
  }
  t->start = *start;
  t->end = *end;
  t->start_ms = t->start ? t->zone.ToUtcMs(*t->start) : kMinMs;
  t->end_ms = t->end ? t->zone.ToUtcMs(*t->end) : kMaxMs;
  return Status::Ok();
}

// The smallest day number >= d on which a periodical trigger fires (ignoring the time of day
// and the start/end instants), or nullopt if that is after `limit`. O(1) per matching unit
// tried: at most two weeks, or the months up to `limit` when the points are days a month lacks.
std::optional<int64_t> NextPeriodicalDay(const Trigger& t, int64_t d, int64_t limit) {
  const CivilTime& s = *t.start;
  const int64_t anchor = DayNumber(s);
  const int64_t f = t.frequency;
  switch (t.unit) {
    case TimeUnit::kDay: {
      d = std::max(d, anchor);
      const int64_t r = FloorMod(d - anchor, f);
      if (r != 0) d += f - r;
      return d <= limit ? std::optional<int64_t>(d) : std::nullopt;
    }
    case TimeUnit::kWeek: {
      const int64_t monday0 = anchor - DayOfWeek(s.year, s.month, s.day);
      d = std::max(d, monday0);
      while (d <= limit) {
        const int64_t week = (d - monday0) / 7;
        if (const int64_t r = week % f; r != 0) {
          d = monday0 + (week + f - r) * 7;
          continue;
        }
        const int weekday = static_cast<int>((d - monday0) % 7);
        const int bit = NextBit(t.points & 0x7f, weekday);
        if (bit >= 0) {
          d += bit - weekday;
          return d <= limit ? std::optional<int64_t>(d) : std::nullopt;
        }
        d = monday0 + (week + 1) * 7;
      }
      return std::nullopt;
    }
    case TimeUnit::kMonth: {
      const int64_t month0 = int64_t{s.year} * 12 + (s.month - 1);
      const CivilTime c = CivilFromDays(d);
      int64_t index = int64_t{c.year} * 12 + (c.month - 1) - month0;
      int day = c.day;
      if (index < 0) index = 0, day = 1;
      while (true) {
        if (const int64_t r = index % f; r != 0) index += f - r, day = 1;
        const int y = static_cast<int>((month0 + index) / 12);
        const int m = static_cast<int>((month0 + index) % 12) + 1;
        if (DaysFromCivil(y, m, 1) > limit) return std::nullopt;
        const uint32_t in_month = (uint32_t{2} << DaysInMonth(y, m)) - 2;  // bits 1..n
        const int bit = NextBit(t.points & in_month, day);
        if (bit >= 0) {
          const int64_t found = DaysFromCivil(y, m, bit);
          return found <= limit ? std::optional<int64_t>(found) : std::nullopt;
        }
        index += f;
        day = 1;
      }
    }
  }
  return std::nullopt;
}

std::optional<int64_t> NextPeriodicalFire(const Trigger& t, int64_t after_ms) {
  if (after_ms >= t.end_ms) return std::nullopt;
  const int64_t lower = std::max(after_ms + 1, t.start_ms);
  // From the day before the bound's local date: a gap that swallows midnight can map the
  // previous day's time onto the bound itself.
  int64_t d = DayNumber(t.zone.ToCivil(lower)) - 1;
  const int64_t limit = DayNumber(*t.end) + 1;
  while (true) {
    const std::optional<int64_t> day = NextPeriodicalDay(t, d, limit);
    if (!day) return std::nullopt;
    CivilTime local = CivilFromDays(*day);
    local.hour = t.time_of_day.hour;
    local.minute = t.time_of_day.minute;
    local.second = t.time_of_day.second;
    const int64_t fire = t.zone.ToUtcMs(local);
    if (fire > t.end_ms) return std::nullopt;
    if (fire >= lower) return fire;
    d = *day + 1;
  }
}

}  // namespace

bool Trigger::operator==(const Trigger& o) const {
  if (kind != o.kind || zone_type != o.zone_type || zone.name() != o.zone.name()) return false;
  switch (kind) {
    case TriggerKind::kSingle:
      return time == o.time;
    case TriggerKind::kPeriodical:
      return start == o.start && end == o.end && time_of_day == o.time_of_day && unit == o.unit &&
             frequency == o.frequency && points == o.points;
    case TriggerKind::kCron:
      return cron == o.cron && start == o.start && end == o.end;
  }
  return false;
}

Result<Trigger> ParseTrigger(std::string_view trigger_json, const TriggerZones& zones) {
  if (trigger_json.size() > kMaxTriggerJson) {
    return Status::Invalid("trigger: must be at most " + std::to_string(kMaxTriggerJson) +
                           " bytes of JSON");
  }
  thread_local simdjson::dom::parser parser;
  const simdjson::padded_string padded(trigger_json);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return Status::Invalid(std::string("trigger: is not valid JSON (") +
                           simdjson::error_message(err) + ")");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    return Status::Invalid("trigger: must be an object with one of single, periodical or cron");
  }
  const ObjectReader top(obj, "trigger");
  // Every other key names a kind of trigger (the originals have more, e.g. "intelligent").
  for (auto field : obj) {
    if (field.key == "single" || field.key == "periodical" || field.key == "cron") continue;
    const std::string quoted = Quote(field.key);  // the client's text, made printable
    return Status::Invalid("trigger." + quoted.substr(1, quoted.size() - 2) +
                           ": the trigger kind " + quoted +
                           " is not offered by tock (it offers single, periodical and cron)");
  }

  std::vector<std::pair<TriggerKind, std::string_view>> present;
  for (auto [kind, key] : {std::pair{TriggerKind::kSingle, std::string_view("single")},
                           std::pair{TriggerKind::kPeriodical, std::string_view("periodical")},
                           std::pair{TriggerKind::kCron, std::string_view("cron")}}) {
    if (top.Get(key)) present.emplace_back(kind, key);
  }
  if (present.empty()) {
    return Status::Invalid("trigger: exactly one of single, periodical or cron is required");
  }
  if (present.size() > 1) {
    std::string names;
    for (const auto& p : present) names += (names.empty() ? "" : " and ") + std::string(p.second);
    return Status::Invalid("trigger: exactly one of single, periodical or cron is allowed (got " +
                           names + ")");
  }
  const auto [kind, key] = present.front();
  simdjson::dom::object body;
  if (top.Get(key)->get_object().get(body)) return top.Error(key, "must be an object");
  const ObjectReader r(body, top.Path(key));

  Trigger t;
  t.kind = kind;
  switch (kind) {
    case TriggerKind::kSingle:
      TOCK_RETURN_IF_ERROR(ParseSingle(r, zones, &t));
      break;
    case TriggerKind::kPeriodical:
      TOCK_RETURN_IF_ERROR(ParsePeriodical(r, zones, &t));
      break;
    case TriggerKind::kCron:
      TOCK_RETURN_IF_ERROR(ParseCronTrigger(r, &t));
      break;
  }
  return t;
}

Status ValidateForCreate(const Trigger& t, int64_t now_ms) {
  switch (t.kind) {
    case TriggerKind::kSingle: {
      if (t.time_ms <= now_ms) return Status::Invalid("trigger.single.time: must be in the future");
      const int64_t limit = t.zone.ToUtcMs(AddOneYear(t.zone.ToCivil(now_ms)));
      if (t.time_ms > limit) {
        return Status::Invalid("trigger.single.time: must be at most one year ahead (latest " +
                               FormatDateTime(limit, t.zone) + " in " + t.zone.name() + ")");
      }
      return Status::Ok();
    }
    case TriggerKind::kPeriodical: {
      if (NaiveMs(*t.end) > NaiveMs(AddOneYear(*t.start))) {
        return Status::Invalid(
            "trigger.periodical.end: must be at most one year after start (latest " +
            FormatCivilDateTime(AddOneYear(*t.start)) + ")");
      }
      if (!NextFireAfter(t, t.start_ms - 1)) {
        return Status::Invalid(
            "trigger.periodical: would never fire: no matching day between start and end "
            "(check time, point and frequency)");
      }
      if (!NextFireAfter(t, now_ms)) {
        return Status::Invalid(
            "trigger.periodical: would never fire: its last fire time before end has passed");
      }
      return Status::Ok();
    }
    case TriggerKind::kCron: {
      if (NextFireAfter(t, now_ms)) return Status::Ok();
      if (t.end) {
        return Status::Invalid(
            "trigger.cron: would never fire: no matching time between now (or start) and end");
      }
      return Status::Invalid("trigger.cron: would never fire: no matching time within " +
                             std::to_string(kCronHorizonYears) + " years");
    }
  }
  return Status::Internal("trigger: unknown kind");
}

std::optional<int64_t> NextFireAfter(const Trigger& t, int64_t after_ms) {
  switch (t.kind) {
    case TriggerKind::kSingle:
      return t.time_ms > after_ms ? std::optional<int64_t>(t.time_ms) : std::nullopt;
    case TriggerKind::kPeriodical:
      return NextPeriodicalFire(t, after_ms);
    case TriggerKind::kCron: {
      if (after_ms >= t.end_ms) return std::nullopt;
      const int64_t from = t.start ? std::max(after_ms, t.start_ms - 1) : after_ms;
      const std::optional<int64_t> next = NextCronFire(t.cron, t.zone, from);
      if (!next || *next > t.end_ms) return std::nullopt;
      return next;
    }
  }
  return std::nullopt;
}

namespace {
// The zone members shared by single and periodical triggers.
void WriteZone(JsonWriter& w, const Trigger& t) {
  w.Key("zone_type");
  w.Int(t.zone_type);
  if (t.zone_type == 2) {
    w.Key("time_zone");
    w.String(t.zone.name());
  }
}
}  // namespace

std::string TriggerToJson(const Trigger& t) {
  JsonWriter w;
  w.BeginObject();
  switch (t.kind) {
    case TriggerKind::kSingle:
      w.Key("single");
      w.BeginObject();
      w.Key("time");
      w.String(FormatCivilDateTime(t.time));
      WriteZone(w, t);
      w.EndObject();
      break;
    case TriggerKind::kPeriodical: {
      w.Key("periodical");
      w.BeginObject();
      w.Key("start");
      w.String(FormatCivilDateTime(*t.start));
      w.Key("end");
      w.String(FormatCivilDateTime(*t.end));
      w.Key("time");
      w.String(FormatTimeOfDay(t.time_of_day));
      w.Key("time_unit");
      w.String(t.unit == TimeUnit::kDay ? "day" : t.unit == TimeUnit::kWeek ? "week" : "month");
      w.Key("frequency");
      w.Int(t.frequency);
      if (t.unit != TimeUnit::kDay) {
        w.Key("point");
        w.BeginArray();
        for (int bit = 0; bit < 32; ++bit) {
          if (((t.points >> bit) & 1) == 0) continue;
          if (t.unit == TimeUnit::kWeek) {
            w.String(kWeekdayNames[bit]);
          } else {
            const char two[3] = {static_cast<char>('0' + bit / 10),
                                 static_cast<char>('0' + bit % 10), '\0'};
            w.String(two);
          }
        }
        w.EndArray();
      }
      WriteZone(w, t);
      w.EndObject();
      break;
    }
    case TriggerKind::kCron:
      w.Key("cron");
      w.BeginObject();
      w.Key("expr");
      w.String(t.cron.expr);
      w.Key("time_zone");
      w.String(t.zone.name());
      if (t.start) {
        w.Key("start");
        w.String(FormatCivilDateTime(*t.start));
      }
      if (t.end) {
        w.Key("end");
        w.String(FormatCivilDateTime(*t.end));
      }
      w.EndObject();
      break;
  }
  w.EndObject();
  return w.Take();
}

Status CheckTriggerUpdate(const Trigger& current, const Trigger& next) {
  if (current.kind != next.kind) {
    return Status::Invalid(
        "trigger: cannot change the kind of a schedule's trigger (single, periodical, cron); "
        "create a new schedule instead");
  }
  if (current.zone_type != next.zone_type) {
    const char* kind = next.kind == TriggerKind::kSingle ? "single" : "periodical";
    return Status::Invalid(std::string("trigger.") + kind +
                           ".zone_type: cannot change between the server's time zone (1, also "
                           "when absent) and a terminal time zone (2): this schedule has " +
                           std::to_string(current.zone_type) +
                           "; create a new schedule instead");
  }
  return Status::Ok();
}

}  // namespace tock
