// DESIGN: the head is read in one pass, line by line (memchr for each '\n'), as string_views
// into the caller's buffer; the only copies are the strings stored in Request. Framing headers
// (Content-Length, Transfer-Encoding), Connection and Expect are recognised while the lines go
// by, so nothing searches the header list again afterwards. Checks are strict where a lenient
// reading could make tock and a proxy in front of it disagree on where a request ends (bare
// CR, obsolete folding, space before ':', CL+TE, differing Content-Lengths). Bare LF line
// ends are accepted, as RFC 9112 §2.2 allows and most servers do.

#include "http/request_parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace tock::http {
namespace {

constexpr std::array<bool, 256> MakeTokenTable() {
  // tchar, RFC 9110 §5.6.2.
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kTokenChar = MakeTokenTable();

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kTokenChar[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// Control bytes other than tab; a value or target holding one is refused, chiefly so that a
// bare CR can never act as a line end for someone else.
bool IsControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && u != '\t') || u == 0x7f;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(element) for each non-empty element of a comma-separated list (RFC 9110 §5.6.1:
// empty elements are allowed and mean nothing).
template <typename F>
void ForEachListElement(std::string_view v, F f) {
  while (true) {
    size_t comma = v.find(',');
    std::string_view e = TrimOws(v.substr(0, comma));
    if (!e.empty()) f(e);
    if (comma == std::string_view::npos) return;
    v.remove_prefix(comma + 1);
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// True when the line that ends with the '\n' at d[lf] is empty: nothing, or a lone CR.
bool EmptyLineEndsAt(const char* d, size_t lf) {
  if (lf == 0 || d[lf - 1] == '\n') return true;
  return d[lf - 1] == '\r' && (lf == 1 || d[lf - 2] == '\n');
}

// The head ends at the first empty line that follows a non-empty one: that skips the empty
// lines RFC 9112 §2.2 lets a client send before the request line, and needs only the few
// bytes before `lf`, so a search can resume anywhere.
// REQUIRES: EmptyLineEndsAt(d, lf).
bool PreviousLineNonEmpty(const char* d, size_t lf) {
  size_t prev;  // the '\n' ending the line before
  if (lf == 0) return false;
  if (d[lf - 1] == '\n') {
    prev = lf - 1;
  } else {  // "\r\n" line
    if (lf < 2) return false;
    prev = lf - 2;
  }
  return !EmptyLineEndsAt(d, prev);
}

// Hands out the lines of a head, without their '\n' and one '\r' before it.
class LineReader {
 public:
  explicit LineReader(std::string_view buf) : buf_(buf) {}

  // False when no complete line is left.
  bool Next(std::string_view* line) {
    if (pos_ >= buf_.size()) return false;
    const void* hit = std::memchr(buf_.data() + pos_, '\n', buf_.size() - pos_);
    if (hit == nullptr) return false;
    size_t lf = static_cast<const char*>(hit) - buf_.data();
    std::string_view l = buf_.substr(pos_, lf - pos_);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    pos_ = lf + 1;
    *line = l;
    return true;
  }
  bool AtEnd() const { return pos_ == buf_.size(); }

 private:
  std::string_view buf_;
  size_t pos_ = 0;
};

HeadError Error(int status, std::string message) { return HeadError{status, std::move(message)}; }

// What the header lines said about framing and the connection, gathered as they go by.
struct HeaderFacts {
  bool has_content_length = false;
  std::string_view content_length;  // its digits without leading zeros ("" for 0)
  bool has_transfer_encoding = false;
  bool chunked_last = false;  // the last transfer coding named is "chunked"
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool expect_continue = false;
};

HeadError ParseTarget(std::string_view target, Request* req) {
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  if (!PercentDecode(raw_path, /*plus_as_space=*/false, &req->path)) {
    return Error(400, "request target: malformed percent-escape in the path");
  }
  // A NUL would cut the path short for any C API it reaches (a file name, a log line).
  if (req->path.find('\0') != std::string::npos) {
    return Error(400, "request target: the path must not contain a NUL byte (%00)");
  }
  req->query.clear();
  if (q == std::string_view::npos) return {};
  std::string_view qs = target.substr(q + 1);
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view pair = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2", a trailing '&'
    size_t eq = pair.find('=');
    auto& [name, value] = req->query.emplace_back();
    if (!PercentDecode(pair.substr(0, eq), /*plus_as_space=*/true, &name) ||
        (eq != std::string_view::npos &&
         !PercentDecode(pair.substr(eq + 1), /*plus_as_space=*/true, &value))) {
      return Error(400, "request target: malformed percent-escape in the query");
    }
  }
  return {};
}

HeadError ParseRequestLine(std::string_view line, const ParseLimits& limits, Request* req) {
  constexpr std::string_view kForm = "request line: must be 'METHOD /target HTTP/1.x'";
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Error(400, std::string(kForm));
  std::string_view method = line.substr(0, sp1);
  if (!IsToken(method)) return Error(400, "request line: the method must be a token");
  std::string_view rest = line.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) return Error(400, std::string(kForm));
  std::string_view target = rest.substr(0, sp2);
  std::string_view version = rest.substr(sp2 + 1);

  if (version == "HTTP/1.1") {
    req->version_minor = 1;
  } else if (version == "HTTP/1.0") {
    req->version_minor = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
             version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    return Error(505, "request line: HTTP version must be HTTP/1.0 or HTTP/1.1");
  } else {
    return Error(400, "request line: malformed HTTP version (expected HTTP/1.0 or HTTP/1.1)");
  }

  if (target.size() > limits.max_target_bytes) {
    return Error(
        414, "request target: longer than " + std::to_string(limits.max_target_bytes) + " bytes");
  }
  if (target.empty() || target.front() != '/') {
    return Error(400, "request target: must start with '/'");
  }
  for (char c : target) {
    // Space cannot occur (it split the line); tab and other controls can.
    if (IsControl(c) || c == '\t') {
      return Error(400, "request target: must not contain spaces or control bytes");
    }
  }
  req->method.assign(method);
  req->target.assign(target);
  return ParseTarget(target, req);
}

HeadError ParseHeaderLine(std::string_view line, Request* req, HeaderFacts* facts) {
  if (line.front() == ' ' || line.front() == '\t') {
    return Error(400, "header line: obsolete line folding is not accepted");
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Error(400, "header line: missing ':'");
  std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) {
    return Error(400, "header line: the name must be a token, with no space before ':'");
  }
  std::string_view raw_value = line.substr(colon + 1);
  for (char c : raw_value) {
    if (IsControl(c)) {
      return Error(400, "header '" + std::string(name) + "': value contains a control byte");
    }
  }
  std::string_view value = TrimOws(raw_value);

  // Switch on the length first so that most headers cost one comparison here.
  switch (name.size()) {
    case 14:
      if (EqualsIgnoreCase(name, "Content-Length")) {
        if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos) {
          return Error(400, "header 'Content-Length': must be a decimal number");
        }
        std::string_view digits =
            value.substr(std::min(value.find_first_not_of('0'), value.size()));
        if (facts->has_content_length && digits != facts->content_length) {
          return Error(400, "header 'Content-Length': repeated with a different value");
        }
        facts->has_content_length = true;
        facts->content_length = digits;
      }
      break;
    case 17:
      if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
        facts->has_transfer_encoding = true;
        ForEachListElement(value, [&](std::string_view coding) {
          facts->chunked_last = EqualsIgnoreCase(coding, "chunked");
        });
      }
      break;
    case 10:
      if (EqualsIgnoreCase(name, "Connection")) {
        ForEachListElement(value, [&](std::string_view option) {
          if (EqualsIgnoreCase(option, "close")) facts->connection_close = true;
          if (EqualsIgnoreCase(option, "keep-alive")) facts->connection_keep_alive = true;
        });
      }
      break;
    case 6:
      if (EqualsIgnoreCase(name, "Expect")) {
        ForEachListElement(value, [&](std::string_view e) {
          if (EqualsIgnoreCase(e, "100-continue")) facts->expect_continue = true;
        });
      }
      break;
    default: break;
  }
  req->headers.push_back(HeaderField{std::string(name), std::string(value)});
  return {};
}

}  // namespace

size_t FindHeadEnd(std::string_view buf, size_t* scanned) {
  const char* d = buf.data();
  size_t i = std::min(*scanned, buf.size());
  // Each byte is looked at once by memchr; at a '\n' at most four bytes before it are
  // re-read, so a head trickling in one byte per read still costs O(its size) overall.
  while (i < buf.size()) {
    const void* hit = std::memchr(d + i, '\n', buf.size() - i);
    if (hit == nullptr) break;
    size_t lf = static_cast<const char*>(hit) - d;
    if (EmptyLineEndsAt(d, lf) && PreviousLineNonEmpty(d, lf)) {
      *scanned = lf + 1;
      return lf + 1;
    }
    i = lf + 1;
  }
  *scanned = buf.size();
  return 0;
}

HeadError ParseRequestHead(std::string_view head_bytes, const ParseLimits& limits, Request* req,
                           RequestHead* head) {
  *head = RequestHead{};
  if (head_bytes.size() > limits.max_head_bytes) {
    return Error(431,
                 "request head: larger than " + std::to_string(limits.max_head_bytes) + " bytes");
  }
  constexpr std::string_view kIncomplete = "request head: incomplete (no empty line at its end)";
  LineReader lines(head_bytes);
  std::string_view line;
  do {  // empty lines before the request line are skipped, as FindHeadEnd skips them
    if (!lines.Next(&line)) return Error(400, std::string(kIncomplete));
  } while (line.empty());
  if (HeadError e = ParseRequestLine(line, limits, req); e.status != 0) return e;

  req->headers.clear();
  HeaderFacts facts;
  while (true) {
    if (!lines.Next(&line)) return Error(400, std::string(kIncomplete));
    if (line.empty()) break;
    if (req->headers.size() >= limits.max_headers) {
      return Error(
          431, "request head: more than " + std::to_string(limits.max_headers) + " header fields");
    }
    if (HeadError e = ParseHeaderLine(line, req, &facts); e.status != 0) return e;
  }
  if (!lines.AtEnd()) {  // only when the REQUIRES is broken; never guess at the extra bytes
    return Error(400, "request head: bytes after the empty line that ends it");
  }

  // Framing. A request with both headers is how smuggling starts (RFC 9112 §6.1): refused.
  if (facts.has_transfer_encoding) {
    if (facts.has_content_length) {
      return Error(400, "header 'Transfer-Encoding': not allowed together with Content-Length");
    }
    if (facts.chunked_last) {
      return Error(411,
                   "header 'Transfer-Encoding': chunked bodies are not accepted; "
                   "send Content-Length");
    }
    return Error(501, "header 'Transfer-Encoding': transfer codings are not implemented");
  }
  if (facts.has_content_length) {
    // A value past 64 bits is out of range for from_chars, and over any limit as well.
    uint64_t n = 0;
    std::string_view digits = facts.content_length;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if ((!digits.empty() && ec != std::errc()) || n > limits.max_body_bytes) {
      return Error(413, "header 'Content-Length': larger than the body limit of " +
                            std::to_string(limits.max_body_bytes) + " bytes");
    }
    head->content_length = n;
  }

  const bool v11 = req->version_minor == 1;
  head->keep_alive = !facts.connection_close && (v11 || facts.connection_keep_alive);
  // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request must be ignored.
  head->expect_continue = facts.expect_continue && v11;
  return {};
}

bool PercentDecode(std::string_view in, bool plus_as_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    // Copy the run of plain bytes in one go; most paths and values have no escapes at all.
    size_t j = i;
    while (j < in.size() && in[j] != '%' && !(plus_as_space && in[j] == '+')) ++j;
    out->append(in.data() + i, j - i);
    if (j == in.size()) break;
    if (in[j] == '+') {
      out->push_back(' ');
      i = j + 1;
      continue;
    }
    if (in.size() - j < 3) return false;  // '%' needs two more bytes
    int hi = HexValue(in[j + 1]);
    int lo = HexValue(in[j + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i = j + 3;
  }
  return true;
}

}  // namespace tock::http
