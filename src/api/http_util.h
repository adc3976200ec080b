// Helpers shared by the route files.
#pragma once

#include <string>

#include "api/responses.h"
#include "common/status.h"
#include "http/router.h"
#include "http/server.h"

namespace tock::api {

inline void SendJson(http::Response& res, int status, std::string body) {
  res.SetBody(status, std::move(body), "application/json");
}

// Every 503 (Unavailable: "it may pass", common/status.h: the database unreachable, the disk
// full, shutting down) tells the client when to try again: in a second. The PostgreSQL store
// retries its connection every 500 ms and a full disk is looked at as often, so a client
// retrying then finds the store back within a second of its return.
inline void SetRetryAfter(http::Response& res) { res.SetHeader("Retry-After", "1"); }

// A Serendipity-style error: the HTTP status from the Status code, body {"code":1,...}.
inline void SendError(http::Response& res, const Status& st) {
  SendJson(res, HttpStatusFor(st.code()), ErrorBody(st));
  if (st.code() == Code::kUnavailable) SetRetryAfter(res);
}

// The same, answered through a Responder (asynchronous routes).
inline void AnswerError(http::Responder& responder, const Status& st) {
  http::Response res;
  SendError(res, st);
  responder.Send(std::move(res));
}

}  // namespace tock::api
