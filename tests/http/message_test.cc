#include "http/message.h"

#include <doctest/doctest.h>

namespace tock::http {

TEST_SUITE("HttpMessage") {
  TEST_CASE("HttpMessage: EqualsIgnoreCase folds ASCII letters only") {
    CHECK(EqualsIgnoreCase("Content-Length", "content-length"));
    CHECK(EqualsIgnoreCase("CHUNKED", "chunked"));
    CHECK(EqualsIgnoreCase("", ""));
    CHECK_FALSE(EqualsIgnoreCase("Host", "Hos"));
    CHECK_FALSE(EqualsIgnoreCase("Host", "Hosu"));
    // '@' and '`' are 0x20 away from letters; only A-Z/a-z fold.
    CHECK_FALSE(EqualsIgnoreCase("@", "`"));
    CHECK_FALSE(EqualsIgnoreCase("[", "{"));
    CHECK_FALSE(EqualsIgnoreCase("\xC4", "\xE4"));  // Latin-1 letters do not fold
  }

  TEST_CASE("HttpMessage: Request header lookup is case-insensitive and finds the first") {
    Request req;
    req.headers = {{"Content-Type", "application/json"}, {"X-Id", "1"}, {"x-id", "2"}};
    CHECK(req.Header("content-type") == "application/json");
    CHECK(req.Header("CONTENT-TYPE") == "application/json");
    CHECK(req.Header("X-ID") == "1");
    CHECK(req.HasHeader("x-Id"));
    CHECK_FALSE(req.HasHeader("Accept"));
    CHECK(req.Header("Accept").empty());
  }

  TEST_CASE("HttpMessage: a header present with an empty value is still present") {
    Request req;
    req.headers = {{"X-Empty", ""}};
    CHECK(req.HasHeader("x-empty"));
    CHECK(req.Header("x-empty").empty());
  }

  TEST_CASE("HttpMessage: Request::Query finds the first parameter, names are case-sensitive") {
    Request req;
    req.query = {{"id", "7"}, {"tag", ""}, {"id", "8"}};
    REQUIRE(req.Query("id") != nullptr);
    CHECK(*req.Query("id") == "7");
    REQUIRE(req.Query("tag") != nullptr);
    CHECK(req.Query("tag")->empty());
    CHECK(req.Query("ID") == nullptr);
    CHECK(req.Query("missing") == nullptr);
  }

  TEST_CASE("HttpMessage: Response::SetHeader adds, then replaces every header of that name") {
    Response res;
    res.SetHeader("Retry-After", "5");
    REQUIRE(res.headers.size() == 1);
    CHECK(res.Header("retry-after") == "5");

    res.headers.push_back({"X-Other", "a"});
    res.headers.push_back({"retry-after", "6"});
    res.SetHeader("RETRY-AFTER", "7");
    REQUIRE(res.headers.size() == 2);
    // The first keeps its place (before X-Other) with the new spelling; the duplicate is gone.
    CHECK(res.headers[0].name == "RETRY-AFTER");
    CHECK(res.headers[0].value == "7");
    CHECK(res.headers[1].name == "X-Other");
    CHECK(res.Header("Retry-After") == "7");
    CHECK(res.Header("Missing").empty());
  }

  TEST_CASE("HttpMessage: Response::SetBody sets status, body and type") {
    Response res;
    res.SetBody(404, R"({"error":"no such task"})", "application/json");
    CHECK(res.status == 404);
    CHECK(res.body == R"({"error":"no such task"})");
    CHECK(res.content_type == "application/json");
    res.SetBody(204, "", "");
    CHECK(res.status == 204);
    CHECK(res.body.empty());
    CHECK(res.content_type.empty());
  }

  TEST_CASE("HttpMessage: ReasonPhrase names every code tock sends") {
    CHECK(ReasonPhrase(200) == "OK");
    CHECK(ReasonPhrase(400) == "Bad Request");
    CHECK(ReasonPhrase(401) == "Unauthorized");
    CHECK(ReasonPhrase(403) == "Forbidden");
    CHECK(ReasonPhrase(404) == "Not Found");
    CHECK(ReasonPhrase(405) == "Method Not Allowed");
    CHECK(ReasonPhrase(408) == "Request Timeout");
    CHECK(ReasonPhrase(409) == "Conflict");
    CHECK(ReasonPhrase(411) == "Length Required");
    CHECK(ReasonPhrase(413) == "Content Too Large");
    CHECK(ReasonPhrase(414) == "URI Too Long");
    CHECK(ReasonPhrase(429) == "Too Many Requests");
    CHECK(ReasonPhrase(431) == "Request Header Fields Too Large");
    CHECK(ReasonPhrase(500) == "Internal Server Error");
    CHECK(ReasonPhrase(501) == "Not Implemented");
    CHECK(ReasonPhrase(503) == "Service Unavailable");
    CHECK(ReasonPhrase(505) == "HTTP Version Not Supported");
    CHECK(ReasonPhrase(100) == "Continue");
  }

  TEST_CASE("HttpMessage: ReasonPhrase is \"Unknown\" for other codes") {
    for (int code : {0, -1, 199, 299, 418, 599, 600, 1000}) {
      CAPTURE(code);
      CHECK(ReasonPhrase(code) == "Unknown");
    }
  }
}

}  // namespace tock::http
