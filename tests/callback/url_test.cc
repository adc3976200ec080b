#include "callback/url.h"

#include <doctest/doctest.h>

#include <string>

namespace tock {
namespace {

CallbackUrl MustParse(const std::string& url) {
  Result<CallbackUrl> r = ParseCallbackUrl(url);
  INFO("url: ", url, " error: ", r.ok() ? "" : r.status().message());
  REQUIRE(r.ok());
  return *r;
}

std::string ErrorOf(const std::string& url) {
  Result<CallbackUrl> r = ParseCallbackUrl(url);
  INFO("url: ", url);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalid);
  return r.status().message();
}

}  // namespace

TEST_SUITE("CallbackUrl") {
  TEST_CASE("http URL with default port and empty path") {
    CallbackUrl u = MustParse("http://example.com");
    CHECK(u.scheme == "http");
    CHECK(u.host == "example.com");
    CHECK(u.port == 80);
    CHECK(u.target == "/");
    CHECK(u.origin == "http://example.com:80");
    CHECK_FALSE(u.is_ipv6);
  }

  TEST_CASE("https URL: default port 443, path and query kept verbatim") {
    CallbackUrl u = MustParse("https://api.example.com/hooks/tock?a=1&b=x+y%20z");
    CHECK(u.scheme == "https");
    CHECK(u.port == 443);
    CHECK(u.target == "/hooks/tock?a=1&b=x+y%20z");
    CHECK(u.origin == "https://api.example.com:443");
  }

  TEST_CASE("scheme and host are case-insensitive and lower-cased; the path is not") {
    CallbackUrl u = MustParse("HTTPS://Example.COM:8443/Path/X");
    CHECK(u.scheme == "https");
    CHECK(u.host == "example.com");
    CHECK(u.port == 8443);
    CHECK(u.target == "/Path/X");
    CHECK(u.origin == "https://example.com:8443");
  }

  TEST_CASE("query without a path gets the root path") {
    CHECK(MustParse("http://example.com?x=1").target == "/?x=1");
    CHECK(MustParse("http://example.com/").target == "/");
  }

  TEST_CASE("IPv4 literal and explicit ports at both ends of the range") {
    CallbackUrl u = MustParse("http://127.0.0.1:1/cb");
    CHECK(u.host == "127.0.0.1");
    CHECK(u.port == 1);
    CHECK(MustParse("http://10.0.0.1:65535").port == 65535);
  }

  TEST_CASE("IPv6 literal in brackets; host kept without brackets, origin with them") {
    CallbackUrl u = MustParse("http://[::1]:8080/hook");
    CHECK(u.is_ipv6);
    CHECK(u.host == "::1");
    CHECK(u.port == 8080);
    CHECK(u.origin == "http://[::1]:8080");
    CallbackUrl v = MustParse("https://[2001:DB8::1]");
    CHECK(v.host == "2001:db8::1");
    CHECK(v.port == 443);
    CHECK(v.target == "/");
  }

  TEST_CASE("host names may hold digits, hyphens and underscores") {
    CHECK(MustParse("http://my-service_1.internal:9000/x").host == "my-service_1.internal");
    CHECK(MustParse("http://localhost/x").host == "localhost");
    CHECK(MustParse("http://1e100.net/").host == "1e100.net");
  }

  TEST_CASE("bytes above 0x7f in the path are percent-encoded") {
    CHECK(MustParse("http://example.com/caf\xc3\xa9?q=\xc3\xa9").target == "/caf%C3%A9?q=%C3%A9");
  }

  TEST_CASE("length limit is 2048 characters") {
    const std::string base = "http://example.com/";
    const std::string at_limit = base + std::string(2048 - base.size(), 'a');
    CHECK(at_limit.size() == 2048);
    CHECK(ParseCallbackUrl(at_limit).ok());
    CHECK(ErrorOf(at_limit + "a") == "must be at most 2048 characters");
  }

  TEST_CASE("only http and https") {
    CHECK(ErrorOf("ftp://example.com/x") == "must use http or https");
    CHECK(ErrorOf("file:///etc/passwd") == "must use http or https");
    CHECK(ErrorOf("example.com/hook").find("absolute URL") != std::string::npos);
    CHECK(ErrorOf("http:/example.com").find("absolute URL") != std::string::npos);
    CHECK(ErrorOf("").find("absolute URL") != std::string::npos);
  }

  TEST_CASE("a host is required") {
    CHECK(ErrorOf("http://") == "must have a host");
    CHECK(ErrorOf("http:///path") == "must have a host");
    CHECK(ErrorOf("http://:8080/path") == "must have a host");
    CHECK(ErrorOf("https://?x=1") == "must have a host");
  }

  TEST_CASE("bad ports") {
    const char* bad[] = {"http://example.com:0/",      "http://example.com:65536/",
                         "http://example.com:/",       "http://example.com:80a/",
                         "http://example.com:-1/",     "http://example.com:123456/",
                         "http://example.com:8080:1/", "http://[::1]8080/"};
    for (const char* url : bad) {
      CHECK(ErrorOf(url) == "port must be a number from 1 to 65535");
    }
  }

  TEST_CASE("no fragment") {
    CHECK(ErrorOf("http://example.com/hook#part") == "must not contain a fragment ('#')");
    CHECK(ErrorOf("http://example.com#") == "must not contain a fragment ('#')");
  }

  TEST_CASE("no user info") {
    CHECK(ErrorOf("http://user:pass@example.com/") == "must not contain user info ('user@')");
    CHECK(ErrorOf("http://user@example.com/") == "must not contain user info ('user@')");
  }

  TEST_CASE("an '@' in the path is not user info") {
    CHECK(MustParse("http://example.com/a@b").target == "/a@b");
  }

  TEST_CASE("no spaces, control characters or backslashes") {
    CHECK(ErrorOf("http://example.com/a b") == "must not contain spaces or control characters");
    CHECK(ErrorOf(" http://example.com/") == "must not contain spaces or control characters");
    CHECK(ErrorOf("http://example.com/a\tb") == "must not contain spaces or control characters");
    CHECK(ErrorOf("http://example.com/\r\nX-Evil: 1") ==
          "must not contain spaces or control characters");
    CHECK(ErrorOf(std::string("http://example.com/a\0b", 22)) ==
          "must not contain spaces or control characters");
    CHECK(ErrorOf("http://example.com/a\x7f") == "must not contain spaces or control characters");
    CHECK(ErrorOf("http://example.com\\@evil.com/") == "must not contain a backslash");
  }

  TEST_CASE("malformed IPv6 literals") {
    CHECK(ErrorOf("http://[::1/hook").find("closing ']'") != std::string::npos);
    CHECK(ErrorOf("http://[]/").find("not a valid IPv6 address") != std::string::npos);
    CHECK(ErrorOf("http://[::g]/").find("not a valid IPv6 address") != std::string::npos);
    CHECK(ErrorOf("http://[fe80::1%25eth0]/").find("not a valid IPv6 address") !=
          std::string::npos);
    CHECK(ErrorOf("http://[127.0.0.1]/").find("not a valid IPv6 address") != std::string::npos);
  }

  TEST_CASE("an unbracketed IPv6 address is refused") {
    CHECK(ErrorOf("http://::1/") == "must have a host");
    CHECK_FALSE(ParseCallbackUrl("http://2001:db8::1/").ok());
  }

  TEST_CASE("malformed IPv4 literals and host names") {
    CHECK(ErrorOf("http://1.2.3/").find("not a valid IPv4 address") != std::string::npos);
    CHECK(ErrorOf("http://256.1.1.1/").find("not a valid IPv4 address") != std::string::npos);
    CHECK(ErrorOf("http://123/").find("not a valid IPv4 address") != std::string::npos);
    CHECK(ErrorOf("http://exa%6dple.com/").find("not a valid host name") != std::string::npos);
    CHECK(ErrorOf("http://a..b/").find("not a valid host name") != std::string::npos);
    CHECK(ErrorOf("http://.example.com/").find("not a valid host name") != std::string::npos);
    CHECK(ErrorOf("http://example.com./").find("not a valid host name") != std::string::npos);
    CHECK(ErrorOf("http://ex\xc3\xa4mple.com/").find("not a valid host name") != std::string::npos);
    CHECK(ErrorOf("http://" + std::string(64, 'a') + ".com/").find("not a valid host name") !=
          std::string::npos);
    CHECK(MustParse("http://" + std::string(63, 'a') + ".com/").host.size() == 67);
  }
}

}  // namespace tock
