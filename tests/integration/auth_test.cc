// Authentication (SPEC §2): admin Bearer token; application Basic or signed headers, with
// the checks tock adds over the original (time window, replay, payload, secret).
#include <cctype>

#include "auth/signing.h"
#include "integration/integration_util.h"

namespace tock::testing {
namespace {

bool AllAlnum(const std::string& s) {
  for (unsigned char c : s) {
    if (!std::isalnum(c)) return false;
  }
  return true;
}

// A create request with the given headers; the body is the one the headers were signed for.
ApiResponse SignedCreate(ApiClient& api, const App& app, const SignedOverrides& o,
                         const std::string& body = TaskSpec{}.ToJson()) {
  return api.Post("/task/create", body, SignedHeaders(app, body, o));
}

}  // namespace

TEST_SUITE("Auth") {
  TEST_CASE("application/create returns credentials in the documented shape") {
    Receiver rx;
    ApiClient api(SharedTock());
    App app = api.CreateApp(rx.Url());
    const ApiResponse& r = app.create_response;
    INFO("create: ", r.Describe());
    REQUIRE(r.status == 200);
    CHECK(r.code() == 0);
    CHECK(app.app_key.size() == 16);
    CHECK(AllAlnum(app.app_key));
    CHECK(app.secret_key.size() == 32);
    CHECK(AllAlnum(app.secret_key));
    // Its own random key, independent of the secretKey (a callback carries no credential).
    CHECK(app.webhook_secret.rfind("whsec_", 0) == 0);
    CHECK(WebhookKeyBytes(app).size() == 32);
    CHECK(app.webhook_secret != WebhookSecretFor(app.secret_key));
    // The signed tuple for old clients is valid under the new secret.
    const std::string ts = r.Str("/data/timestamps");
    const std::string nonce = r.Str("/data/nonce");
    const std::string payload = r.Str("/data/payload");
    CHECK(nonce != "<missing>");
    CHECK(ts != "<missing>");
    CHECK(payload != "<missing>");
    CHECK(r.Str("/data/signature") == SerendipitySignature(app.secret_key, ts, nonce, payload));

    // Two applications never share keys.
    App other = api.CreateApp(rx.Url());
    REQUIRE(other.ok());
    CHECK(other.app_key != app.app_key);
    CHECK(other.secret_key != app.secret_key);
  }

  TEST_CASE("the admin routes need the admin Bearer token") {
    Receiver rx;
    ApiClient api(SharedTock());
    const std::string body = ApiClient::AppBody(rx.Url(), {});
    CheckError(api.Post("/application/create", body), 401, "");
    CheckError(api.AdminPost("/application/create", body, "wrong-token"), 401, "");
    CheckError(api.AdminPost("/application/create", body, ""), 401, "");
    CheckError(api.Post("/application/create", body,
                        {{"Authorization", "Basic " + Base64Encode("a:b")}}),
               401, "");
    CheckError(api.Post("/application/create", body,
                        {{"Authorization", api.admin_token()}}),  // no "Bearer "
               401, "");
    ApiResponse ok = api.AdminPost("/application/create", body);
    CHECK_MESSAGE(ok.status == 200, ok.Describe());
  }

  TEST_CASE("Basic credentials and signed headers are both accepted") {
    AppFixture f;
    ApiResponse basic = f.api.CreateTask(f.app, {.runtime = RuntimeJson(WallNowMs() + 3600000)},
                                         Auth::kBasic);
    CHECK_MESSAGE(basic.status == 200, basic.Describe());
    ApiResponse signed_ = f.api.CreateTask(
        f.app, {.runtime = RuntimeJson(WallNowMs() + 3600000)}, Auth::kSigned);
    CHECK_MESSAGE(signed_.status == 200, signed_.Describe());
    // A signed GET signs the empty body.
    ApiResponse d = f.api.Detail(f.app, signed_.Int("/data/taskId"), Auth::kSigned);
    CHECK_MESSAGE(d.status == 200, d.Describe());
    // A timestamp inside the 300 s window is fine in either direction.
    ApiResponse past = SignedCreate(f.api, f.app, {.timestamps_s = WallNowMs() / 1000 - 200});
    CHECK_MESSAGE(past.status == 200, past.Describe());
    ApiResponse future = SignedCreate(f.api, f.app, {.timestamps_s = WallNowMs() / 1000 + 200});
    CHECK_MESSAGE(future.status == 200, future.Describe());
  }

  TEST_CASE("missing credentials are 401") {
    AppFixture f;
    CheckError(f.api.CreateTask(f.app, {}, Auth::kNone), 401, "");
    CheckError(f.api.Detail(f.app, 1, Auth::kNone), 401, "");
    CheckError(f.api.Post("/task/cancel", R"({"id":1})"), 401, "");
    CheckError(f.api.Post("/task/publish", R"({"task_id":1})"), 401, "");
    // A partial signed set is no credential either.
    const std::string body = TaskSpec{}.ToJson();
    httplib::Headers h = SignedHeaders(f.app, body);
    h.erase("signature");
    CheckError(f.api.Post("/task/create", body, h), 401, "");
    CHECK(f.receiver.Count() == 0);
  }

  TEST_CASE("a wrong secret is 401, in Basic and in signed form") {
    AppFixture f;
    const std::string body = TaskSpec{}.ToJson();
    CheckError(f.api.Post("/task/create", body,
                          {{"Authorization", BasicAuthValue(f.app.app_key, "x" + f.app.secret_key)}}),
               401, "");
    CheckError(f.api.Post("/task/create", body,
                          {{"Authorization", "Basic !!!not-base64!!!"}}),
               401, "");
    CheckError(SignedCreate(f.api, f.app, {.signing_secret = std::string(32, 'A')}), 401, "");
  }

  TEST_CASE("an unknown app_key is 401, in Basic and in signed form") {
    AppFixture f;
    const std::string body = TaskSpec{}.ToJson();
    CheckError(f.api.Post("/task/create", body,
                          {{"Authorization", BasicAuthValue("NoSuchAppKey0000", f.app.secret_key)}}),
               401, "");
    CheckError(SignedCreate(f.api, f.app, {.app_key = "NoSuchAppKey0000"}), 401, "");
  }

  TEST_CASE("timestamps more than 300 s away are 401 in either direction") {
    AppFixture f;
    const int64_t now_s = WallNowMs() / 1000;
    CheckError(SignedCreate(f.api, f.app, {.timestamps_s = now_s - 310}), 401, "");
    CheckError(SignedCreate(f.api, f.app, {.timestamps_s = now_s + 310}), 401, "");
    CheckError(SignedCreate(f.api, f.app, {.timestamps_s = 1627371056}), 401, "");  // 2021
  }

  TEST_CASE("a nonce reused by the same application inside the window is 401") {
    AppFixture f;
    const std::string nonce = "replay" + RandomAlnum(10);
    ApiResponse first = SignedCreate(f.api, f.app, {.nonce = nonce});
    REQUIRE_MESSAGE(first.status == 200, first.Describe());
    // The very same request again (a replay) ...
    CheckError(SignedCreate(f.api, f.app, {.nonce = nonce}), 401, "");
    // ... and a different, correctly signed body with the old nonce.
    CheckError(SignedCreate(f.api, f.app, {.nonce = nonce},
                            TaskSpec{.task_no = "other-body"}.ToJson()),
               401, "");
    // Nonces are per application: another one may use the same nonce.
    ApiClient api(SharedTock());
    App other = api.CreateApp(f.receiver.Url("/other"));
    REQUIRE(other.ok());
    ApiResponse theirs = SignedCreate(api, other, {.nonce = nonce});
    CHECK_MESSAGE(theirs.status == 200, theirs.Describe());
  }

  TEST_CASE("a payload that is not the body's SHA-256 is 401") {
    AppFixture f;
    const std::string body = TaskSpec{}.ToJson();
    // Correctly signed, but for another body's hash.
    CheckError(SignedCreate(f.api, f.app, {.payload = Sha256Hex(body + " ")}, body), 401, "");
    // The original's md5-looking payloads are not accepted either.
    CheckError(SignedCreate(f.api, f.app, {.payload = "57bcd60eefcac9701fd2407080a5a7b0"}, body),
               401, "");
    CHECK(f.receiver.Count() == 0);
  }
}

}  // namespace tock::testing
