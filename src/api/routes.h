// Route registration, one function per API surface, into the server's router.
#pragma once

#include <string>

namespace tock {
struct ApiServices;
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
}  // namespace api
}  // namespace tock
