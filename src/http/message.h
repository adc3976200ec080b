// HTTP/1.1 request and response as tock's server hands them to route handlers. Plain values:
// no sockets, no threads; a handler owns the Request it is given and fills one Response.
//
// Header names compare case-insensitively (RFC 9110 §5.1); values are kept as sent, with
// surrounding spaces and tabs removed. Lookups return the first header of that name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tock::http {

struct HeaderField {
  std::string name;
  std::string value;
};

// ASCII case-insensitive equality, for header names and tokens such as "chunked".
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // as sent: "GET", "POST", ... (methods are case-sensitive)
  std::string target;  // the raw request-target, e.g. "/task/detail?id=7"
  std::string path;    // the target's path, percent-decoded ("/task/detail")
  // The query's name=value pairs in order, percent-decoded ('+' reads as a space).
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<HeaderField> headers;
  std::string body;
  int version_minor = 1;  // HTTP/1.<version_minor>; only 1.0 and 1.1 are accepted
  // Filled by the router: the pattern of the route that matched ("" when none), for logs
  // and metric labels, and the path segments its {name} parts matched, in order.
  std::string_view route;
  std::vector<std::string> path_params;
  // Filled by the router when a fallback takes a path that routes of other methods match:
  // those methods ("GET, PUT"), for the fallback's 405 and its Allow header. Else "".
  std::string allowed_methods;
  // Filled by the server: MonoNowNs() (common/clock.h) when the head was complete, and the
  // client's address ("127.0.0.1", "::1").
  int64_t received_ns = 0;
  std::string peer;
  // The request's id for logs and the X-Request-Id response header; the server's
  // on_request hook sets it (api/http_api.cc).
  std::string request_id;

  // The first header named `name`, or "" when there is none.
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // The first query parameter named `name`, or nullptr.
  const std::string* Query(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type;  // sent as Content-Type unless empty
  std::vector<HeaderField> headers;  // besides Content-Type, Content-Length and Connection
  std::string body;

  // Replaces every header named `name` with one.
  void SetHeader(std::string_view name, std::string value);
  std::string_view Header(std::string_view name) const;
  void SetBody(int status_code, std::string body_text, std::string_view type);
};

// "OK", "Not Found", ...; "Unknown" for a code tock never sends.
std::string_view ReasonPhrase(int status);

}  // namespace tock::http
