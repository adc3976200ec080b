#include "integration_schedules/schedule_it_util.h"

#include <cstdlib>

namespace tock::testing {

namespace {
std::unique_ptr<TockProcess>& SharedSlot() {
  static std::unique_ptr<TockProcess> shared;
  return shared;
}
}  // namespace

std::unique_ptr<TockProcess> StartScheduleTock(std::vector<std::string> extra_args) {
  auto tock = std::make_unique<TockProcess>(
      TockProcess::Options{.binary = TOCK_BINARY, .extra_args = std::move(extra_args)});
  std::string error;
  REQUIRE_MESSAGE(tock->Start(&error), error);
  return tock;
}

TockProcess& ScheduleSharedTock() {
  std::unique_ptr<TockProcess>& shared = SharedSlot();
  if (!shared) shared = StartScheduleTock();
  REQUIRE_MESSAGE(shared->running(), "the shared schedules tock died; log: " << shared->ReadLog());
  return *shared;
}

ScheduleClient::ScheduleClient(const TockProcess& tock, std::string prefix)
    : host_(tock.host()), port_(tock.port()), prefix_(std::move(prefix)) {}

ApiResponse ScheduleClient::Request(const std::string& method, const std::string& path,
                                    const App& app, const std::string& body) {
  return RequestWithAuth(method, path, BasicAuthValue(app.app_key, app.secret_key), body);
}

ApiResponse ScheduleClient::RequestWithAuth(const std::string& method, const std::string& path,
                                            const std::string& authorization,
                                            const std::string& body) {
  httplib::Client client(host_, port_);
  client.set_read_timeout(10, 0);
  httplib::Headers headers;
  if (!authorization.empty()) headers.emplace("Authorization", authorization);
  auto send = [&]() -> httplib::Result {
    if (method == "GET") return client.Get(path, headers);
    if (method == "POST") return client.Post(path, headers, body, "application/json");
    if (method == "PUT") return client.Put(path, headers, body, "application/json");
    if (method == "DELETE") return client.Delete(path, headers, body, "application/json");
    return client.Patch(path, headers, body, "application/json");
  };
  httplib::Result res = send();
  ApiResponse r;
  if (res) {
    r.status = res->status;
    r.body = res->body;
    r.headers = res->headers;
  } else {
    r.transport_error = httplib::to_string(res.error());
  }
  r.Parse();
  return r;
}

std::string ScheduleClient::MustCreate(const App& app, const std::string& body) {
  ApiResponse r = Create(app, body);
  REQUIRE_MESSAGE(r.status == 200, r.Describe());
  std::string id = r.Str("/schedule_id");
  REQUIRE_MESSAGE(id.size() == 36, r.Describe());
  return id;
}

std::string SingleTrigger(int64_t at_ms) {
  return R"({"single":{"time":")" + WallTimeString(at_ms) + R"(","zone_type":1}})";
}

int64_t WholeSecondAfter(int64_t lead_ms) {
  return ((WallNowMs() + lead_ms + 999) / 1000) * 1000;
}

std::string ScheduleBody(const std::string& name_json, const std::string& enabled_json,
                         const std::string& trigger_json, const std::string& push_json) {
  std::string out = "{";
  auto add = [&out](const char* key, const std::string& v) {
    if (v.empty()) return;
    if (out.size() > 1) out += ",";
    out += "\"" + std::string(key) + "\":" + v;
  };
  add("name", name_json);
  add("enabled", enabled_json);
  add("trigger", trigger_json);
  add("push", push_json);
  return out + "}";
}

std::string SingleBody(int64_t at_ms, const std::string& name, const std::string& push) {
  return ScheduleBody(JsonString(name), "true", SingleTrigger(at_ms), push);
}

void CheckScheduleError(const ApiResponse& r, int http_status, int code,
                        const std::string& needle) {
  CHECK_MESSAGE(r.status == http_status, r.Describe());
  CHECK_MESSAGE(r.Int("/error/code") == code, r.Describe());
  CHECK_MESSAGE(r.Has("/error/message"), r.Describe());
  if (!needle.empty()) {
    CHECK_MESSAGE(r.Str("/error/message").find(needle) != std::string::npos,
                  "expected \"" << needle << "\" in " << r.Describe());
  }
}

}  // namespace tock::testing
