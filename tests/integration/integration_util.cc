#include "integration/integration_util.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "common/json_writer.h"
#include "testutil/pg_server.h"

namespace tock::testing {

std::vector<std::string> StoreArgs() {
  const char* store = std::getenv("TOCK_IT_STORE");
  if (store == nullptr || std::string(store) != "postgresql") return {};
  return {"--store", PgServer::Shared().NewDatabase()};
}

TockProcess& SharedTock() {
  static TockProcess* tock = [] {
    auto* t = new TockProcess({.binary = TOCK_BINARY, .extra_args = StoreArgs()});
    std::string error;
    if (!t->Start(&error)) {
      std::fprintf(stderr, "shared tock failed to start: %s\n", error.c_str());
    }
    // Killed and cleaned up at exit, after every test case ran.
    std::atexit([] { delete tock; });
    return t;
  }();
  REQUIRE_MESSAGE(tock->running(),
                  "the shared tock server is not running; log:\n" << tock->ReadLog());
  return *tock;
}

std::unique_ptr<TockProcess> StartOwnTock(std::vector<std::string> extra_args) {
  std::vector<std::string> store = StoreArgs();
  extra_args.insert(extra_args.begin(), store.begin(), store.end());
  auto tock = std::make_unique<TockProcess>(
      TockProcess::Options{.binary = TOCK_BINARY, .extra_args = std::move(extra_args)});
  std::string error;
  REQUIRE_MESSAGE(tock->Start(&error), error);
  return tock;
}

int VerifyStandardWebhook(const std::string& webhook_secret, const ReceivedRequest& req,
                          std::string* output) {
  return VerifyStandardWebhook(webhook_secret, req, req.body, output);
}

int RunNodeScript(const std::string& script, const std::string& case_json, std::string* output,
                  std::chrono::milliseconds timeout) {
  std::string dir = MakeTempDir("tock-it-node-");
  if (dir.empty()) {
    if (output) *output = "no temp dir";
    return -1;
  }
  std::string path = dir + "/case.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << case_json;
  }
  int rc = RunProcess({"node", std::string(TOCK_SOURCE_ROOT) + "/" + script, path}, output,
                      timeout);
  std::remove(path.c_str());
  std::remove(dir.c_str());
  return rc;
}

int VerifyStandardWebhook(const std::string& webhook_secret, const ReceivedRequest& req,
                          const std::string& body, std::string* output) {
  JsonWriter w;
  w.BeginObject();
  w.Key("secret"); w.String(webhook_secret);
  w.Key("headers"); w.BeginObject();
  for (const char* name : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
    if (req.HasHeader(name)) { w.Key(name); w.String(req.Header(name)); }
  }
  w.EndObject();
  w.Key("body"); w.String(body);
  w.EndObject();
  return RunNodeScript("tests/integration/verify_webhook.mjs", w.str(), output);
}

AppFixture::AppFixture(const AppOptions& options) : AppFixture(SharedTock(), options) {}

AppFixture::AppFixture(TockProcess& tock, const AppOptions& options) : api(tock) {
  REQUIRE(receiver.ok());
  app = api.CreateApp(receiver.Url(), options);
  REQUIRE_MESSAGE(app.ok(), "create app: " << app.create_response.Describe());
}

int64_t AppFixture::MustCreate(const TaskSpec& spec) {
  ApiResponse r = api.CreateTask(app, spec);
  REQUIRE_MESSAGE(r.status == 200, "create task: " << r.Describe());
  REQUIRE_MESSAGE(r.code() == 0, "create task: " << r.Describe());
  int64_t id = r.Int("/data/taskId");
  REQUIRE_MESSAGE(id != INT64_MIN, "create task: no integer taskId: " << r.Describe());
  return id;
}

ApiResponse ParseJson(const std::string& text) {
  ApiResponse r;
  r.status = 200;
  r.body = text;
  r.Parse();
  return r;
}

void CheckError(const ApiResponse& r, int http_status, const std::string& field) {
  INFO("response: ", r.Describe());
  CHECK(r.status == http_status);
  CHECK(r.json_ok());
  CHECK(r.code() == 1);
  CHECK(r.Size("/data") == 0);  // {"data":{}}
  std::string msg = r.msg();
  INFO("msg: ", msg, "  expected to name: ", field);
  CHECK(Contains(msg, field));
}

}  // namespace tock::testing
