// libFuzzer target: request JSON decoding (api/json_fields.h, api/requests.h,
// api/schedule_requests.h). The input is a raw request body, parsed the way the /task/create,
// /task/batch-create, /application/create, /application/rotate-secret, /task/cancel and the
// /v4 and /v3 schedules create and update handlers parse it; "content" is minified as the
// task would store it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/json_fields.h"
#include "api/requests.h"
#include "api/schedule_requests.h"
#include "timeutil/time_zone.h"

namespace {

// 2026-11-21T00:00:00Z: a fixed "now" keeps runs reproducible.
constexpr int64_t kNowMs = 1795305600000;

const tock::TimeZone& NewYork() {
  static const tock::TimeZone zone = [] {
    auto z = tock::TimeZone::Load("America/New_York");
    return z.ok() ? *z : tock::TimeZone::Utc();
  }();
  return zone;
}

void CheckTask(const tock::api::FieldReader& f) {
  tock::api::TaskLimits limits;
  (void)tock::api::ParseTaskSpec(f, NewYork(), kNowMs, limits);
  (void)tock::api::ParseTaskSpec(f, tock::TimeZone::Utc(), kNowMs, limits);
  if (auto content = f.Get("content")) (void)tock::api::MinifyJson(*content);
}

// POST /v4/schedules (every section required, in the handler's order) and
// PUT /v4/schedules/{id} (the sections present), with the server zone `zone`.
void CheckSchedule(const tock::api::FieldReader& f, const tock::TimeZone& zone) {
  auto name = tock::api::ReadScheduleName(f);
  auto enabled = tock::api::ReadScheduleEnabled(f);
  auto trigger = tock::api::ReadScheduleTrigger(f, tock::TriggerZones{zone, zone});
  auto push = tock::api::ReadSchedulePush(f);
  (void)tock::api::ReadScheduleCid(f);
  if (trigger.ok()) (void)tock::ValidateForCreate(trigger->trigger, kNowMs);
  if (f.Has("name")) (void)tock::api::ReadScheduleName(f);
  if (f.Has("enabled")) (void)tock::api::ReadScheduleEnabled(f);
  (void)name, (void)enabled, (void)push;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto obj = tock::api::ParseJsonBody(body);
  if (!obj.ok()) return 0;
  tock::api::FieldReader f(*obj);

  CheckTask(f);
  (void)tock::api::ParseAppCreate(f, /*guard=*/nullptr);
  (void)tock::api::ReadId(f.Get("taskId"), "taskId");
  (void)f.Bool("enabled");
  (void)f.Int("timeout", 1, 600000);
  (void)f.String("name", 0, 64);
  (void)f.String("app_key", 1, 64);   // refresh-signature, rotate-secret
  (void)f.Int("graceSeconds", 0, 7 * 86400);
  (void)tock::api::ReadId(f.Get("id"), "id");            // /task/cancel, /task/detail
  (void)tock::api::ReadId(f.Get("task_id"), "task_id");  // /task/publish
  if (auto id = f.Get("id")) {
    std::string_view text;
    if (id->get_string().get(text) == simdjson::SUCCESS) {
      (void)tock::api::ParseIdText(text, "id");  // the query-string form
      (void)tock::api::LooksLikeScheduleId(text);
    }
  }

  CheckSchedule(f, tock::TimeZone::Utc());
  CheckSchedule(f, NewYork());

  // /task/batch-create: {"tasks": [ {...}, ... ]}
  if (auto tasks = f.Get("tasks")) {
    simdjson::dom::array arr;
    if (tasks->get_array().get(arr) == simdjson::SUCCESS) {
      size_t i = 0;
      for (simdjson::dom::element item : arr) {
        simdjson::dom::object o;
        if (item.get_object().get(o) != simdjson::SUCCESS) continue;
        CheckTask(tock::api::FieldReader(o, "tasks[" + std::to_string(i++) + "]."));
      }
    }
  }
  // Minify every top-level value last: each value of the document goes through it.
  for (auto field : *obj) (void)tock::api::MinifyJson(field.value);
  return 0;
}
