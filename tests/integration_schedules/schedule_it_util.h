// Helpers for the schedules integration tests: a Basic-auth client for /v4/schedules with the
// PUT and DELETE that testutil's ApiClient lacks, a server shared by the suites that neither
// kill nor reconfigure it, and builders for request bodies.
//
// Thread-safety: call from the test thread only (TockProcess must be started from the thread
// that outlives it).
#pragma once

// Designated initializers that name only the fields they set (AppOptions{.step = 1}).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "testutil/api_client.h"
#include "testutil/receiver.h"
#include "testutil/tock_process.h"

namespace tock::testing {

using namespace std::chrono_literals;

// The tock shared by the schedule suites that do not kill or reconfigure it. Started on
// first use; SIGKILLed at exit.
TockProcess& ScheduleSharedTock();
// A fresh tock with its own data dir; REQUIREs that it started.
std::unique_ptr<TockProcess> StartScheduleTock(std::vector<std::string> extra_args = {});

// /v4/schedules (or `prefix`: "/v3/schedules") with Basic auth (or the given Authorization
// value).
class ScheduleClient {
 public:
  explicit ScheduleClient(const TockProcess& tock, std::string prefix = "/v4/schedules");

  ApiResponse Request(const std::string& method, const std::string& path, const App& app,
                      const std::string& body = "");
  // Raw: exactly the headers given (none for auth tests).
  ApiResponse RequestWithAuth(const std::string& method, const std::string& path,
                              const std::string& authorization, const std::string& body = "");

  ApiResponse Create(const App& app, const std::string& body) {
    return Request("POST", prefix_, app, body);
  }
  ApiResponse Get(const App& app, const std::string& id) {
    return Request("GET", prefix_ + "/" + id, app);
  }
  ApiResponse List(const App& app, const std::string& query = "") {
    return Request("GET", prefix_ + query, app);
  }
  ApiResponse Update(const App& app, const std::string& id, const std::string& body) {
    return Request("PUT", prefix_ + "/" + id, app, body);
  }
  ApiResponse Delete(const App& app, const std::string& id) {
    return Request("DELETE", prefix_ + "/" + id, app);
  }
  ApiResponse MsgIds(const App& app, const std::string& id) {
    return Request("GET", prefix_ + "/" + id + "/msg-ids", app);
  }

  // Creates a schedule and REQUIREs a 200; returns its schedule_id.
  std::string MustCreate(const App& app, const std::string& body);

 private:
  std::string host_;
  int port_;
  std::string prefix_;
};

// {"single":{"time":"<UTC wall time of at_ms>","zone_type":1}} (the servers run in UTC).
std::string SingleTrigger(int64_t at_ms);
// A whole-second wall time at least `lead_ms` from now (single times have no fractions).
int64_t WholeSecondAfter(int64_t lead_ms);
// A create/update body; each part is raw JSON, an empty string leaves the field out.
std::string ScheduleBody(const std::string& name_json, const std::string& enabled_json,
                         const std::string& trigger_json, const std::string& push_json);
// A valid create body firing once at at_ms.
std::string SingleBody(int64_t at_ms, const std::string& name = "it schedule",
                       const std::string& push = R"({"msg":"hello","n":1})");

// An error response of the schedules surface: HTTP status, error.code, and (when given) a
// message containing `needle`. CHECKs, so one call reports every mismatch.
void CheckScheduleError(const ApiResponse& r, int http_status, int code,
                        const std::string& needle = "");

}  // namespace tock::testing
