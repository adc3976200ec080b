// libFuzzer target: the wall-clock texts tock accepts (timeutil/time_parse.h), read in UTC and
// in America/New_York; what parses is formatted back and must parse to the same instant.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "timeutil/time_parse.h"
#include "timeutil/time_zone.h"

namespace {

const tock::TimeZone& NewYork() {
  static const tock::TimeZone zone = [] {
    auto z = tock::TimeZone::Load("America/New_York");
    return z.ok() ? *z : tock::TimeZone::Utc();
  }();
  return zone;
}

void Check(std::string_view text, const tock::TimeZone& tz) {
  auto ms = tock::ParseRuntime(text, tz);
  if (!ms.ok()) return;
  std::string rfc = tock::FormatRfc3339Utc(*ms);
  auto back = tock::ParseRuntime(rfc, tz);
  if (!back.ok() || *back != *ms) std::abort();  // round trip through RFC 3339 must hold
  (void)tock::FormatDateTime(*ms, tz);
  (void)tz.ToCivil(*ms);
  (void)tz.OffsetSeconds(*ms);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(text, tock::TimeZone::Utc());
  Check(text, NewYork());
  if (auto c = tock::ParseStrictDateTime(text); c.ok()) {
    (void)tock::TimeZone::Utc().ToUtcMs(*c);
    (void)NewYork().ToUtcMs(*c);
  }
  (void)tock::ParseStrictTimeOfDay(text);
  return 0;
}
