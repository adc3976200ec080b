#include "api/head_gate.h"

#include <strings.h>

#include "api/app_auth.h"
#include "auth/basic_auth.h"
#include "auth/signing.h"
#include "metrics/metrics.h"

namespace tock::api {
namespace {

constexpr int64_t kMinuteMs = 60'000;

// Metrics of the gate (process registry, metrics/metrics.h):
//   tock_http_auth_failures_total      requests refused for their credentials (401)
//   tock_http_auth_throttled_total     requests refused for their address's failures (429)
struct GateMetrics {
  metrics::Counter& failures = metrics::Process().AddCounter(
      "tock_http_auth_failures_total", "Requests refused for their credentials (401).");
  metrics::Counter& throttled = metrics::Process().AddCounter(
      "tock_http_auth_throttled_total",
      "Requests refused because their address failed authentication too often (429).");
};

GateMetrics& Metrics() {
  static GateMetrics* const m = new GateMetrics();
  return *m;
}
[[maybe_unused]] const bool kMetricsRegistered = (Metrics(), true);

SignedHeaders SignedHeadersOf(const http::Request& req) {
  SignedHeaders h;
  h.app_key = std::string(req.Header("app_key"));
  h.nonce = std::string(req.Header("nonce"));
  h.timestamps = std::string(req.Header("timestamps"));
  h.payload = std::string(req.Header("payload"));
  h.signature = std::string(req.Header("signature"));
  return h;
}

}  // namespace

HeadGate::HeadGate(AppAuthenticator& auth, const Clock& clock, std::string admin_token,
                   int failures_per_minute)
    : auth_(auth), clock_(clock), admin_token_(std::move(admin_token)),
      limit_(failures_per_minute) {}

bool HeadGate::AdminTokenMatches(const http::Request& req) const {
  auto bearer = ParseBearer(std::string(req.Header("Authorization")));
  return bearer && !admin_token_.empty() && ConstantTimeEquals(*bearer, admin_token_);
}

void HeadGate::Failed(const std::string& peer) {
  Metrics().failures.Inc();
  if (limit_ <= 0) return;
  const int64_t now = clock_.MonoMs();
  std::lock_guard<std::mutex> l(mu_);
  auto it = minutes_.find(peer);
  if (it == minutes_.end()) {
    if (minutes_.size() >= kMaxTracked) {
      for (auto i = minutes_.begin(); i != minutes_.end();) {
        i = now - i->second.start_ms >= kMinuteMs ? minutes_.erase(i) : std::next(i);
      }
      if (minutes_.size() >= kMaxTracked) return;
    }
    it = minutes_.emplace(peer, Minute{now, 0}).first;
  }
  if (now - it->second.start_ms >= kMinuteMs) it->second = Minute{now, 0};
  ++it->second.failures;
}

std::optional<http::Response> HeadGate::Throttled(const std::string& peer,
                                                  const ErrorWriter& write) {
  if (limit_ <= 0) return std::nullopt;
  const int64_t now = clock_.MonoMs();
  int64_t left_ms = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = minutes_.find(peer);
    if (it == minutes_.end()) return std::nullopt;
    if (now - it->second.start_ms >= kMinuteMs) {
      minutes_.erase(it);
      return std::nullopt;
    }
    if (it->second.failures < limit_) return std::nullopt;
    left_ms = kMinuteMs - (now - it->second.start_ms);
  }
  Metrics().throttled.Inc();
  http::Response res;
  write(Status::Unauthorized("too many authentication failures from this address; retry later"),
        &res);
  res.status = 429;
  res.SetHeader("Retry-After", std::to_string((left_ms + 999) / 1000));
  return res;
}

std::optional<http::Response> HeadGate::Refuse(const std::string& peer, const Status& st,
                                               const ErrorWriter& write) {
  Failed(peer);
  http::Response res;
  write(st, &res);
  return res;
}

http::HeadCheck HeadGate::App(ErrorWriter write) {
  return [this, write = std::move(write)](const http::Request& req) -> std::optional<http::Response> {
    if (auto t = Throttled(req.peer, write)) return t;
    Status st = auth_.CheckHead(req.Header("Authorization"), SignedHeadersOf(req));
    if (!st.ok()) return Refuse(req.peer, st, write);
    return std::nullopt;
  };
}

http::HeadCheck HeadGate::BasicApp(ErrorWriter write) {
  return [this, write = std::move(write)](const http::Request& req) -> std::optional<http::Response> {
    if (auto t = Throttled(req.peer, write)) return t;
    const std::string_view authz = req.Header("Authorization");
    if (authz.size() < 6 || strncasecmp(authz.data(), "Basic ", 6) != 0) {
      return Refuse(req.peer,
                    Status::Unauthorized("Basic authentication failed: header 'Authorization' "
                                         "must be Basic base64(appKey:secretKey)"),
                    write);
    }
    Status st = auth_.CheckHead(authz, SignedHeaders());
    if (!st.ok()) {
      return Refuse(req.peer, Status::Unauthorized("Basic authentication failed: " + st.message()),
                    write);
    }
    return std::nullopt;
  };
}

http::HeadCheck HeadGate::Admin(ErrorWriter write) {
  return [this, write = std::move(write)](const http::Request& req) -> std::optional<http::Response> {
    if (auto t = Throttled(req.peer, write)) return t;
    if (!AdminTokenMatches(req)) {
      return Refuse(req.peer,
                    Status::Unauthorized("header 'Authorization': must be Bearer <admin token>"),
                    write);
    }
    return std::nullopt;
  };
}

http::HeadCheck HeadGate::ThrottleOnly(ErrorWriter write) {
  return [this, write = std::move(write)](const http::Request& req) {
    return Throttled(req.peer, write);
  };
}

}  // namespace tock::api
