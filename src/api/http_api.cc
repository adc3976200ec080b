// DESIGN
// cpp-httplib 0.11.4 serves with a thread per keep-alive connection from a fixed pool. The
// settings that matter, each measured or known to bite:
// - set_tcp_nodelay(true): without it a keep-alive POST stalls ~40 ms on Nagle + delayed
//   ACK (1 300 req/s vs 47 000 req/s measured, BUILD-NOTES).
// - keep-alive max count raised from 5, so clients keep their connections.
// - socket options without SO_REUSEPORT: httplib's default sets it, and then a second
//   server silently shares the port; without it the second Bind() fails clearly.
// - a pre-routing check refuses bodies over the limit from the Content-Length header, and
//   chunked bodies, before anything is read.
// Every request gets a request id (the client's X-Request-Id when it is sane, else 16 random
// alphanumerics), echoed in the X-Request-Id response header. The post-routing handler,
// which httplib runs for every response, counts it by route pattern and status and logs one
// line: info for status >= 400, debug otherwise. Never logged: bodies, query strings,
// headers other than the request id (so no Authorization, secret keys or signatures).

#include "api/http_api.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <string_view>
#include <thread>

#include "api/http_util.h"
#include "api/routes.h"
#include "auth/signing.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "metrics/metrics.h"
#include "storage/store.h"

namespace tock {

struct HttpApi::Impl {
  ApiServices services;
  HttpApiOptions opts;
  httplib::Server server;
  int port = -1;
  std::atomic<uint64_t> requests{0};
  // Requests between pre-routing and their response: handlers that may touch services.
  std::atomic<int64_t> in_flight{0};
  std::atomic<bool> stopping{false};
};

namespace {
// Marks a response whose request was counted in in_flight; removed before it is sent.
constexpr const char* kCountedHeader = "X-Tock-In-Flight";
// The steady-clock time (ns) pre-routing saw the request; removed before it is sent.
constexpr const char* kStartHeader = "X-Tock-Start-Ns";
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

// The route pattern a path belongs to, for labels and logs; "other" for anything unrouted.
std::string_view RoutePattern(std::string_view path) {
  static constexpr std::string_view kFixed[] = {
      "/healthz",          "/readyz",           "/metrics",
      "/application/create", "/application/refresh-signature", "/application/rotate-secret",
      "/admin/backup",     "/admin/apps",
      "/task/create",      "/task/batch-create", "/task/cancel",
      "/task/detail",      "/task/publish",     "/nsq/publish",
      "/v4/schedules"};
  for (std::string_view r : kFixed) {
    if (path == r) return r;
  }
  constexpr std::string_view kAdminApps = "/admin/apps/";
  if (path.size() > kAdminApps.size() && path.substr(0, kAdminApps.size()) == kAdminApps &&
      path.find('/', kAdminApps.size()) == std::string_view::npos) {
    return "/admin/apps/{appKey}";
  }
  constexpr std::string_view kSchedules = "/v4/schedules/";
  if (path.substr(0, kSchedules.size()) == kSchedules) {
    std::string_view rest = path.substr(kSchedules.size());
    size_t slash = rest.find('/');
    if (!rest.empty() && slash == std::string_view::npos) return "/v4/schedules/{id}";
    if (slash != 0 && slash != std::string_view::npos) {
      std::string_view tail = rest.substr(slash);
      if (tail == "/msg-ids" || tail == "/msg_ids") return "/v4/schedules/{id}/msg-ids";
    }
  }
  return "other";
}

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

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
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

// Counts and logs one response. Runs on the HTTP thread that sends it.
void ObserveResponse(const httplib::Request& req, httplib::Response& res) {
  std::string rid = res.get_header_value(kRequestIdHeader);
  if (rid.empty()) {  // never reached pre-routing (httplib answered on its own)
    rid = NewRequestId();
    res.set_header(kRequestIdHeader, rid);
  }
  double seconds = 0;
  if (res.has_header(kStartHeader)) {
    int64_t start = std::strtoll(res.get_header_value(kStartHeader).c_str(), nullptr, 10);
    res.headers.erase(kStartHeader);
    if (start > 0) seconds = static_cast<double>(SteadyNs() - start) / 1e9;
  }
  const std::string_view route = RoutePattern(req.path);
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
    : impl_(new Impl{std::move(services), std::move(opts), {}, -1}) {
  httplib::Server& s = impl_->server;
  Impl* impl = impl_.get();
  const int threads = impl->opts.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_tcp_nodelay(true);
  s.set_keep_alive_max_count(100000);
  // An idle keep-alive connection holds its thread, and delays shutdown, this long.
  s.set_keep_alive_timeout(5);
  s.set_read_timeout(30, 0);
  s.set_write_timeout(30, 0);
  s.set_payload_max_length(impl->opts.max_body_bytes);
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  s.set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    impl->requests.fetch_add(1, std::memory_order_relaxed);
    std::string client_rid = req.get_header_value(kRequestIdHeader);
    res.set_header(kRequestIdHeader, SaneRequestId(client_rid) ? client_rid : NewRequestId());
    res.set_header(kStartHeader, std::to_string(SteadyNs()));
    // Count first, then check: once Stop() has seen in_flight reach 0 with stopping set,
    // every later request sees stopping and never reaches a handler.
    impl->in_flight.fetch_add(1);
    res.set_header(kCountedHeader, "1");
    if (impl->stopping.load()) {
      res.set_header("Connection", "close");
      api::SendError(res, Status::Unavailable("shutting down"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Content-Length")) {
      uint64_t len = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
      if (len > impl->opts.max_body_bytes) {
        res.set_header("Connection", "close");
        api::SendError(res, Status::TooLarge("request body is " + std::to_string(len) +
                                             " bytes; the limit is " +
                                             std::to_string(impl->opts.max_body_bytes)));
        return httplib::Server::HandlerResponse::Handled;
      }
    } else if (req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos) {
      res.set_header("Connection", "close");
      api::SendJson(res, 411,
                    api::ErrorBody(Status::Invalid(
                        "header 'Content-Length': is required (chunked bodies are not accepted)")));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Runs for every response just before it is written (httplib calls it from
  // write_response_core), also for requests that never reached pre-routing.
  s.set_post_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    ObserveResponse(req, res);
    if (res.has_header(kCountedHeader)) {
      res.headers.erase(kCountedHeader);
      impl->in_flight.fetch_sub(1);
    }
  });

  // Whatever httplib answers on its own (404 route, 400 parse, 413...) gets a JSON body.
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) -> httplib::Server::HandlerResponse {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    Status st = res.status == 404   ? Status::NotFound("no such route")
                : res.status == 413 ? Status::TooLarge("request body too large")
                                    : Status::Invalid("bad request (HTTP " + std::to_string(res.status) + ")");
    res.set_content(api::ErrorBody(st), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log::Error("http.exception", {{"request_id", res.get_header_value(kRequestIdHeader)},
                                      {"path", req.path}, {"error", what}});
        api::SendError(res, Status::Internal("internal error"));
      });

  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    api::SendJson(res, 200, R"({"status":"ok"})");
  });
  // Not ready while starting or stopping, and while storage refuses writes (disk full, or a
  // failed write): creates would get 503, so a load balancer should send them elsewhere.
  // Reads still work then, and a disk-full store turns ready again by itself once space is
  // freed (Store::healthy() retries the resume). /healthz stays 200: a restart cannot help.
  s.Get("/readyz", [impl](const httplib::Request&, httplib::Response& res) {
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
  s.Get("/metrics", [impl](const httplib::Request&, httplib::Response& res) {
    std::string text = impl->services.metrics_text ? impl->services.metrics_text() : "";
    res.set_content(std::move(text), "text/plain; version=0.0.4");
  });

  api::RegisterSerendipityRoutes(s, impl->services, impl->opts);
  api::RegisterAdminRoutes(s, impl->services, impl->opts);
  if (impl->services.schedules != nullptr) api::RegisterScheduleRoutes(s, impl->services);
}

HttpApi::~HttpApi() { Stop(); }

Status HttpApi::Bind() {
  httplib::Server& s = impl_->server;
  if (impl_->opts.port == 0) {
    impl_->port = s.bind_to_any_port(impl_->opts.host);
  } else {
    impl_->port = s.bind_to_port(impl_->opts.host, impl_->opts.port) ? impl_->opts.port : -1;
  }
  if (impl_->port <= 0) {
    return Status::Unavailable("cannot listen on " + impl_->opts.host + ":" +
                               std::to_string(impl_->opts.port) +
                               " (address in use, or not an address of this host)");
  }
  return Status::Ok();
}

int HttpApi::port() const { return impl_->port; }

void HttpApi::Serve() { impl_->server.listen_after_bind(); }

void HttpApi::Stop() {
  impl_->stopping.store(true);
  if (impl_->server.is_running()) impl_->server.stop();
}

bool HttpApi::WaitForHandlers(int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (impl_->in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace tock
