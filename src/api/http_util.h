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

// A Serendipity-style error: the HTTP status from the Status code, body {"code":1,...}.
inline void SendError(http::Response& res, const Status& st) {
  SendJson(res, HttpStatusFor(st.code()), ErrorBody(st));
}

// The same, answered through a Responder (asynchronous routes).
inline void AnswerError(http::Responder& responder, const Status& st) {
  http::Response res;
  SendError(res, st);
  responder.Send(std::move(res));
}

}  // namespace tock::api
