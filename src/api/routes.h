// Route registration, one function per API surface. Each takes the httplib server by
// forward declaration so this header stays light.
#pragma once

#include <string>

namespace httplib {
class Server;
}

namespace tock {
struct ApiServices;
struct HttpApiOptions;

namespace api {
void RegisterSerendipityRoutes(httplib::Server& server, ApiServices& services,
                               const HttpApiOptions& opts);
// The EngageLab /v4/schedules surface (SPEC §4). REQUIRES: services.schedules is set.
void RegisterScheduleRoutes(httplib::Server& server, ApiServices& services);
// Operator routes under /admin (admin bearer token): backup, application list and detail.
void RegisterAdminRoutes(httplib::Server& server, ApiServices& services,
                         const HttpApiOptions& opts);
}  // namespace api
}  // namespace tock
