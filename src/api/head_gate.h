// HeadGate: the credential checks that run on a request's head, before its body is read
// (http::HeadCheck), and the slowing of addresses that keep failing them.
//
// - App routes: Basic credentials in full, or for signed headers the application, the clock
//   window and the signature over the payload header as sent (AppAuthenticator::CheckHead).
// - Admin routes: the bearer token.
// A request that fails gets its 401 at once and its body is never buffered; the route's own
// authentication still runs on the whole request (payload hash, nonce).
//
// Throttle: an address with more than `failures_per_minute` authentication failures within
// a minute gets 429 with Retry-After (the seconds left in its minute) for every request with
// credentials until the minute ends. Addresses tracked at once are bounded (kMaxTracked);
// past that, new addresses are not tracked until old minutes expire.
//
// Thread-safety: all methods from any thread (one mutex around the failure table).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/status.h"
#include "http/router.h"

namespace tock {
class AppAuthenticator;
}

namespace tock::api {

class HeadGate {
 public:
  static constexpr size_t kMaxTracked = 100'000;
  // How a route's errors look (the Serendipity {"code":1,...} body, or a schedules surface's).
  using ErrorWriter = std::function<void(const Status&, http::Response*)>;

  HeadGate(AppAuthenticator& auth, const Clock& clock, std::string admin_token,
           int failures_per_minute);

  http::HeadCheck App(ErrorWriter write_error);
  // App routes that take Basic credentials only (the schedule surfaces).
  http::HeadCheck BasicApp(ErrorWriter write_error);
  http::HeadCheck Admin(ErrorWriter write_error);
  // Only the throttle (routes whose credentials are in the body).
  http::HeadCheck ThrottleOnly(ErrorWriter write_error);

  // An authentication failure from `peer` found later (in the body), counted too.
  void Failed(const std::string& peer);
  bool AdminTokenMatches(const http::Request& req) const;

 private:
  struct Minute {
    int64_t start_ms = 0;
    int failures = 0;
  };
  // The answer for a throttled address, or nullopt.
  std::optional<http::Response> Throttled(const std::string& peer, const ErrorWriter& write);
  std::optional<http::Response> Refuse(const std::string& peer, const Status& st,
                                       const ErrorWriter& write);

  AppAuthenticator& auth_;
  const Clock& clock_;
  const std::string admin_token_;
  const int limit_;  // 0: no throttle
  std::mutex mu_;
  std::unordered_map<std::string, Minute> minutes_;  // GUARDED_BY(mu_)
};

}  // namespace tock::api
