// CallbackBuilder: the signature headers of a delivery before, during and after a secret
// rotation's grace period (issue: secret rotation).
#include "dispatch/callback_builder.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "auth/signed_request.h"
#include "auth/signing.h"

namespace tock {
namespace {

constexpr int64_t kNowMs = 1'750'000'000'123;

App MakeApp() {
  App a;
  a.app_key = "AppKey0123456789";
  a.secret_key = "NewSecretNewSecretNewSecret01234";
  a.name = "demo";
  a.link_url = "http://127.0.0.1:1/hook";
  return a;
}

Task MakeTask() {
  Task t;
  t.id = 4242;
  t.app_key = "AppKey0123456789";
  t.task_no = "order-1";
  t.content = R"({"k":1})";
  t.runtime_ms = kNowMs - 5;
  return t;
}

std::string HeaderValue(const HeaderList& h, std::string_view name) {
  for (const auto& [k, v] : h) {
    if (k == name) return v;
  }
  return "<missing>";
}

std::vector<std::string> SplitSpaces(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t sp = s.find(' ', start);
    if (sp == std::string::npos) sp = s.size();
    out.push_back(s.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

}  // namespace

TEST_SUITE("CallbackBuilder") {
  TEST_CASE("an application with its own webhook key signs Standard Webhooks with it") {
    App app = MakeApp();
    app.webhook_key = std::string(32, '\x5a');
    const Task task = MakeTask();
    const std::string body = BuildCallbackBody(task, 1);
    const HeaderList h = BuildCallbackHeaders(app, task, body, kNowMs);
    CHECK(HeaderValue(h, "webhook-signature") ==
          StandardWebhookSignature(app.webhook_key, "4242", kNowMs / 1000, body));
    CHECK(HeaderValue(h, "webhook-signature") !=
          StandardWebhookSignature(app.secret_key, "4242", kNowMs / 1000, body));
    // The Serendipity set still verifies with the secretKey (receivers keep working)...
    const std::string ts = HeaderValue(h, "timestamps");
    const std::string nonce = HeaderValue(h, "nonce");
    CHECK(HeaderValue(h, "signature") ==
          SerendipitySignature(app.secret_key, ts, nonce, Sha256Hex(body)));
    // ... and its nonce is tock's own: tock refuses it on any request (app_auth.cc).
    CHECK(IsCallbackNonce(nonce, app.secret_key));
    CHECK_FALSE(IsCallbackNonce(nonce, "AnotherSecretAnotherSecret012345"));
    CHECK(IsValidNonce(nonce));
    // During a grace period the previous webhook key signs second.
    app.previous_secret = "OldSecretOldSecretOldSecret01234";
    app.previous_webhook_key = std::string(32, '\x11');
    app.previous_secret_until_ms = kNowMs + 1000;
    const std::vector<std::string> sigs =
        SplitSpaces(HeaderValue(BuildCallbackHeaders(app, task, body, kNowMs), "webhook-signature"));
    REQUIRE(sigs.size() == 2);
    CHECK(sigs[1] ==
          StandardWebhookSignature(app.previous_webhook_key, "4242", kNowMs / 1000, body));
  }

  TEST_CASE("random client nonces are not taken for callback nonces") {
    int false_positives = 0;
    for (int i = 0; i < 100000; ++i) {
      false_positives += IsCallbackNonce(RandomAlnum(16), "NewSecretNewSecretNewSecret01234");
    }
    CHECK(false_positives == 0);
    CHECK_FALSE(IsCallbackNonce("short", "s"));
    CHECK_FALSE(IsCallbackNonce(std::string(17, 'a'), "s"));
  }

  TEST_CASE("without a previous secret: one v1 signature with the secret") {
    const App app = MakeApp();
    const Task task = MakeTask();
    const std::string body = BuildCallbackBody(task, 1);
    const HeaderList h = BuildCallbackHeaders(app, task, body, kNowMs);
    CHECK(HeaderValue(h, "webhook-id") == "4242");
    CHECK(HeaderValue(h, "webhook-timestamp") == std::to_string(kNowMs / 1000));
    CHECK(HeaderValue(h, "webhook-signature") ==
          StandardWebhookSignature(app.secret_key, "4242", kNowMs / 1000, body));
    const std::string ts = HeaderValue(h, "timestamps");
    CHECK(ts == std::to_string(kNowMs / 1000));
    CHECK(HeaderValue(h, "payload") == Sha256Hex(body));
    CHECK(HeaderValue(h, "signature") ==
          SerendipitySignature(app.secret_key, ts, HeaderValue(h, "nonce"), Sha256Hex(body)));
  }

  TEST_CASE("during the grace period: v1,<new> v1,<old>, each verifying with its secret") {
    App app = MakeApp();
    app.previous_secret = "OldSecretOldSecretOldSecret01234";
    app.previous_secret_until_ms = kNowMs + 1;  // 1 ms of grace left
    const Task task = MakeTask();
    const std::string body = BuildCallbackBody(task, 2);
    const HeaderList h = BuildCallbackHeaders(app, task, body, kNowMs);
    const std::vector<std::string> sigs = SplitSpaces(HeaderValue(h, "webhook-signature"));
    REQUIRE(sigs.size() == 2);
    CHECK(sigs[0] == StandardWebhookSignature(app.secret_key, "4242", kNowMs / 1000, body));
    CHECK(sigs[1] ==
          StandardWebhookSignature(app.previous_secret, "4242", kNowMs / 1000, body));
    CHECK(sigs[0].rfind("v1,", 0) == 0);
    CHECK(sigs[1].rfind("v1,", 0) == 0);
    CHECK(sigs[0] != sigs[1]);
    // The Serendipity header has room for one signature: the new secret's.
    const std::string ts = HeaderValue(h, "timestamps");
    CHECK(HeaderValue(h, "signature") ==
          SerendipitySignature(app.secret_key, ts, HeaderValue(h, "nonce"), Sha256Hex(body)));
  }

  TEST_CASE("after the grace period (to the millisecond): only the new signature") {
    App app = MakeApp();
    app.previous_secret = "OldSecretOldSecretOldSecret01234";
    app.previous_secret_until_ms = kNowMs;  // ended exactly now
    const Task task = MakeTask();
    const std::string body = BuildCallbackBody(task, 3);
    const HeaderList h = BuildCallbackHeaders(app, task, body, kNowMs);
    CHECK(HeaderValue(h, "webhook-signature") ==
          StandardWebhookSignature(app.secret_key, "4242", kNowMs / 1000, body));
    // Still within the same second as the deadline: seconds would have got this wrong.
    app.previous_secret_until_ms = kNowMs - 100;
    CHECK(SplitSpaces(HeaderValue(BuildCallbackHeaders(app, task, body, kNowMs),
                                  "webhook-signature"))
              .size() == 1);
  }

  TEST_CASE("a deadline without a previous secret adds nothing") {
    App app = MakeApp();
    app.previous_secret_until_ms = kNowMs + 60'000;
    const Task task = MakeTask();
    const std::string body = BuildCallbackBody(task, 1);
    CHECK(HeaderValue(BuildCallbackHeaders(app, task, body, kNowMs), "webhook-signature")
              .find(' ') == std::string::npos);
  }
}

}  // namespace tock
