// Regressions found by the libFuzzer targets in tools/fuzz (run: tools/fuzz/run.sh). Each case
// is the minimised crashing input; the crash itself shows only in the sanitizer build
// (build-fuzz), so here each case checks that the result is the one an ordinary input gives.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "auth/signed_request.h"
#include "auth/signing.h"

namespace tock {
namespace {

TEST_SUITE("FuzzRegression") {
  // fuzz_auth: an empty secret passed as std::string_view{} (data() == nullptr) reached
  // crypto_auth_hmacsha256_init(), whose key argument libsodium declares nonnull
  // (UBSan: "null pointer passed as argument 2", src/auth/signing.cc SerendipitySignature).
  TEST_CASE("HMAC with a null empty key equals HMAC with an empty key") {
    REQUIRE(InitCrypto());
    const std::string empty;
    CHECK(HmacSha256(std::string_view{}, std::string_view{}) == HmacSha256(empty, empty));
    CHECK(HexLower(HmacSha256(std::string_view{}, std::string_view{})) ==
          "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    CHECK(SerendipitySignature(std::string_view{}, "1795305600", "nonce_abc-123", "p") ==
          SerendipitySignature(empty, "1795305600", "nonce_abc-123", "p"));
    CHECK(StandardWebhookSignature(std::string_view{}, "msg_1", 1795305600, std::string_view{}) ==
          StandardWebhookSignature(empty, "msg_1", 1795305600, empty));
  }

  TEST_CASE("signed request with a null empty secret is refused, not a crash") {
    REQUIRE(InitCrypto());
    SignedHeaders h{"appkey1234567890", "n5ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "1795305600",
                    "bm90LWEtc2lnbmF0dXJl", "secretsecretsecretsecretsecret12"};
    SignedRequestPolicy loose;
    loose.loose_payload = true;
    Status s = VerifySignedRequest(h, std::string_view{}, "test", 1795305600, loose);
    CHECK(s.code() == Code::kUnauthorized);
  }
}

}  // namespace
}  // namespace tock
