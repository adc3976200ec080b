// libFuzzer target: schedule triggers (schedules/trigger.h). The input is the `trigger` JSON
// object; what parses is validated, asked for a few fire times, and round-tripped through
// TriggerToJson, which must give back an equal trigger.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "schedules/trigger.h"
#include "timeutil/time_zone.h"

namespace {

constexpr int64_t kNowMs = 1795305600000;  // 2026-11-21T00:00:00Z

const tock::TimeZone& NewYork() {
  static const tock::TimeZone zone = [] {
    auto z = tock::TimeZone::Load("America/New_York");
    return z.ok() ? *z : tock::TimeZone::Utc();
  }();
  return zone;
}

// `terminal_zone` is the application's zone (zone_type 2 without time_zone).
void Check(std::string_view json, const tock::TimeZone& server_zone,
           const tock::TimeZone& terminal_zone) {
  auto t = tock::ParseTrigger(json, tock::TriggerZones{server_zone, terminal_zone});
  if (!t.ok()) return;
  (void)tock::ValidateForCreate(*t, kNowMs);

  int64_t after = kNowMs;
  for (int i = 0; i < 4; ++i) {
    std::optional<int64_t> next = tock::NextFireAfter(*t, after);
    if (!next) break;
    if (*next <= after) std::abort();  // "strictly after"
    after = *next;
  }
  (void)tock::NextFireAfter(*t, t->start_ms);
  (void)tock::NextFireAfter(*t, t->time_ms);

  // The stored form is read back with the server's zone alone: it names every other zone.
  std::string canonical = tock::TriggerToJson(*t);
  auto again = tock::ParseTrigger(canonical, server_zone);
  if (!again.ok() || !(*again == *t)) std::abort();  // documented round trip
  if (tock::TriggerToJson(*again) != canonical) std::abort();
  if (!tock::CheckTriggerUpdate(*t, *again).ok()) std::abort();  // same kind, same zone_type
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  Check(json, tock::TimeZone::Utc(), NewYork());
  Check(json, NewYork(), tock::TimeZone::Utc());
  return 0;
}
