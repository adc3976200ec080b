#include "api/json_fields.h"

#include <doctest/doctest.h>

namespace tock::api {

TEST_SUITE("JsonFields") {
  TEST_CASE("numbers beyond 64 bits and doubles survive parse and minify exactly") {
    auto obj = ParseJsonBody(
        R"({"content": {"big": 123456789012345678901234567890, "neg": -98765432109876543210,
            "huge": 1e400, "ok": 42, "s": "12345678901234567890123 stays a string"}})");
    REQUIRE_MESSAGE(obj.ok(), obj.status().message());
    FieldReader f(*obj);
    auto content = f.Get("content");
    REQUIRE(content.has_value());
    CHECK(MinifyJson(*content) ==
          R"({"big":123456789012345678901234567890,"neg":-98765432109876543210,"huge":1e400,)"
          R"("ok":42,"s":"12345678901234567890123 stays a string"})");
  }

  TEST_CASE("floats and -0 keep the exact form they were sent in") {
    auto obj = ParseJsonBody(R"({"content":{"a":1E+2,"b":-0,"c":0.10,"d":[2.5e-3, 7],"e":-12}})");
    REQUIRE(obj.ok());
    auto content = FieldReader(*obj).Get("content");
    REQUIRE(content.has_value());
    CHECK(MinifyJson(*content) == R"({"a":1E+2,"b":-0,"c":0.10,"d":[2.5e-3,7],"e":-12})");
  }

  TEST_CASE("a big number in a typed field is a type error, not a crash") {
    auto obj = ParseJsonBody(R"({"timeout": 123456789012345678901234567890})");
    REQUIRE(obj.ok());
    auto timeout = FieldReader(*obj).Int("timeout", 1, 600000);
    REQUIRE_FALSE(timeout.ok());
    CHECK(timeout.status().message() == "field 'timeout': must be an integer from 1 to 600000");
  }

  TEST_CASE("a body that already holds the marker bytes is not rewritten") {
    auto obj = ParseJsonBody("{\"s\":\"\xEE\x80\x80\",\"n\":123456789012345678901234567890}");
    CHECK_FALSE(obj.ok());
  }

  TEST_CASE("malformed JSON and non-objects are refused with a JSON message") {
    for (const char* body : {"", "{", "[1,2]", "{\"a\":01}", "{\"a\":1,}", "nul"}) {
      auto obj = ParseJsonBody(body);
      CAPTURE(body);
      CHECK_FALSE(obj.ok());
    }
  }

  TEST_CASE("ids are positive integers, as numbers or digit strings") {
    CHECK(*ParseIdText("42", "id") == 42);
    CHECK_FALSE(ParseIdText("0", "id").ok());
    CHECK_FALSE(ParseIdText("-1", "id").ok());
    CHECK_FALSE(ParseIdText("4x", "id").ok());
    CHECK_FALSE(ParseIdText("", "id").ok());
    CHECK(ParseIdText("99999999999999999999", "id").status().message() ==
          "field 'id': must be a positive integer");
  }
}

}  // namespace tock::api
