// The two schedule APIs tock serves on one store: EngageLab's /v4/schedules (SPEC §4) and
// JPush's /v3/schedules, the API EngageLab's grew out of (issue 14). Both take the same
// objects and behave the same; they differ in their paths and error codes, which a
// ScheduleSurface names, and in what a bad `push` is (EngageLab: its own code 28105 with
// 404; JPush's document has no such code: 8100 with 400). README, "/v3/schedules", lists
// every difference.
//
// Errors of both are {"error":{"code":N,"message":"..."}}; the code is the surface's base
// plus an offset that is the same in both documents:
//   +100/400 invalid   +101/401 auth   +104/404 no such schedule   +105/404 push (EngageLab)
//   +200/500 internal  +203/503 busy   +404/404 no such route (405 for another method)
// The route-less code +404 is the one both documents show in their 404 examples (28404,
// 8404); +104 is kept for a schedule that does not exist.
//
// Thread-safety: constants and pure functions.
#pragma once

#include <string_view>

#include "common/status.h"
#include "http/message.h"

namespace tock::api {

struct ScheduleSurface {
  std::string_view prefix;   // "/v4/schedules"
  std::string_view version;  // "/v4": every path under it that no route serves is this surface's
  int code_base;             // 28000 (EngageLab) or 8000 (JPush)
  bool push_has_own_code;    // a missing or invalid push: base+105 and 404, else base+100, 400
};

inline constexpr ScheduleSurface kEngageLabSurface{"/v4/schedules", "/v4", 28000, true};
inline constexpr ScheduleSurface kJPushSurface{"/v3/schedules", "/v3", 8000, false};

// The one Status -> (HTTP status, code) mapping of a surface. kInternal is logged and
// answered without its message.
void SendScheduleError(http::Response& res, const ScheduleSurface& surface, const Status& st);

// A `push` section that is missing, empty, not an object or too large.
void SendPushError(http::Response& res, const ScheduleSurface& surface, const Status& st);

// The answer for a path under the surface's version that no route serves: 404, or 405 with
// an Allow header when routes of other methods serve it (req.allowed_methods).
void SendNoRoute(http::Response& res, const ScheduleSurface& surface, const http::Request& req);

}  // namespace tock::api
