// Validation of the EngageLab schedules request bodies (SPEC §4, /v4/schedules): each
// function reads one section of a create or update body. Errors are Status::Invalid naming
// the field path and the rule ("name: ...", "trigger.single.time: ...").
//
// Include only from api/*.cc and the fuzz targets (pulls in simdjson through json_fields.h).
// Thread-safety: pure functions (ReadScheduleTrigger uses ParseTrigger's thread-local parser).
#pragma once

#include <string>
#include <string_view>

#include "api/json_fields.h"
#include "common/status.h"
#include "model/app.h"
#include "model/schedule.h"
#include "schedules/trigger.h"
#include "timeutil/time_zone.h"

namespace tock::api {

// `name`: required, 1-255 bytes of letters (any script), digits, '_', ' ' and '-'.
Result<std::string> ReadScheduleName(const FieldReader& f);

// `enabled`: required, true or false.
Result<bool> ReadScheduleEnabled(const FieldReader& f);

// The zones a trigger of `app` falls back on (schedules/trigger.h): the server's, and for
// zone_type 2 without time_zone the application's `timeZone` ("" = the server's).
// Internal when the application's zone no longer loads (tzdata changed since it was set).
Result<TriggerZones> AppTriggerZones(const App& app, const TimeZone& server_zone);

// A `trigger` section read: the parsed trigger and its object as sent (minified), which the
// schedule keeps to echo.
struct TriggerInput {
  Trigger trigger;
  std::string sent;
};

// `trigger`: required; the object minified and parsed by ParseTrigger.
Result<TriggerInput> ReadScheduleTrigger(const FieldReader& f, const TriggerZones& zones);

// `push`: required, a non-empty JSON object of at most 64 KiB minified; returns that text.
// The routes report these errors with code 28105 (the original's "no push target"), not
// 28100, so they come back as the message alone.
Result<std::string> ReadSchedulePush(const FieldReader& f);

// `cid`: optional, the client's idempotency key (JPush's schedule `cid`, e.g.
// "7103a4c428a0b98974ec1849-711161d4-5f17-4d2f-b855-5e5a8909b26e"): 1-128 characters of
// A-Z a-z 0-9 _ . : -. "" when absent.
Result<std::string> ReadScheduleCid(const FieldReader& f);

// A schedule id is a 36-character UUID; anything else cannot name a schedule (404).
bool LooksLikeScheduleId(std::string_view id);

}  // namespace tock::api
