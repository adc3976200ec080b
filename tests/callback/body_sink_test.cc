#include "callback/body_sink.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace tock {
namespace {

// Feeds body in chunks of `chunk` bytes; returns whether every Append accepted.
bool FeedAll(BodySink* sink, std::string_view body, size_t chunk) {
  for (size_t i = 0; i < body.size(); i += chunk) {
    const size_t n = std::min(chunk, body.size() - i);
    if (!sink->Append(body.data() + i, n)) return false;
  }
  return true;
}

bool IsSuccess(std::string_view body, size_t chunk) {
  BodySink sink(1 << 20);
  REQUIRE(FeedAll(&sink, body, chunk));
  return sink.is_success();
}

}  // namespace

TEST_SUITE("BodySink") {
  TEST_CASE("success contract: the whole body trimmed of ASCII whitespace is 'success'") {
    for (size_t chunk : {1, 2, 3, 7, 1024}) {
      CAPTURE(chunk);
      CHECK(IsSuccess("success", chunk));
      CHECK(IsSuccess(" success\n", chunk));
      CHECK(IsSuccess("\r\n\t\v\f success \r\n", chunk));
      CHECK(IsSuccess(std::string(5000, ' ') + "success" + std::string(5000, '\n'), chunk));
      CHECK_FALSE(IsSuccess("", chunk));
      CHECK_FALSE(IsSuccess("   ", chunk));
      CHECK_FALSE(IsSuccess("succes", chunk));
      CHECK_FALSE(IsSuccess("successs", chunk));
      CHECK_FALSE(IsSuccess("Success", chunk));
      CHECK_FALSE(IsSuccess("ok", chunk));
      CHECK_FALSE(IsSuccess("success success", chunk));
      CHECK_FALSE(IsSuccess("\"success\"", chunk));
      CHECK_FALSE(IsSuccess("ssuccess", chunk));
      CHECK_FALSE(IsSuccess(std::string("success\0", 8), chunk));
      CHECK_FALSE(IsSuccess("success\xc2\xa0", chunk));  // U+00A0 is not ASCII whitespace
    }
  }

  TEST_CASE("keeps the first 1024 bytes whatever the chunking") {
    std::string body;
    for (int i = 0; i < 3000; ++i) body += static_cast<char>('a' + i % 26);
    for (size_t chunk : {1, 100, 1023, 1024, 1025, 4096}) {
      BodySink sink(1 << 20);
      REQUIRE(FeedAll(&sink, body, chunk));
      CHECK(sink.prefix() == body.substr(0, BodySink::kPrefixBytes));
      CHECK(sink.total_bytes() == body.size());
      CHECK_FALSE(sink.too_large());
    }
  }

  TEST_CASE("a body of exactly the limit is accepted; one byte more is refused") {
    BodySink exact(100);
    CHECK(FeedAll(&exact, std::string(100, 'x'), 30));
    CHECK_FALSE(exact.too_large());
    CHECK(exact.total_bytes() == 100);

    BodySink over(100);
    CHECK_FALSE(FeedAll(&over, std::string(101, 'x'), 30));
    CHECK(over.too_large());
    CHECK(over.total_bytes() == 100);  // only bytes up to the limit were taken
    CHECK(over.prefix() == std::string(100, 'x'));
  }

  TEST_CASE("memory stays bounded: a huge body keeps only the prefix") {
    BodySink sink(64 << 20);
    const std::string chunk(64 * 1024, 'z');
    for (int i = 0; i < 160; ++i) REQUIRE(sink.Append(chunk.data(), chunk.size()));  // 10 MiB
    CHECK(sink.prefix().size() == BodySink::kPrefixBytes);
    CHECK(sink.prefix().capacity() < 4 * BodySink::kPrefixBytes);
    CHECK_FALSE(sink.is_success());
  }
}

}  // namespace tock
