// Validation of the EngageLab schedules request bodies (api/schedule_requests.h).
#include "api/schedule_requests.h"

#include <cctype>
#include <cstdint>
#include <string>

namespace tock::api {
namespace {

constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxPushBytes = 64 * 1024;  // as a task's content: each fire delivers it
constexpr size_t kMaxCidBytes = 128;

// Decodes one UTF-8 code point at s[*i] and advances *i. The input is valid UTF-8
// (simdjson checked it).
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[*i + k]); };
  uint32_t c = b(0);
  size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (*i + n > s.size()) n = 1;
  if (n == 2) c = ((c & 0x1F) << 6) | (b(1) & 0x3F);
  if (n == 3) c = ((c & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  if (n == 4) c = ((c & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  *i += n;
  return c;
}

// A non-ASCII code point counts as a letter unless it lies in a block of punctuation,
// symbols, spaces, emoji or private use. An approximation without Unicode tables: letters
// and combining marks of every script pass, the common non-letters are refused.
bool IsNonAsciiNameChar(uint32_t c) {
  struct Range {
    uint32_t lo, hi;
  };
  static constexpr Range kRefused[] = {
      {0x80, 0xA9},       {0xAB, 0xB4},       {0xB6, 0xB9},       {0xBB, 0xBF},
      {0xD7, 0xD7},       {0xF7, 0xF7},       {0x37E, 0x37E},     {0x387, 0x387},
      {0x55A, 0x55F},     {0x589, 0x58A},     {0x5BE, 0x5BE},     {0x5C0, 0x5C0},
      {0x5C3, 0x5C3},     {0x5F3, 0x5F4},     {0x60C, 0x60D},     {0x61B, 0x61B},
      {0x61F, 0x61F},     {0x66A, 0x66D},     {0x6D4, 0x6D4},     {0x964, 0x965},
      {0xE4F, 0xE4F},     {0xE5A, 0xE5B},     {0x1680, 0x1680},   {0x2000, 0x2BFF},
      {0x3000, 0x3004},   {0x3008, 0x3020},   {0x3030, 0x3030},   {0x303D, 0x303F},
      {0xD800, 0xF8FF},   {0xFE00, 0xFE6F},   {0xFEFF, 0xFEFF},   {0xFF00, 0xFF0F},
      {0xFF1A, 0xFF20},   {0xFF3B, 0xFF40},   {0xFF5B, 0xFF65},   {0xFFF0, 0xFFFF},
      {0x1F000, 0x1FAFF}, {0xE0000, 0xE007F}, {0xF0000, 0x10FFFF},
  };
  for (const Range& r : kRefused) {
    if (c >= r.lo && c <= r.hi) return false;
  }
  return true;
}

}  // namespace

Result<std::string> ReadScheduleName(const FieldReader& f) {
  auto v = f.Get("name");
  if (!v) return Status::Invalid("name: is required");
  std::string_view s;
  if (v->get_string().get(s)) return Status::Invalid("name: must be a string");
  if (s.empty() || s.size() > kMaxNameBytes) {
    return Status::Invalid("name: must be 1 to 255 bytes (got " + std::to_string(s.size()) +
                           ")");
  }
  for (size_t i = 0; i < s.size();) {
    size_t at = i;
    uint32_t c = NextCodePoint(s, &i);
    bool ok = c < 0x80 ? (std::isalnum(static_cast<int>(c)) || c == '_' || c == ' ' || c == '-')
                       : IsNonAsciiNameChar(c);
    if (!ok) {
      return Status::Invalid("name: may hold only letters (any script), digits, '_', ' ' and "
                             "'-' (got \"" + std::string(s.substr(at, i - at)) +
                             "\" at byte " + std::to_string(at) + ")");
    }
  }
  return std::string(s);
}

Result<bool> ReadScheduleEnabled(const FieldReader& f) {
  auto v = f.Get("enabled");
  if (!v) return Status::Invalid("enabled: is required");
  bool b;
  if (v->get_bool().get(b)) return Status::Invalid("enabled: must be true or false");
  return b;
}

Result<TriggerZones> AppTriggerZones(const App& app, const TimeZone& server_zone) {
  if (app.time_zone.empty()) return TriggerZones{server_zone, server_zone};
  // Loaded per request: a lookup in the zone database, which is read once per process.
  Result<TimeZone> zone = TimeZone::Load(app.time_zone);
  if (!zone.ok()) {
    return Status::Internal("application " + app.app_key + ": its timeZone '" + app.time_zone +
                            "' no longer loads: " + zone.status().message());
  }
  return TriggerZones{server_zone, *zone};
}

Result<TriggerInput> ReadScheduleTrigger(const FieldReader& f, const TriggerZones& zones) {
  auto v = f.Get("trigger");
  if (!v) return Status::Invalid("trigger: is required");
  TriggerInput in;
  in.sent = MinifyJson(*v);
  Result<Trigger> t = ParseTrigger(in.sent, zones);
  if (!t.ok()) return t.status();
  in.trigger = std::move(t).value();
  return in;
}

Result<std::string> ReadSchedulePush(const FieldReader& f) {
  auto v = f.Get("push");
  if (!v) return Status::Invalid("push: is required (the JSON object each fire delivers)");
  simdjson::dom::object obj;
  if (v->get_object().get(obj)) return Status::Invalid("push: must be a JSON object");
  if (obj.size() == 0) return Status::Invalid("push: must not be empty");
  std::string text = MinifyJson(*v);
  if (text.size() > kMaxPushBytes) {
    return Status::Invalid("push: must be at most " + std::to_string(kMaxPushBytes) +
                           " bytes of minified JSON (got " + std::to_string(text.size()) + ")");
  }
  return text;
}

Result<std::string> ReadScheduleCid(const FieldReader& f) {
  auto v = f.Get("cid");
  if (!v) return std::string();
  std::string_view s;
  if (v->get_string().get(s)) return Status::Invalid("cid: must be a string");
  if (s.empty() || s.size() > kMaxCidBytes) {
    return Status::Invalid("cid: must be 1 to " + std::to_string(kMaxCidBytes) +
                           " characters (got " + std::to_string(s.size()) + " bytes)");
  }
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
                    c == ':' || c == '-';
    if (!ok) return Status::Invalid("cid: may contain only A-Z a-z 0-9 _ . : -");
  }
  return std::string(s);
}

bool LooksLikeScheduleId(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace tock::api
