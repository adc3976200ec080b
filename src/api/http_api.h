// HttpApi: tock's HTTP API on its own event-loop server (http/server.h).
//
// Routes: the Serendipity surface (api/serendipity_routes.cc), the EngageLab schedules
// surface (api/schedules_routes.cc), operator routes (api/admin_routes.cc), the console and
// its admin API (api/console_routes.cc), health (/healthz, /readyz) and GET /admin/routes
// (every route, for the OpenAPI check). Limits applied before any handler runs: request bodies over
// max_body_bytes get 413 from the Content-Length alone, without reading the body; bodies
// without a Content-Length (chunked) get 411.
//
// Threads: `loops` event-loop threads parse requests and run the task creates, which wait
// for the task service's group commit without holding a thread; `threads` pool threads run
// every other handler (they may wait on storage). Services they call are thread-safe.
// Owned by main; Serve() blocks the calling thread until Shutdown().
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "dispatch/delivery_view.h"
#include "common/status.h"
#include "timeutil/time_zone.h"

namespace tock {

class AddressGuard;
class AppRegistry;
namespace api {
class HeadGate;
}
class ReplayJobs;
class ScheduleService;
class TaskService;
class AppAuthenticator;
class Store;

struct HttpApiOptions {
  std::string host = "127.0.0.1";
  int port = 9502;
  size_t max_body_bytes = 1u << 20;
  int threads = 64;
  int loops = 1;
  size_t max_connections = 10000;
  size_t max_connections_per_ip = 1000;     // 0: no cap
  uint64_t max_buffered_bytes = 256ull << 20;
  int auth_failures_per_minute = 100;       // per address; 0: no throttle
  std::string admin_token;
  int64_t max_delay_ms = 365LL * 24 * 3600 * 1000;
};

// What GET /admin/stats shows (api/console_routes.cc), sampled by the server at each call:
// the process's delivery counters and lateness histogram since start, the live gauges, and
// the delivery engine's view of each application. Plain values.
struct ServerStats {
  int64_t now_ms = 0;
  int64_t started_ms = 0;
  // tock_deliveries_total by outcome: success, failure, timeout, error, gone.
  uint64_t deliveries[5] = {0, 0, 0, 0, 0};
  // tock_delivery_lateness_seconds, first attempts and retries together: upper bounds
  // (seconds) and cumulative counts, one per bound and then +Inf.
  std::vector<double> lateness_bounds;
  std::vector<uint64_t> lateness_cumulative;
  uint64_t waiting = 0;       // due-index entries (RocksDB estimate; schedule timers too)
  uint64_t tasks_stored = 0;  // task records, any state (estimate)
  uint64_t in_flight = 0;
  uint64_t queued = 0;
  uint64_t wheel_timers = 0;
  std::vector<AppDeliveryView> apps;  // applications with deliveries going on
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
  const AddressGuard* guard = nullptr;        // linkUrl checks; none when null
  // After an application's pause or flow settings changed (the delivery engine acts on it).
  std::function<void(const std::string& app_key)> app_changed;
  // The delivery engine's live view of an application; may be empty.
  std::function<std::optional<AppDeliveryView>(const std::string& app_key)> delivery_view;
  // GET /admin/stats; 503 when empty.
  std::function<ServerStats()> stats;
  // POST /admin/failed/replay and its job status; 503 when null.
  ReplayJobs* replays = nullptr;
  // Set by HttpApi: the head checks of every credentialed route.
  api::HeadGate* gate = nullptr;
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
  // Accepts and serves until Shutdown(). REQUIRES: Bind() succeeded.
  void Serve();
  // Stops accepting and closes the listener and idle connections. Requests that arrive
  // afterwards on open keep-alive connections get 503 without reaching a handler.
  void Stop();
  // After Stop(): waits until every request is answered (true), or the timeout passes.
  bool WaitForHandlers(int64_t timeout_ms);
  // Ends Serve(): the event loops stop and every connection closes.
  void Shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tock
