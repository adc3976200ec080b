// One delivery attempt as the callback client sees it: the request (one POST of a callback
// body to an application's linkUrl) and its result.
//
// A failed callback is an outcome, not an error (STYLE "Errors"): sending never throws and
// never returns a Status; everything that went wrong is in CallbackResult::error.
//
// The client is CallbackClient (callback/callback_client.h). Thread-safety: plain values.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tock {

struct CallbackRequest {
  // Absolute http(s) URL; validated by ParseCallbackUrl (callback/url.h) when the
  // application was created. Send() parses it again and fails the attempt if it is bad.
  std::string url;
  std::string body;  // JSON; sent as is
  // Sent as given. Names must be HTTP tokens and values must not hold CR, LF or NUL; Host,
  // Content-Length, Transfer-Encoding and Connection are the sender's own and rejected.
  // Content-Type defaults to application/json and User-Agent to the sender's, unless given.
  std::vector<std::pair<std::string, std::string>> headers;
  // Budget of the whole attempt: connect + TLS + write + read. Values below 1 count as 1.
  int timeout_ms = 30000;
  // When it becomes true, the attempt is abandoned as soon as the sender notices
  // (best effort, within tens of milliseconds while waiting for the response). May be null.
  // REQUIRES: outlives the Send() call.
  const std::atomic<bool>* cancel = nullptr;
};

// Invariant: error.empty() == (http_status != 0). A response that was cut off (too large,
// timed out or cancelled while reading its body) counts as no response: status 0, and the
// error names the status that had arrived.
struct CallbackResult {
  int http_status = 0;           // 0 when there is no complete HTTP response
  std::string body_prefix;       // first 1024 bytes of the response body (even when cut off)
  bool body_is_success = false;  // whole body, trimmed of ASCII whitespace, == "success"
  // Empty on a complete HTTP response (whatever its status). Otherwise one line, e.g.
  // "timeout after 30000 ms", "connection refused or unreachable (127.0.0.1:9)",
  // "response body over 65536 bytes (HTTP 200)", "response headers too large",
  // "address denied (169.254.169.254:80)", "cancelled". A timeout always starts with
  // "timeout" (the dispatcher relies on it).
  std::string error;
  int64_t duration_ms = 0;  // wall time of the whole attempt
  // A Retry-After header on the answer (seconds or an HTTP date), as wall ms; 0: none.
  int64_t retry_after_wall_ms = 0;
  // The attempt failed on this machine, not at the receiver: no socket could be opened
  // (EMFILE, ENFILE, ENOBUFS, ENOMEM). It says nothing of the receiver and is not recorded
  // as an attempt: the delivery waits and runs again.
  bool local_error = false;
  // The connection was refused, reset or unreachable, or no answer came in time: the
  // receiver (or the way to it) is overloaded or down.
  bool connection_failed = false;
};

}  // namespace tock
