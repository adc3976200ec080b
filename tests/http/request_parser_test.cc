#include "http/request_parser.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace tock::http {
namespace {

struct Parsed {
  HeadError err;
  Request req;
  RequestHead head;
};

Parsed Parse(std::string_view head_bytes, const ParseLimits& limits = {}) {
  Parsed p;
  p.err = ParseRequestHead(head_bytes, limits, &p.req, &p.head);
  return p;
}

// The status ParseRequestHead gives `head_bytes` (0 when it is accepted).
int StatusOf(std::string_view head_bytes, const ParseLimits& limits = {}) {
  return Parse(head_bytes, limits).err.status;
}

size_t OneShot(std::string_view buf) {
  size_t scanned = 0;
  return FindHeadEnd(buf, &scanned);
}

// Feeds `buf` to FindHeadEnd in pieces of `step` bytes, as the server does after each read.
size_t Trickled(std::string_view buf, size_t step) {
  size_t scanned = 0;
  for (size_t n = std::min(step, buf.size());; n = std::min(n + step, buf.size())) {
    size_t end = FindHeadEnd(buf.substr(0, n), &scanned);
    if (end != 0) return end;
    REQUIRE(scanned == n);  // a miss searched everything it was given
    if (n == buf.size()) return 0;
  }
}

std::string HeadWithHeaders(size_t count) {
  std::string h = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i < count; ++i) h += "X-" + std::to_string(i) + ": v\r\n";
  return h + "\r\n";
}

}  // namespace

TEST_SUITE("RequestParser") {
  // --- FindHeadEnd --------------------------------------------------------------------------

  TEST_CASE("RequestParser: FindHeadEnd returns the offset just past the empty line") {
    std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    CHECK(OneShot(head) == head.size());
    CHECK(OneShot(head + "body bytes") == head.size());
    CHECK(OneShot(head + "GET /next HTTP/1.1\r\n\r\n") == head.size());  // pipelined
    size_t scanned = 0;
    CHECK(FindHeadEnd(head, &scanned) == head.size());
    CHECK(scanned == head.size());
  }

  TEST_CASE("RequestParser: FindHeadEnd returns 0 for an incomplete head") {
    for (std::string_view buf :
         {"", "G", "GET / HTTP/1.1", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n",
          "GET / HTTP/1.1\r\nHost: a\r\n\r", "GET / HTTP/1.1\r\r\r\r"}) {
      CAPTURE(buf);
      size_t scanned = 0;
      CHECK(FindHeadEnd(buf, &scanned) == 0);
      CHECK(scanned == buf.size());
    }
  }

  TEST_CASE("RequestParser: FindHeadEnd accepts bare LF and mixed line ends") {
    CHECK(OneShot("GET / HTTP/1.1\n\n") == 16);
    CHECK(OneShot("GET / HTTP/1.1\nHost: a\n\nrest") == 24);
    CHECK(OneShot("GET / HTTP/1.1\r\n\n") == 17);
    CHECK(OneShot("GET / HTTP/1.1\n\r\n") == 17);
    // A lone CR is not a line end: "A: b\r\r\n" is a (bad) line, not the empty one.
    CHECK(OneShot("GET / HTTP/1.1\r\nA: b\r\r\n") == 0);
    CHECK(OneShot("GET / HTTP/1.1\r\r\n") == 0);
  }

  TEST_CASE("RequestParser: FindHeadEnd skips empty lines before the request line") {
    std::string_view buf = "\r\n\r\n\nGET / HTTP/1.1\r\n\r\n";
    CHECK(OneShot(buf) == buf.size());
    CHECK(OneShot("\r\n") == 0);
    CHECK(OneShot("\r\n\r\n") == 0);
    CHECK(OneShot("\n\n\n\n") == 0);
    Parsed p = Parse(buf);
    CHECK(p.err.status == 0);
    CHECK(p.req.path == "/");
  }

  TEST_CASE("RequestParser: FindHeadEnd fed byte by byte matches the one-shot result") {
    std::vector<std::string> bufs = {
        "GET /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
        "GET / HTTP/1.1\n\nGET / HTTP/1.1\n\n",
        "\r\n\nPOST / HTTP/1.0\r\nA: b\n\r\nxyz",
        "GET / HTTP/1.1\r\nA: b\r\r\nC: d\r\n\r\n",
        "GET / HTTP/1.1\r\nno end",
        "\n\n\r\n",
        "\r\r\n\r\n",
    };
    for (const std::string& buf : bufs) {
      for (size_t step : {1, 2, 3, 5, 64}) {
        CAPTURE(buf);
        CAPTURE(step);
        CHECK(Trickled(buf, step) == OneShot(buf));
      }
    }
  }

  TEST_CASE("RequestParser: FindHeadEnd finds a terminator split across reads at any point") {
    std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    for (size_t cut = 0; cut <= head.size(); ++cut) {
      CAPTURE(cut);
      size_t scanned = 0;
      size_t first = FindHeadEnd(std::string_view(head).substr(0, cut), &scanned);
      if (cut < head.size()) {
        CHECK(first == 0);
        CHECK(scanned == cut);
        CHECK(FindHeadEnd(head, &scanned) == head.size());
      } else {
        CHECK(first == head.size());
      }
    }
  }

  TEST_CASE("RequestParser: FindHeadEnd searches each byte about once (a head trickling in)") {
    // 1 MiB of header lines arriving one byte per read: a search restarting at 0 each time
    // would take ~5e11 steps and time out; resuming at `scanned` takes ~1e6.
    std::string buf = "GET / HTTP/1.1\r\n";
    while (buf.size() < (1u << 20)) buf += "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    size_t scanned = 0;
    size_t found = 0;
    for (size_t n = 1; n <= buf.size() && found == 0; ++n) {
      found = FindHeadEnd(std::string_view(buf).substr(0, n), &scanned);
    }
    CHECK(found == 0);
    CHECK(scanned == buf.size());
    buf += "\r\n";
    CHECK(FindHeadEnd(buf, &scanned) == buf.size());
  }

  // --- PercentDecode -------------------------------------------------------------------------

  TEST_CASE("RequestParser: PercentDecode decodes escapes in either case") {
    std::string out = "stale";
    CHECK(PercentDecode("", false, &out));
    CHECK(out.empty());
    CHECK(PercentDecode("a%41%6a%6A%2f%2F", false, &out));
    CHECK(out == "aAjj//");
    CHECK(PercentDecode("%25%32%35", false, &out));  // "%25" decodes once, to "%"
    CHECK(out == "%25");
    CHECK(PercentDecode("%00%ff", false, &out));
    CHECK(out == std::string("\0\xff", 2));
  }

  TEST_CASE("RequestParser: PercentDecode reads '+' as a space only when asked") {
    std::string out;
    CHECK(PercentDecode("a+b%2B", true, &out));
    CHECK(out == "a b+");
    CHECK(PercentDecode("a+b%2B", false, &out));
    CHECK(out == "a+b+");
  }

  TEST_CASE("RequestParser: PercentDecode refuses malformed escapes") {
    std::string out;
    for (std::string_view in :
         {"%", "a%", "%4", "a%4", "%zz", "%4z", "%z4", "%%41", "%+1", "% 1"}) {
      CAPTURE(in);
      CHECK_FALSE(PercentDecode(in, false, &out));
      CHECK_FALSE(PercentDecode(in, true, &out));
    }
  }

  // --- Request line --------------------------------------------------------------------------

  TEST_CASE("RequestParser: a full request head is parsed into the Request") {
    Parsed p = Parse(
        "POST /task/detail?id=7&name=a+b HTTP/1.1\r\n"
        "Host: localhost:8080\r\n"
        "Content-Type:application/json\r\n"
        "X-Spaces: \t padded value \t\r\n"
        "Content-Length: 12\r\n"
        "\r\n");
    REQUIRE_MESSAGE(p.err.status == 0, p.err.message);
    CHECK(p.req.method == "POST");
    CHECK(p.req.target == "/task/detail?id=7&name=a+b");
    CHECK(p.req.path == "/task/detail");
    REQUIRE(p.req.query.size() == 2);
    CHECK(p.req.query[0] == std::pair<std::string, std::string>{"id", "7"});
    CHECK(p.req.query[1] == std::pair<std::string, std::string>{"name", "a b"});
    CHECK(p.req.version_minor == 1);
    REQUIRE(p.req.headers.size() == 4);
    CHECK(p.req.headers[0].name == "Host");
    CHECK(p.req.headers[0].value == "localhost:8080");
    CHECK(p.req.Header("content-type") == "application/json");
    CHECK(p.req.Header("x-spaces") == "padded value");
    CHECK(p.head.content_length == 12);
    CHECK(p.head.keep_alive);
    CHECK_FALSE(p.head.expect_continue);
  }

  TEST_CASE("RequestParser: methods are tokens, kept as sent") {
    CHECK(Parse("get / HTTP/1.1\r\n\r\n").req.method == "get");
    CHECK(Parse("M-SEARCH / HTTP/1.1\r\n\r\n").req.method == "M-SEARCH");
    for (std::string_view bad : {" / HTTP/1.1\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n",
                                 "G\tT / HTTP/1.1\r\n\r\n", "GÉT / HTTP/1.1\r\n\r\n"}) {
      CAPTURE(bad);
      Parsed p = Parse(bad);
      CHECK(p.err.status == 400);
      CHECK(p.err.message == "request line: the method must be a token");
    }
  }

  TEST_CASE("RequestParser: the request line needs exactly three parts") {
    for (std::string_view bad :
         {"GET\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/1.1 x\r\n\r\n", "GET / HTTP/1.1 \r\n\r\n",
          "GET  / HTTP/1.1\r\n\r\n", "GET /  HTTP/1.1\r\n\r\n"}) {
      CAPTURE(bad);
      CHECK(StatusOf(bad) == 400);
    }
    CHECK(Parse("GET /\r\n\r\n").err.message == "request line: must be 'METHOD /target HTTP/1.x'");
  }

  TEST_CASE("RequestParser: the target must be in origin-form without spaces or controls") {
    CHECK(StatusOf("GET / HTTP/1.1\r\n\r\n") == 0);
    CHECK(StatusOf("GET /caf\xC3\xA9 HTTP/1.1\r\n\r\n") == 0);  // raw UTF-8 passes through
    CHECK(Parse("GET /caf\xC3\xA9 HTTP/1.1\r\n\r\n").req.path == "/caf\xC3\xA9");
    for (std::string_view bad : {"GET http://host/ HTTP/1.1\r\n\r\n", "OPTIONS * HTTP/1.1\r\n\r\n",
                                 "GET a/b HTTP/1.1\r\n\r\n", "GET ?a=1 HTTP/1.1\r\n\r\n"}) {
      CAPTURE(bad);
      Parsed p = Parse(bad);
      CHECK(p.err.status == 400);
      CHECK(p.err.message == "request target: must start with '/'");
    }
    for (std::string_view bad : {"GET /a\tb HTTP/1.1\r\n\r\n", "GET /a\x01 HTTP/1.1\r\n\r\n",
                                 "GET /a\x7f HTTP/1.1\r\n\r\n", "GET /a\rb HTTP/1.1\r\n\r\n"}) {
      CAPTURE(bad);
      Parsed p = Parse(bad);
      CHECK(p.err.status == 400);
      CHECK(p.err.message == "request target: must not contain spaces or control bytes");
    }
  }

  TEST_CASE("RequestParser: HTTP/1.0 and HTTP/1.1 are accepted; other versions are 505") {
    CHECK(Parse("GET / HTTP/1.1\r\n\r\n").req.version_minor == 1);
    CHECK(Parse("GET / HTTP/1.0\r\n\r\n").req.version_minor == 0);
    for (std::string_view v : {"HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.0", "HTTP/9.9"}) {
      CAPTURE(v);
      Parsed p = Parse("GET / " + std::string(v) + "\r\n\r\n");
      CHECK(p.err.status == 505);
      CHECK(p.err.message == "request line: HTTP version must be HTTP/1.0 or HTTP/1.1");
    }
  }

  TEST_CASE("RequestParser: a malformed HTTP version is 400, not 505") {
    for (std::string_view v : {"http/1.1", "HTTP/1", "HTTP/11.1", "HTTP/1.10", "HTTP/1.x",
                               "HTTPS/1.1", "HTTP/1,1", "1.1", "HTTP/1.1\t"}) {
      CAPTURE(v);
      CHECK(StatusOf("GET / " + std::string(v) + "\r\n\r\n") == 400);
    }
  }

  // --- Path and query ------------------------------------------------------------------------

  TEST_CASE("RequestParser: the path is percent-decoded without '+' as space") {
    Parsed p = Parse("GET /a%20b/c+d/%2Fe%2f HTTP/1.1\r\n\r\n");
    REQUIRE(p.err.status == 0);
    CHECK(p.req.path == "/a b/c+d//e/");  // %2F decodes to '/'; the router sees it as one
    CHECK(p.req.target == "/a%20b/c+d/%2Fe%2f");
    CHECK(p.req.query.empty());
  }

  TEST_CASE("RequestParser: a malformed escape in the path is 400") {
    for (std::string_view bad : {"GET /%zz HTTP/1.1\r\n\r\n", "GET /a% HTTP/1.1\r\n\r\n",
                                 "GET /a%4 HTTP/1.1\r\n\r\n", "GET /a%4?x=1 HTTP/1.1\r\n\r\n"}) {
      CAPTURE(bad);
      Parsed p = Parse(bad);
      CHECK(p.err.status == 400);
      CHECK(p.err.message == "request target: malformed percent-escape in the path");
    }
  }

  TEST_CASE("RequestParser: a NUL byte in the decoded path is 400") {
    Parsed p = Parse("GET /a%00b HTTP/1.1\r\n\r\n");
    CHECK(p.err.status == 400);
    CHECK(p.err.message == "request target: the path must not contain a NUL byte (%00)");
    // Only the path: a query value is data and may hold any byte.
    Parsed q = Parse("GET /a?v=%00 HTTP/1.1\r\n\r\n");
    REQUIRE(q.err.status == 0);
    CHECK(*q.req.Query("v") == std::string(1, '\0'));
  }

  TEST_CASE("RequestParser: the query splits on '&' and the first '=', then decodes") {
    Parsed p = Parse("GET /p?a=1&b=&c&d=x=y&e=%26%3D&f+g=h+i%2B&%7A=z HTTP/1.1\r\n\r\n");
    REQUIRE(p.err.status == 0);
    CHECK(p.req.path == "/p");
    using Q = std::vector<std::pair<std::string, std::string>>;
    CHECK(p.req.query == Q{{"a", "1"},
                           {"b", ""},
                           {"c", ""},
                           {"d", "x=y"},
                           {"e", "&="},
                           {"f g", "h i+"},
                           {"z", "z"}});
  }

  TEST_CASE("RequestParser: empty query pairs are skipped") {
    using Q = std::vector<std::pair<std::string, std::string>>;
    CHECK(Parse("GET /p? HTTP/1.1\r\n\r\n").req.query.empty());
    CHECK(Parse("GET /p?& HTTP/1.1\r\n\r\n").req.query.empty());
    CHECK(Parse("GET /p?&a=1&&b=2& HTTP/1.1\r\n\r\n").req.query == Q{{"a", "1"}, {"b", "2"}});
    CHECK(Parse("GET /p?=v HTTP/1.1\r\n\r\n").req.query == Q{{"", "v"}});  // not empty: kept
    CHECK(Parse("GET /p?a=1?b=2 HTTP/1.1\r\n\r\n").req.query == Q{{"a", "1?b=2"}});
  }

  TEST_CASE("RequestParser: a malformed escape in the query is 400") {
    for (std::string_view bad :
         {"GET /p?a=%zz HTTP/1.1\r\n\r\n", "GET /p?a=% HTTP/1.1\r\n\r\n",
          "GET /p?a%=1 HTTP/1.1\r\n\r\n", "GET /p?a=1&b=%f HTTP/1.1\r\n\r\n"}) {
      CAPTURE(bad);
      Parsed p = Parse(bad);
      CHECK(p.err.status == 400);
      CHECK(p.err.message == "request target: malformed percent-escape in the query");
    }
  }

  // --- Header lines --------------------------------------------------------------------------

  TEST_CASE("RequestParser: header values are trimmed and may hold tabs and non-ASCII bytes") {
    Parsed p = Parse(
        "GET / HTTP/1.1\r\nA:\tx\ty \r\nB:\r\nC:   \r\nD: caf\xC3\xA9\r\nE: a, b ; q=1\r\n\r\n");
    REQUIRE_MESSAGE(p.err.status == 0, p.err.message);
    CHECK(p.req.Header("a") == "x\ty");
    CHECK(p.req.HasHeader("b"));
    CHECK(p.req.Header("b").empty());
    CHECK(p.req.Header("c").empty());
    CHECK(p.req.Header("d") == "caf\xC3\xA9");
    CHECK(p.req.Header("e") == "a, b ; q=1");
  }

  TEST_CASE("RequestParser: repeated headers are all kept, in order") {
    Parsed p = Parse("GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n");
    REQUIRE(p.err.status == 0);
    REQUIRE(p.req.headers.size() == 2);
    CHECK(p.req.headers[1].name == "x-a");
    CHECK(p.req.Header("X-A") == "1");
  }

  TEST_CASE("RequestParser: a header name must be a token with no space before the colon") {
    for (std::string_view bad :
         {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
          "GET / HTTP/1.1\r\n: a\r\n\r\n", "GET / HTTP/1.1\r\nX(y): a\r\n\r\n",
          "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"}) {
      CAPTURE(bad);
      Parsed p = Parse(bad);
      CHECK(p.err.status == 400);
      CHECK(p.err.message == "header line: the name must be a token, with no space before ':'");
    }
    CHECK(StatusOf("GET / HTTP/1.1\r\nX-Odd_Name!#$%&'*+.^`|~: a\r\n\r\n") == 0);
  }

  TEST_CASE("RequestParser: a header line without a colon is 400") {
    Parsed p = Parse("GET / HTTP/1.1\r\nHost a\r\n\r\n");
    CHECK(p.err.status == 400);
    CHECK(p.err.message == "header line: missing ':'");
  }

  TEST_CASE("RequestParser: obsolete line folding is 400") {
    for (std::string_view bad : {"GET / HTTP/1.1\r\nX-A: 1\r\n  continued\r\n\r\n",
                                 "GET / HTTP/1.1\r\nX-A: 1\r\n\tcontinued\r\n\r\n",
                                 "GET / HTTP/1.1\r\n Host: a\r\n\r\n"}) {
      CAPTURE(bad);
      Parsed p = Parse(bad);
      CHECK(p.err.status == 400);
      CHECK(p.err.message == "header line: obsolete line folding is not accepted");
    }
  }

  TEST_CASE("RequestParser: control bytes other than tab in a value are 400") {
    using namespace std::string_view_literals;
    for (std::string_view bad :
         {"GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n"sv, "GET / HTTP/1.1\r\nX-A: a\x01\r\n\r\n"sv,
          "GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n"sv, "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n"sv,
          "GET / HTTP/1.1\r\nX-A: ab\r\r\n\r\n"sv}) {
      CAPTURE(bad);
      Parsed p = Parse(bad);
      CHECK(p.err.status == 400);
      CHECK(p.err.message == "header 'X-A': value contains a control byte");
    }
  }

  TEST_CASE("RequestParser: bare LF line ends are accepted like CRLF") {
    Parsed lf = Parse("POST /x?a=1 HTTP/1.1\nHost: h\nContent-Length: 2\n\n");
    Parsed crlf = Parse("POST /x?a=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n");
    Parsed mixed = Parse("POST /x?a=1 HTTP/1.1\nHost: h\r\nContent-Length: 2\n\r\n");
    for (const Parsed* p : {&lf, &crlf, &mixed}) {
      REQUIRE_MESSAGE(p->err.status == 0, p->err.message);
      CHECK(p->req.path == "/x");
      CHECK(p->req.Header("host") == "h");
      CHECK(p->head.content_length == 2);
    }
  }

  TEST_CASE("RequestParser: Host is not required") {
    CHECK(StatusOf("GET / HTTP/1.0\r\n\r\n") == 0);
    CHECK(StatusOf("GET / HTTP/1.1\r\n\r\n") == 0);
  }

  TEST_CASE("RequestParser: a head without its empty line or with bytes after it is 400") {
    // Outside the REQUIRES, but still no crash and no guess.
    CHECK(StatusOf("") == 400);
    CHECK(StatusOf("\r\n\r\n") == 400);
    CHECK(StatusOf("GET / HTTP/1.1") == 400);
    CHECK(StatusOf("GET / HTTP/1.1\r\nHost: a\r\n") == 400);
    CHECK(StatusOf("GET / HTTP/1.1\r\n\r\nbody") == 400);
  }

  // --- Limits --------------------------------------------------------------------------------

  TEST_CASE("RequestParser: the head may be max_head_bytes, not one more (431)") {
    std::string head = "GET / HTTP/1.1\r\nX-Pad: \r\n\r\n";
    head.insert(head.size() - 4, 65536 - head.size(), 'p');
    REQUIRE(head.size() == 65536);
    CHECK(StatusOf(head) == 0);
    head.insert(head.size() - 4, "p");
    Parsed p = Parse(head);
    CHECK(p.err.status == 431);
    CHECK(p.err.message == "request head: larger than 65536 bytes");

    ParseLimits small;
    small.max_head_bytes = 20;
    CHECK(StatusOf("GET /abcd HTTP/1.1\n\n", small) == 0);  // 20 bytes
    CHECK(StatusOf("GET /abcde HTTP/1.1\n\n", small) == 431);
  }

  TEST_CASE("RequestParser: at most max_headers fields (431)") {
    CHECK(StatusOf(HeadWithHeaders(100)) == 0);
    Parsed p = Parse(HeadWithHeaders(101));
    CHECK(p.err.status == 431);
    CHECK(p.err.message == "request head: more than 100 header fields");
    ParseLimits none;
    none.max_headers = 0;
    CHECK(StatusOf(HeadWithHeaders(0), none) == 0);
    CHECK(StatusOf(HeadWithHeaders(1), none) == 431);
  }

  TEST_CASE("RequestParser: the target may be max_target_bytes, not one more (414)") {
    std::string target = "/" + std::string(8191, 't');
    CHECK(StatusOf("GET " + target + " HTTP/1.1\r\n\r\n") == 0);
    Parsed p = Parse("GET " + target + "t HTTP/1.1\r\n\r\n");
    CHECK(p.err.status == 414);
    CHECK(p.err.message == "request target: longer than 8192 bytes");
  }

  // --- Content-Length ------------------------------------------------------------------------

  TEST_CASE("RequestParser: Content-Length is a decimal number, 0 when absent") {
    CHECK(Parse("POST / HTTP/1.1\r\n\r\n").head.content_length == 0);
    CHECK(Parse("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").head.content_length == 0);
    CHECK(Parse("POST / HTTP/1.1\r\ncontent-length:42\r\n\r\n").head.content_length == 42);
    CHECK(Parse("POST / HTTP/1.1\r\nCONTENT-LENGTH: 007 \r\n\r\n").head.content_length == 7);
    for (std::string_view v : {"", "-1", "+5", "0x10", "1,1", "1 1", "12a", "1.0", "١"}) {
      CAPTURE(v);
      Parsed p = Parse("POST / HTTP/1.1\r\nContent-Length: " + std::string(v) + "\r\n\r\n");
      CHECK(p.err.status == 400);
      CHECK(p.err.message == "header 'Content-Length': must be a decimal number");
    }
  }

  TEST_CASE("RequestParser: a repeated Content-Length must have the same value") {
    Parsed same = Parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
    REQUIRE(same.err.status == 0);
    CHECK(same.head.content_length == 5);
    // Compared as numbers: leading zeros do not make a different value.
    CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: 05\r\ncontent-length: 5\r\n\r\n") == 0);
    CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: 0\r\ncontent-length: 000\r\n\r\n") == 0);
    Parsed diff = Parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
    CHECK(diff.err.status == 400);
    CHECK(diff.err.message == "header 'Content-Length': repeated with a different value");
    CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: 0\r\ncontent-length: 50\r\n\r\n") == 400);
  }

  TEST_CASE("RequestParser: Content-Length above max_body_bytes is 413") {
    CHECK(Parse("POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n").head.content_length ==
          1048576);
    Parsed p = Parse("POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n");
    CHECK(p.err.status == 413);
    CHECK(p.err.message == "header 'Content-Length': larger than the body limit of 1048576 bytes");
    // Past 64 bits: still 413, no overflow.
    CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n") == 413);
    CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n") == 413);
    ParseLimits big;
    big.max_body_bytes = UINT64_MAX;
    CHECK(Parse("POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n", big)
              .head.content_length == UINT64_MAX);
    CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", big) == 413);
  }

  // --- Transfer-Encoding ---------------------------------------------------------------------

  TEST_CASE("RequestParser: Transfer-Encoding ending in chunked is 411") {
    for (std::string_view te :
         {"chunked", "Chunked", "gzip, chunked", "gzip,chunked,", "  CHUNKED  "}) {
      CAPTURE(te);
      Parsed p = Parse("POST / HTTP/1.1\r\nTransfer-Encoding: " + std::string(te) + "\r\n\r\n");
      CHECK(p.err.status == 411);
      CHECK(p.err.message ==
            "header 'Transfer-Encoding': chunked bodies are not accepted; send Content-Length");
    }
    // Across two fields the list goes on: chunked is last.
    CHECK(StatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
                   "transfer-encoding: chunked\r\n\r\n") == 411);
  }

  TEST_CASE("RequestParser: any other Transfer-Encoding is 501") {
    for (std::string_view te : {"gzip", "chunked, gzip", "identity", "chunkedx", ""}) {
      CAPTURE(te);
      Parsed p = Parse("POST / HTTP/1.1\r\nTransfer-Encoding: " + std::string(te) + "\r\n\r\n");
      CHECK(p.err.status == 501);
      CHECK(p.err.message == "header 'Transfer-Encoding': transfer codings are not implemented");
    }
    CHECK(StatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                   "Transfer-Encoding: gzip\r\n\r\n") == 501);
  }

  TEST_CASE("RequestParser: Transfer-Encoding with Content-Length is 400") {
    for (std::string_view head :
         {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
          "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
          "POST / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: gzip\r\n\r\n",
          "POST / HTTP/1.0\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"}) {
      CAPTURE(head);
      Parsed p = Parse(head);
      CHECK(p.err.status == 400);
      CHECK(p.err.message ==
            "header 'Transfer-Encoding': not allowed together with Content-Length");
    }
  }

  // --- Connection and Expect -----------------------------------------------------------------

  TEST_CASE("RequestParser: HTTP/1.1 keeps the connection unless a close token is sent") {
    CHECK(Parse("GET / HTTP/1.1\r\n\r\n").head.keep_alive);
    CHECK(Parse("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n").head.keep_alive);
    CHECK(Parse("GET / HTTP/1.1\r\nConnection: Upgrade, TE\r\n\r\n").head.keep_alive);
    CHECK(Parse("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n").head.keep_alive);  // a token
    CHECK(Parse("GET / HTTP/1.1\r\nConnection: \"close\"\r\n\r\n").head.keep_alive);
    for (std::string_view v :
         {"close", "Close", "CLOSE", "TE, close", "close,TE", " ,close, ", "keep-alive, close"}) {
      CAPTURE(v);
      CHECK_FALSE(
          Parse("GET / HTTP/1.1\r\nConnection: " + std::string(v) + "\r\n\r\n").head.keep_alive);
    }
    // A second Connection field continues the list.
    CHECK_FALSE(
        Parse("GET / HTTP/1.1\r\nConnection: TE\r\nconnection: close\r\n\r\n").head.keep_alive);
  }

  TEST_CASE("RequestParser: HTTP/1.0 closes the connection unless keep-alive is sent") {
    CHECK_FALSE(Parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
    CHECK_FALSE(Parse("GET / HTTP/1.0\r\nConnection: TE\r\n\r\n").head.keep_alive);
    CHECK_FALSE(Parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").head.keep_alive);
    CHECK_FALSE(Parse("GET / HTTP/1.0\r\nConnection: keep-alived\r\n\r\n").head.keep_alive);
    for (std::string_view v : {"keep-alive", "Keep-Alive", "TE, KEEP-ALIVE", "keep-alive,"}) {
      CAPTURE(v);
      CHECK(Parse("GET / HTTP/1.0\r\nConnection: " + std::string(v) + "\r\n\r\n").head.keep_alive);
    }
  }

  TEST_CASE("RequestParser: Expect: 100-continue is recognised in any case, for HTTP/1.1") {
    CHECK(Parse("POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n").head.expect_continue);
    CHECK(Parse("POST / HTTP/1.1\r\nexpect: 100-Continue\r\n\r\n").head.expect_continue);
    CHECK(Parse("POST / HTTP/1.1\r\nEXPECT:  100-CONTINUE \r\n\r\n").head.expect_continue);
    CHECK_FALSE(Parse("POST / HTTP/1.1\r\n\r\n").head.expect_continue);
    CHECK_FALSE(Parse("POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n").head.expect_continue);
    CHECK_FALSE(Parse("POST / HTTP/1.1\r\nExpect: 100-continued\r\n\r\n").head.expect_continue);
    // RFC 9110 §10.1.1: ignored in an HTTP/1.0 request.
    CHECK_FALSE(Parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").head.expect_continue);
  }

  TEST_CASE("RequestParser: the first error in head order is the one reported") {
    // Head size before anything in it.
    ParseLimits small;
    small.max_head_bytes = 10;
    CHECK(StatusOf("BAD\r\n\r\n\r\n\r\n", small) == 431);
    // The version before the target's length.
    CHECK(StatusOf("GET /" + std::string(9000, 'a') + " HTTP/2.0\r\n\r\n") == 505);
    // Header lines in order: a bad line before a bad Content-Length, and the reverse.
    CHECK(Parse("GET / HTTP/1.1\r\nBad line\r\nContent-Length: x\r\n\r\n").err.message ==
          "header line: missing ':'");
    CHECK(Parse("GET / HTTP/1.1\r\nContent-Length: x\r\nBad line\r\n\r\n").err.message ==
          "header 'Content-Length': must be a decimal number");
    // Framing after all lines: TE with CL is 400 even when the length is over the limit.
    CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: 99999999\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n") == 400);
    CHECK(StatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nBad line\r\n\r\n") == 400);
  }

  // --- Reuse ---------------------------------------------------------------------------------

  TEST_CASE("RequestParser: parsing into a used Request replaces the earlier request's values") {
    Request req;
    RequestHead head;
    REQUIRE(ParseRequestHead("POST /a?x=1 HTTP/1.0\r\nA: 1\r\nContent-Length: 3\r\n"
                             "Expect: 100-continue\r\n\r\n",
                             {}, &req, &head)
                .status == 0);
    REQUIRE(ParseRequestHead("GET /b HTTP/1.1\r\n\r\n", {}, &req, &head).status == 0);
    CHECK(req.method == "GET");
    CHECK(req.target == "/b");
    CHECK(req.path == "/b");
    CHECK(req.query.empty());
    CHECK(req.headers.empty());
    CHECK(req.version_minor == 1);
    CHECK(head.content_length == 0);
    CHECK(head.keep_alive);
    CHECK_FALSE(head.expect_continue);
  }
}

}  // namespace tock::http
