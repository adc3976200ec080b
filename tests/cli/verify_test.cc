#include "cli/verify.h"

#include <doctest/doctest.h>

#include <string>

#include "auth/signing.h"

namespace tock::cli {
namespace {

// The Standard Webhooks reference vector (standard-webhooks/standard-webhooks, the
// libraries' tests).
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTs = 1614265330;
constexpr const char* kBody = R"({"test": 2432232314})";
constexpr const char* kSig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

HttpMessage Vector(std::string sig = kSig) {
  HttpMessage m;
  m.headers = {{"webhook-id", kId}, {"webhook-timestamp", std::to_string(kTs)},
               {"webhook-signature", sig}};
  m.body = kBody;
  return m;
}

}  // namespace

TEST_SUITE("VerifyParse") {
  TEST_CASE("headers until the empty line, then the body byte for byte") {
    HttpMessage m = ParseHttpMessage(
        "POST /hook HTTP/1.1\r\nHost: x\r\nWebhook-Id: msg_1\r\nwebhook-timestamp:  42 \r\n"
        "\r\n{\"a\":1}\r\nline2\n");
    REQUIRE(m.headers.size() == 3);
    REQUIRE(m.Find("webhook-id") != nullptr);
    CHECK(*m.Find("WEBHOOK-ID") == "msg_1");
    CHECK(*m.Find("webhook-timestamp") == "42");
    CHECK(m.body == "{\"a\":1}\r\nline2\n");
  }

  TEST_CASE("a curl -D - status line is skipped; LF line ends work") {
    HttpMessage m = ParseHttpMessage("HTTP/1.1 200 OK\nA: b\n\nbody");
    REQUIRE(m.headers.size() == 1);
    CHECK(m.headers[0].first == "A");
    CHECK(m.body == "body");
  }

  TEST_CASE("no empty line: all headers, empty body") {
    HttpMessage m = ParseHttpMessage("a: 1\nb: 2");
    CHECK(m.headers.size() == 2);
    CHECK(m.body.empty());
  }

  TEST_CASE("leading empty line: no headers, the rest is the body") {
    HttpMessage m = ParseHttpMessage("\nx: y\n");
    CHECK(m.headers.empty());
    CHECK(m.body == "x: y\n");
  }

  TEST_CASE("header lines are name: value with a token name") {
    std::string n, v;
    CHECK(ParseHeaderLine("webhook-id: abc ", &n, &v));
    CHECK(n == "webhook-id");
    CHECK(v == "abc");
    CHECK_FALSE(ParseHeaderLine("no colon", &n, &v));
    CHECK_FALSE(ParseHeaderLine(": empty name", &n, &v));
    CHECK_FALSE(ParseHeaderLine("POST http://x/ HTTP/1.1", &n, &v));
  }

  TEST_CASE("Set replaces every header of the name, case-insensitively") {
    HttpMessage m = ParseHttpMessage("X-A: 1\nx-a: 2\n\n");
    m.Set("x-A", "3");
    REQUIRE(m.headers.size() == 1);
    CHECK(*m.Find("x-a") == "3");
  }
}

TEST_SUITE("VerifyWebhook") {
  TEST_CASE("the Standard Webhooks reference vector verifies") {
    REQUIRE(InitCrypto());
    Status s = VerifyWebhook(kSecret, Vector(), kTs, {});
    CHECK_MESSAGE(s.ok(), s.message());
    // The secret without its prefix works too.
    CHECK(VerifyWebhook(std::string(kSecret).substr(6), Vector(), kTs, {}).ok());
  }

  TEST_CASE("any of several space-separated signatures may match") {
    REQUIRE(InitCrypto());
    std::string other = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    CHECK(VerifyWebhook(kSecret, Vector(other + " " + kSig), kTs, {}).ok());
    CHECK(VerifyWebhook(kSecret, Vector(std::string("v1a,xyz ") + kSig), kTs, {}).ok());
    Status s = VerifyWebhook(kSecret, Vector(other), kTs, {});
    CHECK(s.message() == "no signature matched");
  }

  TEST_CASE("a tampered body, id or timestamp matches no signature") {
    REQUIRE(InitCrypto());
    HttpMessage m = Vector();
    m.body += " ";
    CHECK(VerifyWebhook(kSecret, m, kTs, {}).message() == "no signature matched");
    m = Vector();
    m.Set("webhook-id", "msg_other");
    CHECK(VerifyWebhook(kSecret, m, kTs, {}).message() == "no signature matched");
    m = Vector();
    m.Set("webhook-timestamp", std::to_string(kTs + 1));
    CHECK(VerifyWebhook(kSecret, m, kTs, {}).message() == "no signature matched");
  }

  TEST_CASE("the timestamp must be within the tolerance unless the check is off") {
    REQUIRE(InitCrypto());
    CHECK(VerifyWebhook(kSecret, Vector(), kTs + 300, {}).ok());
    CHECK(VerifyWebhook(kSecret, Vector(), kTs - 300, {}).ok());
    Status stale = VerifyWebhook(kSecret, Vector(), kTs + 301, {});
    CHECK(stale.message().starts_with("stale timestamp"));
    Status future = VerifyWebhook(kSecret, Vector(), kTs - 301, {});
    CHECK(future.message().starts_with("timestamp in the future"));
    CHECK(VerifyWebhook(kSecret, Vector(), kTs + 86400, {.check_timestamp = false}).ok());
  }

  TEST_CASE("each missing header is named") {
    REQUIRE(InitCrypto());
    for (const char* name : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
      HttpMessage m = Vector();
      std::erase_if(m.headers, [&](const auto& h) { return h.first == name; });
      CHECK(VerifyWebhook(kSecret, m, kTs, {}).message() ==
            std::string("missing header ") + name);
    }
  }

  TEST_CASE("a timestamp that is not unix seconds is refused") {
    REQUIRE(InitCrypto());
    HttpMessage m = Vector();
    m.Set("webhook-timestamp", "2021-02-25");
    CHECK(VerifyWebhook(kSecret, m, kTs, {}).message().starts_with(
        "bad header webhook-timestamp"));
  }

  TEST_CASE("a secret that is not base64 is a bad secret format") {
    REQUIRE(InitCrypto());
    for (const char* bad : {"whsec_", "whsec_!!!!", "", "whsec_abc"}) {
      CHECK(VerifyWebhook(bad, Vector(), kTs, {}).message().starts_with("bad secret format"));
    }
  }

  TEST_CASE("a signature made with tock's own signer verifies") {
    REQUIRE(InitCrypto());
    std::string secret_key = "0123456789abcdefghijABCDEFGHIJ01";
    HttpMessage m;
    m.body = R"({"data":{},"taskId":1})";
    m.Set("webhook-id", "msg_x");
    m.Set("webhook-timestamp", "1700000000");
    m.Set("webhook-signature", StandardWebhookSignature(secret_key, "msg_x", 1700000000, m.body));
    CHECK(VerifyWebhook(WebhookSecretFor(secret_key), m, 1700000000, {}).ok());
  }
}

}  // namespace tock::cli
