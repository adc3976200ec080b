#include "common/json_writer.h"

#include <doctest/doctest.h>

namespace tock {

TEST_SUITE("JsonWriter") {
  TEST_CASE("writes nested objects and arrays with commas in place") {
    JsonWriter w;
    w.BeginObject();
    w.Key("code"); w.Int(0);
    w.Key("msg"); w.String("ok");
    w.Key("data"); w.BeginObject();
    w.Key("ids"); w.BeginArray(); w.Uint(1); w.Uint(2); w.EndArray();
    w.Key("raw"); w.Raw("{\"a\":true}");
    w.EndObject();
    w.EndObject();
    CHECK(w.str() == R"({"code":0,"msg":"ok","data":{"ids":[1,2],"raw":{"a":true}}})");
  }

  TEST_CASE("escapes quotes, backslashes and control characters") {
    std::string out;
    AppendJsonString(&out, std::string("a\"b\\c\n\x01", 7));
    CHECK(out == "\"a\\\"b\\\\c\\n\\u0001\"");
  }
}

}  // namespace tock
