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
}  // namespace api
}  // namespace tock
