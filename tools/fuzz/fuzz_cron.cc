// libFuzzer target: cron expressions (schedules/cron.h). The first 8 bytes (when present)
// pick the instant to search from; the rest is the expression.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "schedules/cron.h"
#include "timeutil/time_zone.h"

namespace {

constexpr int64_t kNowMs = 1795305600000;  // 2026-11-21T00:00:00Z
// Instants tock can meet: 1970 .. 9999-12-31 (ParseRuntime's upper bound).
constexpr int64_t kMaxMs = 253402300799000;

const tock::TimeZone& NewYork() {
  static const tock::TimeZone zone = [] {
    auto z = tock::TimeZone::Load("America/New_York");
    return z.ok() ? *z : tock::TimeZone::Utc();
  }();
  return zone;
}

void Walk(const tock::CronSpec& spec, const tock::TimeZone& zone, int64_t after) {
  for (int i = 0; i < 3; ++i) {
    std::optional<int64_t> next = tock::NextCronFire(spec, zone, after);
    if (!next) return;
    if (*next <= after) std::abort();  // "strictly after"
    after = *next;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int64_t from = kNowMs;
  if (size >= 8 && data[0] == '@') {  // "@" + 7 bytes of instant, then the expression
    uint64_t raw = 0;
    std::memcpy(&raw, data + 1, 7);
    from = static_cast<int64_t>(raw % static_cast<uint64_t>(kMaxMs));
    data += 8;
    size -= 8;
  }
  std::string_view expr(reinterpret_cast<const char*>(data), size);
  auto spec = tock::ParseCron(expr);
  if (!spec.ok()) return 0;
  // The canonical text must parse to the same spec.
  auto again = tock::ParseCron(spec->expr);
  if (!again.ok() || !(*again == *spec)) std::abort();
  Walk(*spec, tock::TimeZone::Utc(), from);
  Walk(*spec, NewYork(), from);
  return 0;
}
