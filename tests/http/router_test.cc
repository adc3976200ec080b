#include "http/router.h"

#include "http/server.h"  // Responder, for the async route

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace tock::http {
namespace {

void Nop(const Request&, Response&) {}

Request Req(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

// The pattern Find picked for method+path, "404" when nothing matched, or "405 <allow>".
std::string Found(const Router& router, std::string method, std::string path,
                  std::vector<std::string>* params = nullptr) {
  Request req = Req(std::move(method), std::move(path));
  Router::Match m = router.Find(&req);
  if (params != nullptr) *params = req.path_params;
  if (m.route == nullptr) {
    CHECK(req.route.empty());
    return m.allow.empty() ? "404" : "405 " + m.allow;
  }
  CHECK(m.allow.empty());
  CHECK(req.route == m.route->pattern);
  return std::string(req.route);
}

TEST_SUITE("Router") {
  TEST_CASE("Router: a literal segment beats {param}, whichever was added first") {
    Router r;
    r.Add("GET", "/tasks/{id}", Nop);
    r.Add("GET", "/tasks/stats", Nop);
    r.Add("GET", "/apps/summary", Nop);
    r.Add("GET", "/apps/{app}", Nop);
    std::vector<std::string> params;
    CHECK(Found(r, "GET", "/tasks/stats", &params) == "/tasks/stats");
    CHECK(params.empty());
    CHECK(Found(r, "GET", "/tasks/7", &params) == "/tasks/{id}");
    CHECK(params == std::vector<std::string>{"7"});
    CHECK(Found(r, "GET", "/apps/summary") == "/apps/summary");
    CHECK(Found(r, "GET", "/apps/a1", &params) == "/apps/{app}");
    CHECK(params == std::vector<std::string>{"a1"});
  }

  TEST_CASE("Router: params are extracted in order, decoded text as given") {
    Router r;
    r.Add("DELETE", "/apps/{app}/tasks/{id}", Nop);
    std::vector<std::string> params;
    CHECK(Found(r, "DELETE", "/apps/my app/tasks/t-9", &params) == "/apps/{app}/tasks/{id}");
    CHECK(params == std::vector<std::string>{"my app", "t-9"});
  }

  TEST_CASE("Router: {param} takes exactly one non-empty segment") {
    Router r;
    r.Add("GET", "/a/{x}", Nop);
    CHECK(Found(r, "GET", "/a/x") == "/a/{x}");
    CHECK(Found(r, "GET", "/a/") == "404");    // empty segment ("/a" after the slash)
    CHECK(Found(r, "GET", "/a") == "404");
    CHECK(Found(r, "GET", "/a/x/y") == "404");
    CHECK(Found(r, "GET", "/a//") == "404");
    CHECK(Found(r, "GET", "/b/x") == "404");
  }

  TEST_CASE("Router: literal patterns match the whole path exactly") {
    Router r;
    r.Add("GET", "/", Nop);
    r.Add("GET", "/healthz", Nop);
    CHECK(Found(r, "GET", "/") == "/");
    CHECK(Found(r, "GET", "/healthz") == "/healthz");
    CHECK(Found(r, "GET", "/healthzz") == "404");
    CHECK(Found(r, "GET", "/health") == "404");
    CHECK(Found(r, "GET", "//") == "404");
  }

  TEST_CASE("Router: every route takes its path with one trailing slash (issue 14)") {
    Router r;
    r.Add("GET", "/", Nop);
    r.Add("GET", "/healthz", Nop);
    r.Add("POST", "/v4/schedules", Nop);
    r.Add("GET", "/v4/schedules/{id}", Nop);
    std::vector<std::string> params;
    CHECK(Found(r, "GET", "/healthz/") == "/healthz");
    CHECK(Found(r, "POST", "/v4/schedules/") == "/v4/schedules");
    CHECK(Found(r, "GET", "/v4/schedules/7/", &params) == "/v4/schedules/{id}");
    CHECK(params == std::vector<std::string>{"7"});
    CHECK(Found(r, "GET", "/v4/schedules/") == "405 POST");  // the list path, another method
    // One slash only, and never an empty segment.
    CHECK(Found(r, "GET", "/healthz//") == "404");
    CHECK(Found(r, "GET", "/v4/schedules/7//") == "404");
    CHECK(Found(r, "GET", "//") == "404");
  }

  TEST_CASE("Router: HEAD is served by the GET route and keeps its method") {
    Router r;
    r.Add("GET", "/doc/{id}", Nop);
    r.Add("POST", "/form", Nop);
    Request req = Req("HEAD", "/doc/3");
    Router::Match m = r.Find(&req);
    REQUIRE(m.route != nullptr);
    CHECK(m.route->method == "GET");
    CHECK(req.method == "HEAD");
    CHECK(req.path_params == std::vector<std::string>{"3"});
    CHECK(Found(r, "HEAD", "/form") == "405 POST");
  }

  TEST_CASE("Router: another method's match gives 405 with each method once, in order") {
    Router r;
    r.Add("PUT", "/x/{id}", Nop);
    r.Add("GET", "/x/{id}", Nop);
    r.Add("GET", "/x/special", Nop);
    r.Add("DELETE", "/y", Nop);
    CHECK(Found(r, "POST", "/x/1") == "405 PUT, GET, HEAD");
    CHECK(Found(r, "POST", "/x/special") == "405 PUT, GET, HEAD");
    CHECK(Found(r, "GET", "/y") == "405 DELETE");
    CHECK(Found(r, "GET", "/z") == "404");
    // The right method's match clears what other methods added.
    CHECK(Found(r, "GET", "/x/1") == "/x/{id}");
  }

  TEST_CASE("Router: an async route is found like a blocking one") {
    Router r;
    r.AddAsync("POST", "/tasks", [](Request&, Responder) {});
    Request req = Req("POST", "/tasks");
    Router::Match m = r.Find(&req);
    REQUIRE(m.route != nullptr);
    CHECK(m.route->async_handler != nullptr);
    CHECK(m.route->handler == nullptr);
  }

  TEST_CASE("Router: a fallback covers its prefix and below, any method, after routes") {
    Router r;
    r.Add("GET", "/v4/schedules/{id}", Nop);
    r.AddFallback("/v4", Nop);
    CHECK(Found(r, "GET", "/v4/schedules/1") == "/v4/schedules/{id}");
    CHECK(Found(r, "DELETE", "/v4/schedules/1") == "/v4/*");  // wins over 405
    CHECK(Found(r, "GET", "/v4") == "/v4/*");
    CHECK(Found(r, "PATCH", "/v4/anything/below") == "/v4/*");
    CHECK(Found(r, "GET", "/v4x") == "404");
    CHECK(Found(r, "GET", "/v") == "404");
    CHECK(Found(r, "GET", "/") == "404");
    Request req = Req("GET", "/v4/a");
    Router::Match m = r.Find(&req);
    REQUIRE(m.route != nullptr);
    CHECK(m.route->handler != nullptr);
    CHECK(req.path_params.empty());
    CHECK(req.allowed_methods.empty());
  }

  TEST_CASE("Router: a fallback is told the methods a path serves, for its own 405") {
    Router r;
    r.Add("GET", "/v4/schedules/{id}", Nop);
    r.Add("PUT", "/v4/schedules/{id}", Nop);
    r.AddFallback("/v4", Nop);
    Request req = Req("PATCH", "/v4/schedules/1/");
    Router::Match m = r.Find(&req);
    REQUIRE(m.route != nullptr);
    CHECK(req.route == "/v4/*");
    CHECK(req.allowed_methods == "GET, HEAD, PUT");
    CHECK(m.allow.empty());
  }
}

}  // namespace
}  // namespace tock::http
