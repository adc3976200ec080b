#include "auth/signed_request.h"

#include <doctest/doctest.h>

#include "auth/signing.h"

namespace tock {
namespace {

constexpr std::string_view kSecret = "0123456789abcdefghijklmnopqrstuv";
constexpr int64_t kNow = 1700000000;

// A correctly signed request for `body` at time `ts`.
SignedHeaders Signed(std::string_view body, int64_t ts = kNow, std::string_view secret = kSecret) {
  SignedHeaders h;
  h.app_key = "Ab12Cd34Ef56Gh78";
  h.nonce = "AbCdEfGh12345678";
  h.timestamps = std::to_string(ts);
  h.payload = Sha256Hex(body);
  h.signature = SerendipitySignature(secret, h.timestamps, h.nonce, h.payload);
  return h;
}

Status Verify(const SignedHeaders& h, std::string_view body, SignedRequestPolicy policy = {}) {
  return VerifySignedRequest(h, kSecret, body, kNow, policy);
}

bool Contains(const Status& s, std::string_view text) {
  return s.message().find(text) != std::string::npos;
}

}  // namespace

TEST_SUITE("SignedRequest") {
  const std::string body = R"({"taskNo":"a1","content":"hi"})";

  TEST_CASE("accepts a correctly signed request") {
    CHECK(Verify(Signed(body), body).ok());
    CHECK(Verify(Signed(""), "").ok());
  }

  TEST_CASE("accepts the known Serendipity vector under loose payload") {
    SignedHeaders h;
    h.app_key = "app";
    h.nonce = "AbCdEfGh12345678";
    h.timestamps = "1700000000";
    h.payload = "f311c80d9c80fb8c9d865c993e909da3";
    h.signature =
        "NGJhZjdmNmQyYjRkN2YwYTdjNTlmMTIxYzUzODBjNGYzZWVmYTZjMjQxZGI3MDg2MmIwY2EwMDc0Zj"
        "JiMDc0MQ==";
    CHECK(VerifySignedRequest(h, kSecret, "anything", kNow, {300, true}).ok());
    const Status strict = VerifySignedRequest(h, kSecret, "anything", kNow, {});
    CHECK(strict.code() == Code::kUnauthorized);
    CHECK(Contains(strict, "header 'payload'"));
  }

  TEST_CASE("wrong secret is refused by the signature check") {
    const Status s = Verify(Signed(body, kNow, "another-secret-another-secret-xx"), body);
    CHECK(s.code() == Code::kUnauthorized);
    CHECK(Contains(s, "header 'signature'"));
  }

  TEST_CASE("tampered signature, nonce or timestamp is refused") {
    SignedHeaders h = Signed(body);
    h.signature[3] = h.signature[3] == 'A' ? 'B' : 'A';
    CHECK(Contains(Verify(h, body), "header 'signature'"));
    h = Signed(body);
    h.nonce = "ZZCdEfGh12345678";
    CHECK(Contains(Verify(h, body), "header 'signature'"));
    h = Signed(body);
    h.timestamps = std::to_string(kNow + 1);
    CHECK(Contains(Verify(h, body), "header 'signature'"));
  }

  TEST_CASE("stale timestamp is refused in both directions") {
    CHECK(Verify(Signed(body, kNow - 300), body).ok());
    CHECK(Verify(Signed(body, kNow + 300), body).ok());
    const Status past = Verify(Signed(body, kNow - 301), body);
    CHECK(past.code() == Code::kUnauthorized);
    CHECK(past.message() == "header 'timestamps': more than 300 s from server time");
    const Status future = Verify(Signed(body, kNow + 301), body);
    CHECK(future.message() == "header 'timestamps': more than 300 s from server time");
    const Status narrow = Verify(Signed(body, kNow - 61), body, {60, false});
    CHECK(narrow.message() == "header 'timestamps': more than 60 s from server time");
    SignedHeaders huge = Signed(body);
    huge.timestamps = "99999999999999999999";
    CHECK(Contains(Verify(huge, body), "header 'timestamps': more than"));
  }

  TEST_CASE("payload must be the hex SHA-256 of the body") {
    const Status s = Verify(Signed(body), body + " ");
    CHECK(s.code() == Code::kUnauthorized);
    CHECK(s.message() == "header 'payload': must be the hex SHA-256 of the request body");
    SignedHeaders upper = Signed(body);
    for (char& c : upper.payload) c = static_cast<char>(std::toupper(c));
    upper.signature = SerendipitySignature(kSecret, upper.timestamps, upper.nonce, upper.payload);
    CHECK(Contains(Verify(upper, body), "header 'payload'"));
  }

  TEST_CASE("loose payload accepts any payload but still checks the signature") {
    SignedHeaders h = Signed(body);
    h.payload = "whatever-the-client-sent";
    h.signature = SerendipitySignature(kSecret, h.timestamps, h.nonce, h.payload);
    CHECK(Contains(Verify(h, body), "header 'payload'"));
    CHECK(Verify(h, body, {300, true}).ok());
    CHECK(Verify(h, "a different body", {300, true}).ok());
    h.payload = "changed-after-signing";
    CHECK(Contains(Verify(h, body, {300, true}), "header 'signature'"));
  }

  TEST_CASE("every missing header is named") {
    for (const char* name : {"app_key", "nonce", "timestamps", "payload", "signature"}) {
      CAPTURE(name);
      SignedHeaders h = Signed(body);
      const std::string n = name;
      if (n == "app_key") h.app_key.clear();
      if (n == "nonce") h.nonce.clear();
      if (n == "timestamps") h.timestamps.clear();
      if (n == "payload") h.payload.clear();
      if (n == "signature") h.signature.clear();
      const Status s = Verify(h, body);
      CHECK(s.code() == Code::kUnauthorized);
      CHECK(s.message() == "header '" + n + "': missing");
    }
  }

  TEST_CASE("malformed nonce and timestamps are refused before anything else") {
    for (const char* nonce : {"short", "AbCd EfGh1234", "AbCd.EfGh1234", "AbCdEfGh123\xc3\xa9"}) {
      CAPTURE(nonce);
      SignedHeaders h = Signed(body);
      h.nonce = nonce;
      CHECK(Contains(Verify(h, body), "header 'nonce': must be 8-64 characters"));
    }
    SignedHeaders h = Signed(body);
    h.nonce = std::string(65, 'a');
    CHECK(Contains(Verify(h, body), "header 'nonce'"));
    h.nonce = std::string(64, 'a');
    h.signature = SerendipitySignature(kSecret, h.timestamps, h.nonce, h.payload);
    CHECK(Verify(h, body).ok());
    h.nonce = "Ab_-0123";
    h.signature = SerendipitySignature(kSecret, h.timestamps, h.nonce, h.payload);
    CHECK(Verify(h, body).ok());
    for (const char* ts : {"-1700000000", "1700000000.5", " 1700000000", "17e8", "1700000000ms",
                           "123456789012345678901"}) {
      CAPTURE(ts);
      SignedHeaders t = Signed(body);
      t.timestamps = ts;
      CHECK(Contains(Verify(t, body), "header 'timestamps': must be unix seconds"));
    }
  }

  TEST_CASE("ParseTimestamps") {
    CHECK(ParseTimestamps("0") == std::optional<int64_t>(0));
    CHECK(ParseTimestamps("1700000000") == std::optional<int64_t>(1700000000));
    CHECK(ParseTimestamps("01700000000") == std::optional<int64_t>(1700000000));
    CHECK(ParseTimestamps("99999999999999999999") == std::optional<int64_t>(1'000'000'000'000'000));
    CHECK_FALSE(ParseTimestamps("").has_value());
    CHECK_FALSE(ParseTimestamps("+1").has_value());
  }
}

}  // namespace tock
