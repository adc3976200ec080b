// What the console's admin route files share (api/console_routes.cc defines it): the route
// registration with the admin-token check and the no-store headers, and the path parameters
// of /admin/apps/{appKey}/... routes.
//
// Thread-safety: handlers run on the HTTP pool; these are functions of their arguments.
#pragma once

#include <cstdint>
#include <memory>

#include "api/http_api.h"
#include "common/status.h"
#include "http/router.h"
#include "model/app.h"

namespace tock::api {

// Adds an admin route: the admin bearer token is checked at the head and again by the
// handler's wrapper, and every answer is Cache-Control: no-store and nosniff.
void AddConsoleAdminRoute(http::Router& router, ApiServices& svc, const char* method,
                          const char* pattern, http::Handler fn);

// The application of path parameter 0; NotFound ("path 'appKey': no application X").
Result<std::shared_ptr<const App>> AppParam(ApiServices& svc, const http::Request& req);
// The task id of path parameter 1; Invalid ("path 'taskId': must be a positive integer").
Result<uint64_t> TaskIdParam(const http::Request& req);

}  // namespace tock::api
