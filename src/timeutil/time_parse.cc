// DESIGN: hand-written fixed-position parsers rather than sscanf/strptime/std::chrono::parse:
// those accept leading spaces, signs and short fields ("2021-7-5 1:2:3"), depend on the C
// locale, and report nothing useful on failure. Every accepted text is checked byte by byte
// against its pattern, then for being a real date; the cost is one pass over at most a few
// dozen bytes (fraction digits beyond milliseconds are only scanned).
#include "timeutil/time_parse.h"

#include <algorithm>

namespace tock {
namespace {

constexpr char kAcceptedForms[] =
    "must be \"YYYY-MM-DD HH:MM:SS\", RFC 3339 (\"YYYY-MM-DDTHH:MM:SSZ\", optionally with "
    "fractional seconds and/or a +HH:MM or -HH:MM offset instead of Z) or unix seconds (digits)";
constexpr char kNotRealDateTime[] =
    "must be a real date and time: month 01-12, a day that exists in that month, hour 00-23, "
    "minute and second 00-59";
constexpr int64_t kMaxUnixSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z
constexpr int64_t kMinMs = -62'167'219'200'000;       // 0000-01-01T00:00:00.000Z
constexpr int64_t kMaxMs = kMaxUnixSeconds * 1000 + 999;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The number written by exactly `n` ASCII digits at s[pos...], or -1.
int Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// "YYYY-MM-DD" at s[0..10): fills y/m/d, no range checks.
bool ParseDatePart(std::string_view s, CivilTime* c) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  c->year = Digits(s, 0, 4);
  c->month = Digits(s, 5, 2);
  c->day = Digits(s, 8, 2);
  return c->year >= 0 && c->month >= 0 && c->day >= 0;
}

// "HH:MM:SS" at s[pos..pos+8): fills h/m/s, no range checks.
bool ParseTimePart(std::string_view s, size_t pos, CivilTime* c) {
  if (s.size() < pos + 8 || s[pos + 2] != ':' || s[pos + 5] != ':') return false;
  c->hour = Digits(s, pos, 2);
  c->minute = Digits(s, pos + 3, 2);
  c->second = Digits(s, pos + 6, 2);
  return c->hour >= 0 && c->minute >= 0 && c->second >= 0;
}

Result<int64_t> ParseUnixSeconds(std::string_view text) {
  if (text.size() > 12) {
    return Status::Invalid("unix seconds must be at most " + std::to_string(kMaxUnixSeconds) +
                           " (9999-12-31T23:59:59Z)");
  }
  int64_t v = 0;
  for (char c : text) v = v * 10 + (c - '0');
  if (v > kMaxUnixSeconds) {
    return Status::Invalid("unix seconds must be at most " + std::to_string(kMaxUnixSeconds) +
                           " (9999-12-31T23:59:59Z)");
  }
  return v * 1000;
}

// RFC 3339 date-time; `text` already starts with "YYYY-MM-DD?HH:MM:SS".
Result<int64_t> ParseRfc3339(std::string_view text, CivilTime c) {
  const char sep = text[10];
  if (sep != 'T' && sep != 't' && sep != ' ') return Status::Invalid(kAcceptedForms);
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t first = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == first) return Status::Invalid("fractional seconds need at least one digit");
    // Truncate to milliseconds: ".5" = 500 ms, ".123456" = 123 ms.
    int ms = 0;
    for (size_t i = 0; i < 3; ++i) {
      ms = ms * 10 + (first + i < pos ? text[first + i] - '0' : 0);
    }
    c.millis = ms;
  }
  if (pos == text.size()) {
    return Status::Invalid(
        "a date-time with 'T' or fractional seconds must end in Z or a +HH:MM or -HH:MM offset "
        "(RFC 3339); a local time is written \"YYYY-MM-DD HH:MM:SS\"");
  }
  int64_t offset_min = 0;
  const char z = text[pos];
  if (z == 'Z' || z == 'z') {
    ++pos;
  } else if (z == '+' || z == '-') {
    const int oh = Digits(text, pos + 1, 2);
    const int om = Digits(text, pos + 4, 2);
    if (oh < 0 || om < 0 || text[pos + 3] != ':') return Status::Invalid(kAcceptedForms);
    if (oh > 23 || om > 59) {
      return Status::Invalid("the UTC offset must be +HH:MM or -HH:MM with HH 00-23, MM 00-59");
    }
    offset_min = (z == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return Status::Invalid(kAcceptedForms);
  }
  if (pos != text.size()) return Status::Invalid(kAcceptedForms);
  if (!IsValidCivil(c)) return Status::Invalid(kNotRealDateTime);
  return TimeZone::Utc().ToUtcMs(c) - offset_min * 60'000;
}

void AppendPadded(std::string* out, int v, int width) {
  char buf[12];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0 && n < 11);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

// "yyyy-mm-dd?hh:mm:ss"; REQUIRES: IsValidCivil(c).
std::string FormatCivil(const CivilTime& c, char sep) {
  std::string out;
  out.reserve(24);
  AppendPadded(&out, c.year, 4);
  out.push_back('-');
  AppendPadded(&out, c.month, 2);
  out.push_back('-');
  AppendPadded(&out, c.day, 2);
  out.push_back(sep);
  AppendPadded(&out, c.hour, 2);
  out.push_back(':');
  AppendPadded(&out, c.minute, 2);
  out.push_back(':');
  AppendPadded(&out, c.second, 2);
  return out;
}

}  // namespace

Result<int64_t> ParseRuntime(std::string_view text, const TimeZone& tz) {
  if (text.empty()) return Status::Invalid(kAcceptedForms);
  if (std::all_of(text.begin(), text.end(), IsDigit)) return ParseUnixSeconds(text);
  CivilTime c;
  if (text.size() < 19 || !ParseDatePart(text, &c) || !ParseTimePart(text, 11, &c)) {
    return Status::Invalid(kAcceptedForms);
  }
  if (text.size() > 19 || text[10] != ' ') return ParseRfc3339(text, c);
  if (!IsValidCivil(c)) return Status::Invalid(kNotRealDateTime);
  return tz.ToUtcMs(c);
}

Result<CivilTime> ParseStrictDateTime(std::string_view text) {
  CivilTime c;
  if (text.size() != 19 || !ParseDatePart(text, &c) || text[10] != ' ' ||
      !ParseTimePart(text, 11, &c)) {
    return Status::Invalid("must be \"yyyy-mm-dd hh:mm:ss\"");
  }
  if (!IsValidCivil(c)) return Status::Invalid(kNotRealDateTime);
  return c;
}

Result<CivilTime> ParseStrictTimeOfDay(std::string_view text) {
  CivilTime c;
  if (text.size() != 8 || !ParseTimePart(text, 0, &c)) {
    return Status::Invalid("must be \"hh:mm:ss\"");
  }
  if (c.hour > 23 || c.minute > 59 || c.second > 59) {
    return Status::Invalid("must be a real time of day: hour 00-23, minute and second 00-59");
  }
  return c;
}

std::string FormatDateTime(int64_t utc_ms, const TimeZone& tz) {
  CivilTime c = tz.ToCivil(std::clamp(utc_ms, kMinMs, kMaxMs));
  // A zone's offset can still push the ends of the range past the four-digit years.
  if (c.year > 9999) c = CivilTime{9999, 12, 31, 23, 59, 59};
  if (c.year < 0) c = CivilTime{0, 1, 1, 0, 0, 0};
  return FormatCivil(c, ' ');
}

std::string FormatRfc3339Utc(int64_t utc_ms) {
  const CivilTime c = TimeZone::Utc().ToCivil(std::clamp(utc_ms, kMinMs, kMaxMs));
  std::string out = FormatCivil(c, 'T');
  out.push_back('.');
  AppendPadded(&out, c.millis, 3);
  out.push_back('Z');
  return out;
}

}  // namespace tock
