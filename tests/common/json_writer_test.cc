#include "common/json_writer.h"

#include <doctest/doctest.h>

#include <cmath>

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

  TEST_CASE("doubles: the shortest digits that read back, in plain notation when it fits") {
    JsonWriter w;
    w.BeginArray();
    for (double v : {100000.0, 0.5, 2.0, 1e-9, 1e300, 12.25, -3.0}) w.Double(v);
    w.Double(std::nan(""));
    w.EndArray();
    CHECK(w.str() == "[100000,0.5,2,0.000000001,1e+300,12.25,-3,null]");
  }

  TEST_CASE("escapes quotes, backslashes and control characters") {
    std::string out;
    AppendJsonString(&out, std::string("a\"b\\c\n\x01", 7));
    CHECK(out == "\"a\\\"b\\\\c\\n\\u0001\"");
  }
}

}  // namespace tock
