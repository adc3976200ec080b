// HttpApi: tock's HTTP server (cpp-httplib underneath, kept out of this header).
//
// Routes: the Serendipity surface (api/serendipity_routes.cc), the EngageLab schedules
// surface (api/schedules_routes.cc), operator routes (api/admin_routes.cc) and health
// (/healthz, /readyz). Limits applied before any handler runs: request bodies over
// max_body_bytes get 413 from the Content-Length alone, without reading the body; bodies
// without a Content-Length (chunked) get 411.
//
// Threads: a pool of `threads` HTTP threads (each keep-alive connection holds one while it
// is open). Handlers run on them and call into services that are thread-safe.
// Owned by main; Serve() blocks the calling thread until Stop() is called from another.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "timeutil/time_zone.h"

namespace tock {

class AppRegistry;
class ScheduleService;
class TaskService;
class AppAuthenticator;
class Store;

struct HttpApiOptions {
  std::string host = "127.0.0.1";
  int port = 9502;
  size_t max_body_bytes = 1u << 20;
  int threads = 128;
  std::string admin_token;
  int64_t max_delay_ms = 365LL * 24 * 3600 * 1000;
};

struct ApiServices {
  AppRegistry& apps;
  TaskService& tasks;
  AppAuthenticator& auth;
  const Clock& clock;
  TimeZone time_zone;
  std::function<bool()> ready;                // /readyz
  std::function<std::string()> metrics_text;  // /metrics (Prometheus text); may be empty
  ScheduleService* schedules = nullptr;       // /v4/schedules; not served when null
  Store* store = nullptr;                     // POST /admin/backup; 503 when null
};

class HttpApi {
 public:
  HttpApi(ApiServices services, HttpApiOptions opts);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds the listening socket (port 0 picks a free one). Fails if the address is in use.
  Status Bind();
  int port() const;
  // Accepts and serves until Stop(). REQUIRES: Bind() succeeded.
  void Serve();
  // Stops accepting and closes the listener. Requests that arrive afterwards on open
  // keep-alive connections get 503 without reaching a handler. Serve() returns only once
  // idle keep-alive connections time out (httplib joins their threads), so a process that
  // is exiting waits for WaitForHandlers() instead and does not join Serve().
  void Stop();
  // After Stop(): waits until no handler is running (true), or the timeout passes (false).
  bool WaitForHandlers(int64_t timeout_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tock
