// Helpers for the console's integration tests: a client that sends any method with any
// headers (the admin JSON API has DELETE and path-only POSTs), the admin Authorization
// header, a weekly schedule body, and a $ref check for the OpenAPI document.
//
// Thread-safety: call from the test thread only.
#pragma once

#include <httplib.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "testutil/api_client.h"
#include "testutil/tock_process.h"

namespace tock::testing {

// The tock the console's API suites share (their 401 checks stay out of the shared server's
// per-address failure budget). Started on first use; SIGKILLed at exit.
TockProcess& ConsoleTock();

class RawClient {
 public:
  explicit RawClient(const TockProcess& tock);
  // One request; the body, when not empty, goes as application/json.
  ApiResponse Send(const std::string& method, const std::string& path,
                   const std::string& body = "", const httplib::Headers& headers = {});

 private:
  httplib::Client client_;
};

// {"Authorization": "Bearer <the server's admin token>"}.
httplib::Headers AdminHeaders(const TockProcess& tock);

// A /v4/schedules create body: every 2 weeks on Wednesday and Friday at 12:00 in Asia/Tokyo,
// from a minute from now for 60 days. The console puts it in words as
// "every 2 weeks on Wed, Fri at 12:00, Asia/Tokyo" (kWeeklyWords).
std::string WeeklyScheduleBody(const std::string& name);
inline constexpr const char* kWeeklyWords = "every 2 weeks on Wed, Fri at 12:00, Asia/Tokyo";

// Every "$ref" under `node` that does not resolve to a member of `root` (local refs only).
std::vector<std::string> DanglingRefs(simdjson::dom::element root, simdjson::dom::element node);

// The directory the browser test writes its screenshots into: <build dir>/screenshots.
std::string ScreenshotDir();

}  // namespace tock::testing
