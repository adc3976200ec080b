// libFuzzer target: the HTTP request-head parser (http/request_parser.h). The input is what a
// client sends on a connection. FindHeadEnd is run once on all of it and again in pieces (as
// reads arrive), and both must agree; a complete head goes through ParseRequestHead with
// tock's default limits and with tiny ones. An accepted head must satisfy the parser's
// promises, and the same request written back out (LF line ends, no optional spaces, so never
// longer) must parse to the same result; tighter limits may only refuse more.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/request_parser.h"

namespace {

using tock::http::FindHeadEnd;
using tock::http::ParseLimits;
using tock::http::PercentDecode;
using tock::http::Request;
using tock::http::RequestHead;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// FindHeadEnd on growing prefixes of `in`, piece sizes from a small PRNG seeded by `seed`.
size_t FindInPieces(std::string_view in, uint8_t seed) {
  uint32_t state = seed * 2654435761u + 1;
  size_t scanned = 0;
  size_t n = 0;
  while (true) {
    state = state * 1664525u + 1013904223u;
    n = std::min(in.size(), n + 1 + (state >> 24) % 24);
    size_t end = FindHeadEnd(in.substr(0, n), &scanned);
    if (end != 0) return end;
    Check(scanned == n);
    if (n == in.size()) return 0;
  }
}

void CheckAccepted(std::string_view head_bytes, const ParseLimits& limits, const Request& req,
                   const RequestHead& head) {
  Check(head_bytes.size() <= limits.max_head_bytes);
  Check(!req.method.empty());
  for (char c : req.method) Check(IsTokenChar(c));
  Check(!req.target.empty() && req.target.front() == '/');
  Check(req.target.size() <= limits.max_target_bytes);
  Check(!req.path.empty() && req.path.front() == '/');
  Check(req.path.find('\0') == std::string::npos);
  Check(req.path.size() <= req.target.size());
  Check(req.version_minor == 0 || req.version_minor == 1);
  Check(req.headers.size() <= limits.max_headers);
  for (const auto& h : req.headers) {
    Check(!h.name.empty());
    for (char c : h.name) Check(IsTokenChar(c));
    for (char c : h.value) Check(c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
    if (!h.value.empty()) {
      Check(h.value.front() != ' ' && h.value.front() != '\t');
      Check(h.value.back() != ' ' && h.value.back() != '\t');
    }
    Check(!tock::http::EqualsIgnoreCase(h.name, "Transfer-Encoding"));
  }
  Check(head.content_length <= limits.max_body_bytes);
  if (!req.HasHeader("Content-Length")) Check(head.content_length == 0);
  if (req.version_minor == 0) Check(!head.expect_continue);
}

// The accepted request written back out: never longer than the original head.
std::string Reserialize(const Request& req) {
  std::string out =
      req.method + " " + req.target + " HTTP/1." + std::to_string(req.version_minor) + "\n";
  for (const auto& h : req.headers) out += h.name + ":" + h.value + "\n";
  return out + "\n";
}

// True when the head is accepted under `limits`.
bool ParseAndCheck(std::string_view head_bytes, const ParseLimits& limits) {
  Request req;
  RequestHead head;
  tock::http::HeadError err = ParseRequestHead(head_bytes, limits, &req, &head);
  if (err.status != 0) {
    Check(!err.message.empty());
    const int s = err.status;
    Check(s == 400 || s == 411 || s == 413 || s == 414 || s == 431 || s == 501 || s == 505);
    return false;
  }
  CheckAccepted(head_bytes, limits, req, head);

  std::string again = Reserialize(req);
  Check(again.size() <= head_bytes.size());
  size_t scanned = 0;
  Check(FindHeadEnd(again, &scanned) == again.size());
  Request req2;
  RequestHead head2;
  Check(ParseRequestHead(again, limits, &req2, &head2).status == 0);
  Check(req2.method == req.method && req2.target == req.target && req2.path == req.path &&
        req2.query == req.query && req2.version_minor == req.version_minor);
  Check(req2.headers.size() == req.headers.size());
  for (size_t i = 0; i < req.headers.size(); ++i) {
    Check(req2.headers[i].name == req.headers[i].name);
    Check(req2.headers[i].value == req.headers[i].value);
  }
  Check(head2.content_length == head.content_length && head2.keep_alive == head.keep_alive &&
        head2.expect_continue == head.expect_continue);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  size_t scanned = 0;
  const size_t end = FindHeadEnd(in, &scanned);
  Check(scanned == (end != 0 ? end : in.size()));
  if (size > 0) Check(FindInPieces(in, data[0]) == end);

  std::string decoded;
  if (PercentDecode(in, size % 2 == 0, &decoded)) Check(decoded.size() <= in.size());

  if (end == 0) return 0;
  std::string_view head_bytes = in.substr(0, end);
  const bool accepted = ParseAndCheck(head_bytes, ParseLimits{});
  ParseLimits tiny;
  tiny.max_head_bytes = 256;
  tiny.max_headers = 4;
  tiny.max_target_bytes = 32;
  tiny.max_body_bytes = 100;
  // Tighter limits can only refuse more.
  if (ParseAndCheck(head_bytes, tiny)) Check(accepted);
  return 0;
}
