// DESIGN
// The server (http/server.h) parses and answers; this file decides what every request gets
// besides its route: a request id (the client's X-Request-Id when it is sane, else 16
// random alphanumerics), echoed in the X-Request-Id response header; and, for every
// response, a count by route pattern and status and one log line: info for status >= 400,
// debug otherwise. Never logged: bodies, query strings, headers other than the request id
// (so no Authorization, secret keys or signatures). Errors the server makes itself (bad
// heads, 404, 405, 413, 503 while stopping) get tock's JSON error body.

#include "api/http_api.h"

#include <string_view>

#include "api/head_gate.h"
#include "api/http_util.h"
#include "api/routes.h"
#include "auth/signing.h"
#include "common/clock.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "http/server.h"
#include "metrics/metrics.h"
#include "storage/store.h"

namespace tock {

struct HttpApi::Impl {
  ApiServices services;
  HttpApiOptions opts;
  std::unique_ptr<api::HeadGate> gate;
  std::unique_ptr<http::Server> server;
};

namespace {
constexpr const char* kRequestIdHeader = "X-Request-Id";

// Metrics of the HTTP API, all of them (process registry, metrics/metrics.h).
//   tock_http_requests_total{method,route,status}   responses sent
//   tock_http_request_duration_seconds{route}        pre-routing to response
// route is the matched pattern (RoutePattern), never the raw path, so series stay bounded.
struct HttpMetrics {
  metrics::Family<metrics::Counter>& requests = metrics::Process().AddCounterFamily(
      "tock_http_requests_total", "HTTP responses sent, by method, route pattern and status.",
      {"method", "route", "status"});
  metrics::Family<metrics::Histogram>& duration = metrics::Process().AddHistogramFamily(
      "tock_http_request_duration_seconds", "Time from routing a request to its response.",
      {"route"}, metrics::LatencyBuckets());
};

HttpMetrics& Metrics() {
  static HttpMetrics* const m = new HttpMetrics();
  return *m;
}
[[maybe_unused]] const bool kMetricsRegistered = (Metrics(), true);

std::string_view MethodLabel(std::string_view m) {
  for (std::string_view k : {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}) {
    if (m == k) return k;
  }
  return "other";
}

// A client's request id is kept if it is 1..64 characters of [A-Za-z0-9._-].
bool SaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}


// A fresh X-Request-Id: 16 alphanumerics, unique, not secret. Each thread walks its own
// splitmix64 sequence from a random start, so no system call per request (RandomAlnum
// costs a getrandom each). Two outputs give 8 characters each (62^8 < 2^64), so all 16 vary.
std::string NewRequestId() {
  thread_local uint64_t state = [] {
    uint64_t seed = 0;
    const std::string r = RandomAlnum(12);  // ~71 random bits, once per thread
    for (char c : r) seed = seed * 62 + static_cast<uint64_t>(c);
    return seed;
  }();
  auto next = [] {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  std::string id(16, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t z = next();
    for (int i = 0; i < 8; ++i) {
      id[half * 8 + i] = kAlnumAlphabet[z % 62];
      z /= 62;
    }
  }
  return id;
}

// Counts and logs one response. Runs on the event loop that sends it.
void ObserveResponse(const http::Request& req, http::Response& res) {
  std::string rid = req.request_id;
  if (rid.empty()) rid = NewRequestId();  // a head too bad to reach on_request
  res.SetHeader(kRequestIdHeader, rid);
  const double seconds =
      req.received_ns > 0 ? static_cast<double>(MonoNowNs() - req.received_ns) / 1e9 : 0.0;
  const std::string_view route = req.route.empty() ? std::string_view("other") : req.route;
  const std::string_view method = MethodLabel(req.method);
  const int status = res.status;
  HttpMetrics& m = Metrics();
  m.requests.With({method, route, std::to_string(status)}).Inc();
  m.duration.With({route}).Observe(seconds);
  const log::Level level = status >= 400 ? log::Level::kInfo : log::Level::kDebug;
  if (log::Enabled(level)) {
    log::Write(level, "http.request",
               {{"request_id", rid}, {"method", method}, {"route", route}, {"status", status},
                {"duration_ms", seconds * 1000.0}});
  }
}

}  // namespace

HttpApi::HttpApi(ApiServices services, HttpApiOptions opts)
    : impl_(new Impl{std::move(services), std::move(opts), nullptr, nullptr}) {
  Impl* impl = impl_.get();
  impl->gate = std::make_unique<api::HeadGate>(impl->services.auth, impl->services.clock,
                                               impl->opts.admin_token,
                                               impl->opts.auth_failures_per_minute);
  impl->services.gate = impl->gate.get();
  http::Router router;
  router.Add("GET", "/healthz", [](const http::Request&, http::Response& res) {
    api::SendJson(res, 200, R"({"status":"ok"})");
  });
  // Not ready while starting or stopping, and while storage refuses writes (disk full, or a
  // failed write): creates would get 503, so a load balancer should send them elsewhere.
  // Reads still work then, and a disk-full store turns ready again by itself once space is
  // freed (Store::healthy() retries the resume). /healthz stays 200: a restart cannot help.
  router.Add("GET", "/readyz", [impl](const http::Request&, http::Response& res) {
    bool ready = impl->services.ready && impl->services.ready();
    if (!ready) {
      api::SendJson(res, 503, R"({"status":"starting"})");
      return;
    }
    Store* store = impl->services.store;
    if (store != nullptr && !store->healthy()) {
      JsonWriter w;
      w.BeginObject();
      w.Key("status"); w.String("storage_unavailable");
      w.Key("reason"); w.String(store->health_message());
      w.EndObject();
      api::SendJson(res, 503, w.str());
      return;
    }
    api::SendJson(res, 200, R"({"status":"ready"})");
  });
  router.Add("GET", "/metrics", [impl](const http::Request&, http::Response& res) {
    std::string text = impl->services.metrics_text ? impl->services.metrics_text() : "";
    res.SetBody(200, std::move(text), "text/plain; version=0.0.4");
  });
  api::RegisterSerendipityRoutes(router, impl->services, impl->opts);
  api::RegisterAdminRoutes(router, impl->services, impl->opts);
  if (impl->services.schedules != nullptr) api::RegisterScheduleRoutes(router, impl->services);
  api::RegisterConsoleRoutes(router, impl->services);
  // Every route the router knows, this one included: what /openapi.json must document
  // (its test compares the two).
  {
    std::vector<std::pair<std::string, std::string>> routes = router.Routes();
    routes.emplace_back("GET", "/admin/routes");
    router.Add("GET", "/admin/routes",
               [impl, routes = std::move(routes)](const http::Request& req, http::Response& res) {
                 if (!impl->gate->AdminTokenMatches(req)) {
                   impl->gate->Failed(req.peer);
                   return api::SendError(res, Status::Unauthorized(
                       "header 'Authorization': must be Bearer <admin token>"));
                 }
                 api::SendJson(res, 200, api::OkBody([&](JsonWriter& w) {
                   w.Key("routes");
                   w.BeginArray();
                   for (const auto& [method, pattern] : routes) {
                     w.BeginObject();
                     w.Key("method"); w.String(method);
                     w.Key("pattern"); w.String(pattern);
                     w.EndObject();
                   }
                   w.EndArray();
                 }));
               },
               impl->gate->Admin([](const Status& st, http::Response* res) {
                 api::SendError(*res, st);
               }));
  }

  http::ServerHooks hooks;
  hooks.on_request = [](http::Request& req) {
    std::string_view client_rid = req.Header(kRequestIdHeader);
    req.request_id = SaneRequestId(client_rid) ? std::string(client_rid) : NewRequestId();
  };
  hooks.on_response = ObserveResponse;
  hooks.error_body = [](int status, std::string_view message, http::Response* res) {
    Status st = status == 404   ? Status::NotFound(std::string(message))
                : status == 413 ? Status::TooLarge(std::string(message))
                : status == 503 ? Status::Unavailable(std::string(message))
                : status >= 500 && status != 501 && status != 505
                    ? Status::Internal(std::string(message))
                    : Status::Invalid(std::string(message));
    api::SendJson(*res, status, api::ErrorBody(st));
  };

  http::ServerOptions so;
  so.host = impl->opts.host;
  so.port = impl->opts.port;
  so.loops = impl->opts.loops;
  so.handler_threads = impl->opts.threads;
  so.max_connections = impl->opts.max_connections;
  so.max_connections_per_ip = impl->opts.max_connections_per_ip;
  so.max_buffered_bytes = impl->opts.max_buffered_bytes;
  so.limits.max_body_bytes = impl->opts.max_body_bytes;
  impl->server = std::make_unique<http::Server>(std::move(so), std::move(router), std::move(hooks));
}

HttpApi::~HttpApi() = default;  // the server's destructor shuts down and joins

Status HttpApi::Bind() { return impl_->server->Bind(); }

int HttpApi::port() const { return impl_->server->port(); }

void HttpApi::Serve() { impl_->server->Serve(); }

void HttpApi::Stop() { impl_->server->StopAccepting(); }

bool HttpApi::WaitForHandlers(int64_t timeout_ms) { return impl_->server->WaitIdle(timeout_ms); }

void HttpApi::Shutdown() { impl_->server->Shutdown(); }

}  // namespace tock
