// Secret rotation (issue: secret rotation): POST /application/rotate-secret, the previous
// secret's grace period for incoming auth, and the second `v1,` signature on callbacks.
// Against the real tock binary; signatures are checked with the npm `standardwebhooks`
// library.
#include <string>
#include <thread>
#include <vector>

#include "integration/integration_util.h"

namespace tock::testing {
namespace {

std::string RotateBody(const App& app, const std::string& extra = "") {
  return "{\"app_key\":" + JsonString(app.app_key) + ",\"secret_key\":" +
         JsonString(app.secret_key) + extra + "}";
}

// `app` with the credentials of a rotation response. REQUIREs a 200.
App Rotated(const App& app, const ApiResponse& r) {
  REQUIRE_MESSAGE(r.status == 200, "rotate: " << r.Describe());
  REQUIRE(r.code() == 0);
  App next = app;
  next.secret_key = r.Str("/data/secretKey");
  next.webhook_secret = r.Str("/data/webhookSecret");
  CHECK(r.Str("/data/appKey") == app.app_key);
  CHECK(next.secret_key.size() == 32);
  CHECK(next.secret_key != app.secret_key);
  CHECK(next.webhook_secret.rfind("whsec_", 0) == 0);
  return next;
}

std::vector<std::string> Signatures(const ReceivedRequest& req) {
  std::vector<std::string> out;
  const std::string s = req.Header("webhook-signature");
  size_t start = 0;
  while (start < s.size()) {
    size_t sp = s.find(' ', start);
    if (sp == std::string::npos) sp = s.size();
    if (sp > start) out.push_back(s.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

// The delivery with its webhook-signature replaced by one of its signatures.
ReceivedRequest WithOnlySignature(ReceivedRequest req, const std::string& sig) {
  req.headers.erase("webhook-signature");
  req.headers.emplace("webhook-signature", sig);
  return req;
}

int Verify(const std::string& webhook_secret, const ReceivedRequest& req) {
  std::string out;
  int rc = VerifyStandardWebhook(webhook_secret, req, &out);
  INFO("standardwebhooks: ", out);
  return rc;
}

// Waits for delivery number n (1-based) and returns it.
ReceivedRequest Delivery(AppFixture& f, size_t n) {
  REQUIRE_MESSAGE(f.receiver.WaitForCount(n, 6s), "no delivery within 6 s");
  return f.receiver.Requests().at(n - 1);
}

}  // namespace

TEST_SUITE("SecretRotation") {
  TEST_CASE("Secret rotation: both signatures present during the grace period, only the new one after") {
    AppFixture f;
    const App old_app = f.app;
    const int64_t before_ms = WallNowMs();
    ApiResponse r = f.api.Post("/application/rotate-secret",
                               RotateBody(old_app, ",\"graceSeconds\":3"));
    const App new_app = Rotated(old_app, r);
    const int64_t until_ms = r.Int("/data/previousSecretValidUntil");
    CHECK(until_ms >= before_ms + 3000);
    CHECK(until_ms <= WallNowMs() + 3000);

    // During the grace period: both secrets authenticate, in both forms.
    CHECK(f.api.CreateTask(old_app, {}, Auth::kBasic).status == 200);
    CHECK(f.api.CreateTask(new_app, {}, Auth::kBasic).status == 200);
    CHECK(f.api.AppGet(old_app, "/task/detail?id=1", Auth::kSigned).status != 401);
    CHECK(f.api.AppGet(new_app, "/task/detail?id=1", Auth::kSigned).status != 401);
    CHECK(f.api.Post("/application/refresh-signature", RotateBody(old_app)).status == 200);

    // A delivery during the grace period carries v1,<new> v1,<old>.
    const ReceivedRequest during = Delivery(f, 1);
    REQUIRE_MESSAGE(WallNowMs() < until_ms, "the grace period ended before the test ran");
    const std::vector<std::string> sigs = Signatures(during);
    INFO("webhook-signature: ", during.Header("webhook-signature"));
    REQUIRE(sigs.size() == 2);
    CHECK(sigs[0].rfind("v1,", 0) == 0);
    CHECK(sigs[1].rfind("v1,", 0) == 0);
    CHECK(Verify(new_app.webhook_secret, during) == 0);
    CHECK(Verify(old_app.webhook_secret, during) == 0);
    CHECK(Verify(new_app.webhook_secret, WithOnlySignature(during, sigs[0])) == 0);
    CHECK(Verify(old_app.webhook_secret, WithOnlySignature(during, sigs[0])) == 1);
    CHECK(Verify(old_app.webhook_secret, WithOnlySignature(during, sigs[1])) == 0);
    CHECK(Verify(new_app.webhook_secret, WithOnlySignature(during, sigs[1])) == 1);
    REQUIRE(f.receiver.WaitForCount(2, 6s));

    // After the grace period (a server-given deadline on the wall clock, so we wait for it).
    std::this_thread::sleep_for(std::chrono::milliseconds(until_ms - WallNowMs() + 500));
    CHECK(f.api.CreateTask(old_app, {}, Auth::kBasic).status == 401);
    CHECK(f.api.AppGet(old_app, "/task/detail?id=1", Auth::kSigned).status == 401);
    CHECK(f.api.Post("/application/refresh-signature", RotateBody(old_app)).status == 401);
    ApiResponse created = f.api.CreateTask(new_app, {}, Auth::kBasic);
    REQUIRE_MESSAGE(created.status == 200, created.Describe());
    CHECK(f.api.AppGet(new_app, "/task/detail?id=1", Auth::kSigned).status != 401);
    const ReceivedRequest after = Delivery(f, 3);
    CHECK(after.Header("webhook-id") == std::to_string(created.Int("/data/taskId")));
    INFO("webhook-signature after: ", after.Header("webhook-signature"));
    CHECK(Signatures(after).size() == 1);
    CHECK(Verify(new_app.webhook_secret, after) == 0);
    CHECK(Verify(old_app.webhook_secret, after) == 1);
  }

  TEST_CASE("rotating takes the current secret or the admin token; graceSeconds is bounded") {
    AppFixture f;
    App wrong = f.app;
    wrong.secret_key = std::string(32, 'x');
    CheckError(f.api.Post("/application/rotate-secret", RotateBody(wrong)), 401, "");
    CheckError(f.api.Post("/application/rotate-secret",
                          "{\"app_key\":" + JsonString(f.app.app_key) + "}"),
               400, "secret_key");
    CheckError(f.api.AdminPost("/application/rotate-secret",
                               "{\"app_key\":" + JsonString(f.app.app_key) + "}", "wrong"),
               401, "");
    CheckError(f.api.AdminPost("/application/rotate-secret", "{\"app_key\":\"NoSuchApp0000000\"}"),
               404, "app_key");
    CheckError(f.api.Post("/application/rotate-secret", RotateBody(f.app, ",\"graceSeconds\":604801")),
               400, "graceSeconds");
    CheckError(f.api.Post("/application/rotate-secret", RotateBody(f.app, ",\"graceSeconds\":-1")),
               400, "graceSeconds");
    CheckError(f.api.Post("/application/rotate-secret", RotateBody(f.app, ",\"graceSeconds\":\"3\"")),
               400, "graceSeconds");
    // Nothing above changed the secret.
    CHECK(f.api.CreateTask(f.app, {}).status == 200);

    // The admin token needs no secret; the default grace is 24 h.
    const int64_t before_ms = WallNowMs();
    ApiResponse r = f.api.AdminPost("/application/rotate-secret",
                                    "{\"app_key\":" + JsonString(f.app.app_key) + "}");
    const App b = Rotated(f.app, r);
    CHECK(r.Int("/data/previousSecretValidUntil") >= before_ms + 86'400'000);
    CHECK(r.Int("/data/previousSecretValidUntil") <= WallNowMs() + 86'400'000);
    // The previous secret still authenticates requests but cannot rotate.
    CHECK(f.api.CreateTask(f.app, {}).status == 200);
    CheckError(f.api.Post("/application/rotate-secret", RotateBody(f.app)), 401, "");
    CHECK(f.api.CreateTask(b, {}).status == 200);
  }

  TEST_CASE("a rotation during the grace period drops the older secret; graceSeconds 0 ends it at once") {
    AppFixture f;
    const App a = f.app;
    const App b = Rotated(a, f.api.Post("/application/rotate-secret",
                                        RotateBody(a, ",\"graceSeconds\":600")));
    const App c = Rotated(b, f.api.Post("/application/rotate-secret",
                                        RotateBody(b, ",\"graceSeconds\":600")));
    CHECK(f.api.CreateTask(a, {}).status == 401);
    CHECK(f.api.CreateTask(b, {}).status == 200);
    CHECK(f.api.CreateTask(c, {}).status == 200);

    ApiResponse r = f.api.Post("/application/rotate-secret", RotateBody(c, ",\"graceSeconds\":0"));
    const App d = Rotated(c, r);
    CHECK(r.IsNull("/data/previousSecretValidUntil"));
    CHECK(f.api.CreateTask(b, {}).status == 401);
    CHECK(f.api.CreateTask(c, {}).status == 401);
    ApiResponse created = f.api.CreateTask(d, {});
    REQUIRE_MESSAGE(created.status == 200, created.Describe());
    // Its callback, sent after the grace-0 rotation, carries d's signature alone.
    const std::string id = std::to_string(created.Int("/data/taskId"));
    REQUIRE(f.receiver.WaitFor(
        [&](const std::vector<ReceivedRequest>& reqs) {
          for (const auto& q : reqs) {
            if (q.Header("webhook-id") == id) return true;
          }
          return false;
        },
        6s));
    for (const ReceivedRequest& q : f.receiver.Requests()) {
      if (q.Header("webhook-id") != id) continue;
      CHECK(Signatures(q).size() == 1);
      CHECK(Verify(d.webhook_secret, q) == 0);
      CHECK(Verify(c.webhook_secret, q) == 1);
    }
  }

  TEST_CASE("a rotated secret and its grace period survive a restart") {
    std::unique_ptr<TockProcess> tock = StartOwnTock();
    App old_app, new_app;
    {
      ApiClient api(*tock);
      Receiver rx;
      old_app = api.CreateApp(rx.Url());
      REQUIRE_MESSAGE(old_app.ok(), old_app.create_response.Describe());
      new_app = Rotated(old_app, api.Post("/application/rotate-secret",
                                          RotateBody(old_app, ",\"graceSeconds\":600")));
    }
    std::string error;
    REQUIRE_MESSAGE(tock->Restart(&error), error);
    ApiClient api(*tock);
    CHECK(api.AppGet(old_app, "/task/detail?id=1").status == 404);
    CHECK(api.AppGet(new_app, "/task/detail?id=1").status == 404);
    App wrong = new_app;
    wrong.secret_key = std::string(32, 'y');
    CHECK(api.AppGet(wrong, "/task/detail?id=1").status == 401);
  }
}

}  // namespace tock::testing
