// Route registration, one function per API surface, into the server's router.
#pragma once

#include <string>

#include "http/router.h"

namespace tock {
class JsonWriter;
class TimeZone;
struct ApiServices;
struct Schedule;
struct TaskDetail;
struct HttpApiOptions;

namespace http {
class Router;
}

namespace api {
void RegisterSerendipityRoutes(http::Router& router, ApiServices& services,
                               const HttpApiOptions& opts);
// The schedule surfaces: EngageLab's /v4/schedules (SPEC §4) and JPush's /v3/schedules
// (api/schedule_surface.h). REQUIRES: services.schedules is set.
void RegisterScheduleRoutes(http::Router& router, ApiServices& services);
// Operator routes under /admin (admin bearer token): backup, application list and detail.
void RegisterAdminRoutes(http::Router& router, ApiServices& services,
                         const HttpApiOptions& opts);
// The console and its admin JSON API (api/console_routes.cc): /ui/, /openapi.json,
// /admin/stats, /admin/apps/{appKey}/schedules..., /admin/apps/{appKey}/tasks/{taskId}...;
// it calls RegisterConsoleTaskRoutes for the task lists (api/console_task_routes.cc):
// /admin/tasks, /admin/failed, /admin/failed/replay[/{jobId}], DELETE of a finished task.
void RegisterConsoleRoutes(http::Router& router, ApiServices& services);
void RegisterConsoleTaskRoutes(http::Router& router, ApiServices& services);

// Wraps a handler: the admin bearer token first (the head check has seen it too); a wrong
// token counts as an authentication failure of the peer (api/admin_routes.cc).
http::Handler AdminRoute(ApiServices& services, http::Handler fn);

// Shared writers. The members of a task's /task/detail object (api/serendipity_routes.cc).
void WriteDetail(JsonWriter& w, const TaskDetail& d, const TimeZone& tz);
// One schedule object as /v4/schedules answers it (api/schedules_routes.cc).
void WriteSchedule(JsonWriter& w, const Schedule& s, const TimeZone& server_zone);
}  // namespace api
}  // namespace tock
