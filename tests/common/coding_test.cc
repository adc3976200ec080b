#include "common/coding.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

namespace tock {

TEST_SUITE("Coding") {
  TEST_CASE("big-endian u64 sorts bytewise in numeric order") {
    std::vector<uint64_t> values = {0, 1, 255, 256, 65535, 1ull << 32, (1ull << 63) + 5, ~0ull};
    std::vector<std::string> encoded;
    for (uint64_t v : values) {
      std::string s;
      PutFixed64BE(&s, v);
      CHECK(s.size() == 8);
      CHECK(DecodeFixed64BE(s.data()) == v);
      encoded.push_back(s);
    }
    CHECK(std::is_sorted(encoded.begin(), encoded.end()));
  }

  TEST_CASE("signed i64 keeps order across zero") {
    std::vector<int64_t> values = {-5000, -1, 0, 1, 1700000000000};
    std::string prev;
    for (int64_t v : values) {
      std::string s;
      PutInt64BE(&s, v);
      CHECK(DecodeInt64BE(s.data()) == v);
      CHECK(prev < s);
      prev = s;
    }
  }

  TEST_CASE("decoder reports a short record instead of reading past it") {
    std::string s;
    PutString(&s, "hello");
    PutFixed64BE(&s, 42);
    Decoder d(s);
    std::string str;
    uint64_t v = 0;
    REQUIRE(d.GetString(&str));
    CHECK(str == "hello");
    REQUIRE(d.GetU64(&v));
    CHECK(v == 42);
    CHECK(d.empty());
    CHECK_FALSE(d.GetU64(&v));
    Decoder truncated(std::string_view(s).substr(0, 6));
    CHECK_FALSE(truncated.GetString(&str));
  }
}

}  // namespace tock
