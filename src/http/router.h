// Router: maps a method and a decoded path to the handler registered for it.
//
// Patterns are paths whose segments are literal or `{name}`; a `{name}` segment matches any
// one non-empty segment, and its text goes to Request::path_params. A literal segment wins
// over a `{name}` one where both match. Every route also takes its path with one trailing
// slash ("/v4/schedules/" is "/v4/schedules"): clients written against the originals add one
// (JPush's Python client posts to "/v3/schedules/"); patterns never end in one.
// A fallback covers a prefix and everything under it, any method, for paths no route matches
// (the schedule surfaces answer their own 404s and 405s in their error shape).
// Elsewhere, a path that a route matches with another method gets 405 with an Allow header.
//
// Built once before the server starts, then read-only: Find may run on many threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.h"

namespace tock::http {

class Responder;

// A handler that may block (storage, backups): runs on the server's handler pool.
using Handler = std::function<void(const Request&, Response&)>;
// A handler that never blocks: runs on the event loop thread and answers through the
// Responder, now or later from any thread (tock's creates answer once their group commit
// is durable).
using AsyncHandler = std::function<void(Request&, Responder)>;
// Runs on the event loop as soon as a request's head is complete, before its body is read
// (it must not block): an answer (a 401, a 429) ends the request there, so a stranger's
// body is never buffered. nullopt: go on and read the body.
using HeadCheck = std::function<std::optional<Response>(const Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;             // exactly one of handler and async_handler is set
  AsyncHandler async_handler;
  HeadCheck head_check;        // may be empty
};

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler,
           HeadCheck head_check = nullptr);
  void AddAsync(std::string method, std::string pattern, AsyncHandler handler,
                HeadCheck head_check = nullptr);
  // For paths equal to `prefix` or under `prefix` + "/" that no route matches, any method.
  // Its pattern (Request::route) is `prefix` + "/*".
  void AddFallback(std::string prefix, Handler handler);

  struct Match {
    const Route* route = nullptr;  // null: nothing matched (see allow)
    // When route is null but the path matched routes of other methods: those methods,
    // comma-separated ("GET, PUT"), for a 405's Allow header. Empty for a plain 404.
    std::string allow;
  };
  // Fills req->route and req->path_params when a route or fallback matches, and, when a
  // fallback takes a path that routes of other methods match, req->allowed_methods. HEAD is
  // served by the GET route of the same path.
  Match Find(Request* req) const;

  // Every registered route as (method, pattern), in registration order; fallbacks last,
  // with method "*" and pattern prefix + "/*". For documentation checks (the OpenAPI test)
  // and GET /admin/routes.
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  static bool PatternMatches(std::string_view pattern, std::string_view path,
                             std::vector<std::string>* params, int* literal_segments);

  std::vector<Route> routes_;
  std::vector<Route> fallbacks_;  // method unused; pattern is the prefix + "/*"
};

}  // namespace tock::http
