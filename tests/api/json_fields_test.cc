#include "api/json_fields.h"

#include <doctest/doctest.h>

#include <iterator>
#include <string>

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

  TEST_CASE("strings never pass for numbers: escapes and raw bytes stay strings, in place") {
    // Bodies that the old content-based markers let turn a string into a number, or splice
    // other members in: each string must come back as the string it was.
    const std::string m = "\xEE\x80\x80";  // U+E000 as UTF-8
    const std::string bodies[] = {
        R"({"content":{"a":"\uE000b0\uE000","n":1.5}})",
        R"({"content":{"a":"\uE000b0\uE000,\"taskId\":7,\"z\":\"","n":2.5e1}})",
        R"({"content":{"a":")" + m + "b0" + m + R"(","n":1.5}})",
        R"({"content":{"a":"","b":1.5,"c":"","d":[0.5,"",-0]}})",
    };
    const std::string want[] = {
        R"({"a":")" + m + "b0" + m + R"(","n":1.5})",
        R"({"a":")" + m + "b0" + m + R"(,\"taskId\":7,\"z\":\"","n":2.5e1})",
        R"({"a":")" + m + "b0" + m + R"(","n":1.5})",
        R"({"a":"","b":1.5,"c":"","d":[0.5,"",-0]})",
    };
    for (size_t i = 0; i < std::size(bodies); ++i) {
      CAPTURE(bodies[i]);
      auto obj = ParseJsonBody(bodies[i]);
      REQUIRE_MESSAGE(obj.ok(), obj.status().message());
      auto content = FieldReader(*obj).Get("content");
      REQUIRE(content.has_value());
      CHECK(MinifyJson(*content) == want[i]);
    }
  }

  TEST_CASE("every number is checked against the JSON grammar, naming its field") {
    struct Case {
      const char* body;
      const char* message;
    };
    const Case cases[] = {
        {R"({"content":{"a":1-2}})", "field 'content.a': 1-2 is not a valid JSON number"},
        {R"({"content":{"a":1.2.3}})", "field 'content.a': 1.2.3 is not a valid JSON number"},
        {R"({"content":{"a":-}})", "field 'content.a': - is not a valid JSON number"},
        {R"({"content":{"a":1e}})", "field 'content.a': 1e is not a valid JSON number"},
        {R"({"content":{"a":00.5}})", "field 'content.a': 00.5 is not a valid JSON number"},
        {R"({"tasks":[{"content":{}},{"content":{"x":[1,2,.5]}}]})", nullptr},
        {R"({"tasks":[{"content":{}},{"content":{"x":[1,2,-.5]}}]})",
         "field 'tasks[1].content.x[2]': -.5 is not a valid JSON number"},
        {R"({"timeout":1e+})", "field 'timeout': 1e+ is not a valid JSON number"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.body);
      auto obj = ParseJsonBody(c.body);
      REQUIRE_FALSE(obj.ok());
      if (c.message != nullptr) CHECK(obj.status().message() == c.message);
    }
    for (const char* ok : {R"({"a":0})", R"({"a":-0.0e-0})", R"({"a":1E+9999})", R"({"a":[0,1,2]})"}) {
      CAPTURE(ok);
      CHECK(ParseJsonBody(ok).ok());
    }
  }

  TEST_CASE("a float in a string or integer field is a type error; Number() reads it") {
    auto obj = ParseJsonBody(R"({"name":1.5,"rate":12.5,"big":1e400,"n":7})");
    REQUIRE(obj.ok());
    FieldReader f(*obj);
    CHECK(f.String("name", 0, 10).status().message() == "field 'name': must be a string");
    CHECK(f.Int("rate", 0, 100).status().message() == "field 'rate': must be an integer from 0 to 100");
    REQUIRE(f.Number("rate", 0, 100).ok());
    CHECK(**f.Number("rate", 0, 100) == 12.5);
    CHECK(**f.Number("n", 0, 100) == 7);
    CHECK_FALSE(f.Number("big", 0, 1e9).ok());
  }

  TEST_CASE("a body larger than 1 MiB of floats parses (markers do not grow it)") {
    std::string body = R"({"tasks":[)";
    for (int i = 0; body.size() < (1u << 20) + 1000; ++i) {
      if (i > 0) body += ',';
      body += R"({"content":{"v":)" + std::to_string(i) + ".125e-3}}";
    }
    body += "]}";
    auto obj = ParseJsonBody(body);
    CHECK_MESSAGE(obj.ok(), obj.status().message());
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
