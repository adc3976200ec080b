// Validation of the Serendipity request bodies into tock's own types (SPEC §3). Every rule
// failure is a Status::Invalid naming the field and the rule.
//
// Include only from api/*.cc (pulls in simdjson through json_fields.h).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "api/json_fields.h"
#include "model/app.h"
#include "model/task.h"
#include "timeutil/time_zone.h"

namespace tock {
class AddressGuard;
}

namespace tock::api {

struct TaskLimits {
  int64_t max_delay_ms = 365LL * 24 * 3600 * 1000;
  size_t max_content_bytes = 64 * 1024;
};

// One task object of /task/create or /task/batch-create (prefix "tasks[3]." for the latter).
Result<TaskSpec> ParseTaskSpec(const FieldReader& f, const TimeZone& tz, int64_t now_ms,
                               const TaskLimits& limits);

// /application/create. Fills everything but the secret and created_ms, and app_key only
// when the caller chose one (`appKey`, 16-64 letters and digits). `guard` (may be null)
// refuses a linkUrl whose host is a literal address it denies.
Result<App> ParseAppCreate(const FieldReader& f, const AddressGuard* guard);

// /application/update: applies the fields present (any of those of create, none required)
// to *app. At least one must be present.
Status ParseAppUpdate(const FieldReader& f, const AddressGuard* guard, App* app);

}  // namespace tock::api
