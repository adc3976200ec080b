// Helpers shared by the route files. Includes cpp-httplib: include only from api/*.cc.
#pragma once

#include <httplib.h>

#include <string>

#include "api/responses.h"
#include "common/status.h"

namespace tock::api {

inline void SendJson(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.set_content(std::move(body), "application/json");
}

// A Serendipity-style error: the HTTP status from the Status code, body {"code":1,...}.
inline void SendError(httplib::Response& res, const Status& st) {
  SendJson(res, HttpStatusFor(st.code()), ErrorBody(st));
}

}  // namespace tock::api
