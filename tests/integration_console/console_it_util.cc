#include "integration_console/console_it_util.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include <doctest/doctest.h>

#include "integration/integration_util.h"
#include "integration_schedules/schedule_it_util.h"
#include "testutil/receiver.h"

namespace tock::testing {

TockProcess& ConsoleTock() {
  static TockProcess* tock = [] {
    // On the store the run asks for (TOCK_IT_STORE): tools/test.sh runs the admin API suite
    // on PostgreSQL too.
    auto* t = new TockProcess({.binary = TOCK_BINARY, .extra_args = StoreArgs()});
    std::string error;
    if (!t->Start(&error)) std::fprintf(stderr, "console tock failed to start: %s\n", error.c_str());
    std::atexit([] { delete tock; });
    return t;
  }();
  REQUIRE_MESSAGE(tock->running(), "the console tock is not running; log:\n" << tock->ReadLog());
  return *tock;
}

RawClient::RawClient(const TockProcess& tock) : client_(tock.host(), tock.port()) {
  client_.set_connection_timeout(10);
  client_.set_read_timeout(60);
  client_.set_keep_alive(true);
}

ApiResponse RawClient::Send(const std::string& method, const std::string& path,
                            const std::string& body, const httplib::Headers& headers) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = headers;
  if (!body.empty() || method == "POST") {
    req.body = body;
    req.set_header("Content-Type", "application/json");
  }
  httplib::Result res = client_.send(req);
  ApiResponse r;
  if (!res) {
    r.transport_error = httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.body = res->body;
  r.headers = res->headers;
  r.Parse();
  return r;
}

httplib::Headers AdminHeaders(const TockProcess& tock) {
  return {{"Authorization", "Bearer " + tock.admin_token()}};
}

std::string WeeklyScheduleBody(const std::string& name) {
  const int64_t tokyo = 9 * 3600;
  const int64_t start = WallNowMs() + 60'000;
  const std::string trigger =
      R"({"periodical":{"start":")" + WallTimeString(start, tokyo) + R"(","end":")" +
      WallTimeString(start + 60LL * 86'400'000, tokyo) +
      R"(","time":"12:00:00","time_unit":"WEEK","frequency":2,"point":["WED","FRI"],)"
      R"("zone_type":2,"time_zone":"Asia/Tokyo"}})";
  return ScheduleBody(JsonString(name), "true", trigger, R"({"msg":"hello","n":1})");
}

std::vector<std::string> DanglingRefs(simdjson::dom::element root, simdjson::dom::element node) {
  std::vector<std::string> out;
  simdjson::dom::object obj;
  simdjson::dom::array arr;
  if (node.get(obj) == simdjson::SUCCESS) {
    for (auto [key, value] : obj) {
      std::string_view ref;
      if (key == "$ref" && value.get(ref) == simdjson::SUCCESS) {
        if (ref.substr(0, 1) != "#" || root.at_pointer(ref.substr(1)).error() != simdjson::SUCCESS) {
          out.emplace_back(ref);
        }
        continue;
      }
      for (std::string& d : DanglingRefs(root, value)) out.push_back(std::move(d));
    }
  } else if (node.get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : arr) {
      for (std::string& d : DanglingRefs(root, e)) out.push_back(std::move(d));
    }
  }
  return out;
}

std::string ScreenshotDir() {
  const std::string dir = std::string(TOCK_BUILD_ROOT) + "/screenshots";
  ::mkdir(dir.c_str(), 0755);
  return dir;
}

}  // namespace tock::testing
