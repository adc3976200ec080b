// Parsing of HTTP/1.1 request heads (RFC 9112), for tock's event-loop server.
//
// The server reads bytes into a per-connection buffer and calls FindHeadEnd after each read;
// only a complete head ("...\r\n\r\n") is parsed, once, by ParseRequestHead. The body is then
// framed by the head's Content-Length alone: tock refuses chunked bodies (411) and so never
// has to parse them. Pure functions, no state: safe from any thread.
//
// What a head must satisfy (anything else is an error with the status named):
// - request line `METHOD SP request-target SP HTTP/1.x`; method a token; target in
//   origin-form (starts with '/'), no spaces or control bytes; version HTTP/1.0 or HTTP/1.1
//   (505 for other versions, 400 for anything that is not a version);
// - each header `name: value`, name a token with no space before the colon (400); no obsolete
//   line folding (400); values without control bytes other than tab (400);
// - bare LF line endings are accepted as well as CRLF (as most servers do);
// - limits: the whole head at most max_head_bytes (431), at most max_headers fields (431),
//   the request-target at most max_target_bytes (414);
// - Content-Length: digits only, repeated only with the same value (400); more than
//   max_body_bytes gives 413;
// - Transfer-Encoding present: 411 when it ends in chunked (a length is required instead),
//   501 otherwise; with a Content-Length too, 400 (request smuggling guard);
// - Host is not required (tock's clients include plain HTTP/1.0 tools).
//
// Details the rules above leave open, as implemented:
// - empty lines before the request line are skipped (RFC 9112 §2.2) by both functions; a lone
//   CR never ends a line (it is a control byte, so 400);
// - the first error found is reported, in this order: head size; request line (method,
//   version, target length, target form, percent-escapes); header lines in order (field
//   count, form, control bytes, Content-Length syntax and repeats); then framing (TE with
//   CL, TE, body size);
// - a version shaped "HTTP/" DIGIT "." DIGIT is 505; anything else ("HTTP/1.10") is 400;
// - target bytes 0x80-0xFF pass through (raw UTF-8); absolute-form ("http://h/p") and "*" are
//   400; %2F decodes to '/' like any escape; only the path is refused a NUL (query values
//   are data);
// - query: split on '&', then at the first '='; empty pairs ("a&&b", a trailing '&') are
//   skipped; name and value are decoded after splitting, so %26 and %3D are data;
// - Content-Length repeats are compared as numbers ("05" equals "5"); a list ("5, 5") is
//   400; Transfer-Encoding is judged by the last coding across all its fields, and an empty
//   value counts as not chunked (501);
// - Connection and Expect are comma lists across all their fields; an expectation other than
//   100-continue is ignored, and so is 100-continue in an HTTP/1.0 request (RFC 9110 §10.1.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

namespace tock::http {

struct ParseLimits {
  size_t max_head_bytes = 64 * 1024;
  size_t max_headers = 100;
  size_t max_target_bytes = 8 * 1024;
  uint64_t max_body_bytes = 1u << 20;
};

struct RequestHead {
  uint64_t content_length = 0;   // 0 when the header is absent
  bool keep_alive = true;        // from the version and any Connection header
  bool expect_continue = false;  // "Expect: 100-continue" was sent
};

struct HeadError {
  int status = 0;       // 0: no error; else 400, 411, 413, 414, 431, 501 or 505
  std::string message;  // for the client, e.g. "header 'Content-Length': must be a decimal number"
};

// Where the head in `buf` ends: the offset just past its empty line, or 0 when the head is
// not complete yet. `scanned` is how much of `buf` earlier calls already searched (pass 0 the
// first time); the function updates it so each byte is searched about once (to buf.size()
// on a miss, to the returned offset on a hit; reset it to 0 after consuming the head). A miss
// with buf.size() >= max_head_bytes means the head cannot fit: answer 431 without waiting.
size_t FindHeadEnd(std::string_view buf, size_t* scanned);

// Parses a complete head (as located by FindHeadEnd, terminator included) into `req`
// (method, target, path, query, headers, version_minor; other fields are left alone) and
// `head`. On an error they hold partial values.
// REQUIRES: `head_bytes` ends with the empty line that FindHeadEnd found.
HeadError ParseRequestHead(std::string_view head_bytes, const ParseLimits& limits,
                           Request* req, RequestHead* head);

// Percent-decodes `in`; with plus_as_space, '+' becomes ' ' (query strings). False on a
// malformed escape ('%' not followed by two hex digits).
bool PercentDecode(std::string_view in, bool plus_as_space, std::string* out);

}  // namespace tock::http
