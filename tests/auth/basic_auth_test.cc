#include "auth/basic_auth.h"

#include <doctest/doctest.h>

#include "auth/signing.h"

namespace tock {

using Creds = std::pair<std::string, std::string>;

TEST_SUITE("BasicAuth") {
  TEST_CASE("parses user and password") {
    const auto c = ParseBasicAuth("Basic " + Base64Encode("Ab12Cd34Ef56Gh78:s3cret"));
    REQUIRE(c.has_value());
    CHECK(c->first == "Ab12Cd34Ef56Gh78");
    CHECK(c->second == "s3cret");
    CHECK(ParseBasicAuth("Basic dXNlcjpwYXNz") == Creds("user", "pass"));
  }

  TEST_CASE("scheme is case-insensitive and surrounding spaces are ignored") {
    CHECK(ParseBasicAuth("basic dXNlcjpwYXNz") == Creds("user", "pass"));
    CHECK(ParseBasicAuth("BASIC dXNlcjpwYXNz") == Creds("user", "pass"));
    CHECK(ParseBasicAuth("  Basic   dXNlcjpwYXNz  ") == Creds("user", "pass"));
  }

  TEST_CASE("splits at the first colon") {
    CHECK(ParseBasicAuth("Basic " + Base64Encode("user:pa:ss")) == Creds("user", "pa:ss"));
    CHECK(ParseBasicAuth("Basic " + Base64Encode(":pass")) == Creds("", "pass"));
    CHECK(ParseBasicAuth("Basic " + Base64Encode("user:")) == Creds("user", ""));
  }

  TEST_CASE("rejects malformed headers") {
    CHECK_FALSE(ParseBasicAuth("").has_value());
    CHECK_FALSE(ParseBasicAuth("Basic").has_value());
    CHECK_FALSE(ParseBasicAuth("Basic ").has_value());
    CHECK_FALSE(ParseBasicAuth("BasicdXNlcjpwYXNz").has_value());
    CHECK_FALSE(ParseBasicAuth("Bearer dXNlcjpwYXNz").has_value());
    CHECK_FALSE(ParseBasicAuth("Basic dXNlcjpwYXNz!").has_value());  // not base64
    CHECK_FALSE(ParseBasicAuth("Basic dXNlcjpwYXNz dXNl").has_value());
    CHECK_FALSE(ParseBasicAuth("Basic dXNlcnBhc3M=").has_value());  // "userpass": no colon
    CHECK_FALSE(ParseBasicAuth("Basic " + Base64Encode(std::string("us\0er:p", 8))).has_value());
    CHECK_FALSE(ParseBasicAuth("Basic " + Base64Encode("user:pa\nss")).has_value());
  }
}

TEST_SUITE("Bearer") {
  TEST_CASE("parses the token") {
    CHECK(ParseBearer("Bearer abc.DEF_123-~+/=") == std::optional<std::string>("abc.DEF_123-~+/="));
    CHECK(ParseBearer("bearer tok") == std::optional<std::string>("tok"));
    CHECK(ParseBearer(" BEARER  tok ") == std::optional<std::string>("tok"));
  }

  TEST_CASE("rejects malformed headers") {
    CHECK_FALSE(ParseBearer("").has_value());
    CHECK_FALSE(ParseBearer("Bearer").has_value());
    CHECK_FALSE(ParseBearer("Bearer   ").has_value());
    CHECK_FALSE(ParseBearer("Basic tok").has_value());
    CHECK_FALSE(ParseBearer("Bearertok").has_value());
    CHECK_FALSE(ParseBearer("Bearer to ken").has_value());
    CHECK_FALSE(ParseBearer("Bearer tok\x01").has_value());
    CHECK_FALSE(ParseBearer("Bearer t\xc3\xa9").has_value());
  }
}

}  // namespace tock
