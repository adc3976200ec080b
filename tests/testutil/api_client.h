// ApiClient: a loopback HTTP client for tock's Serendipity surface, for integration tests.
// It knows the admin (Bearer) and application (Basic, or the signed header set of SPEC §2)
// credentials and parses every response with simdjson into an ApiResponse.
//
//   ApiClient api(tock);                         // tock: a started TockProcess
//   App app = api.CreateApp(rx.Url(), {.step = 1, .retry_total = 2});
//   REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
//   ApiResponse r = api.CreateTask(app, {.runtime = RuntimeJson(WallNowMs() + 1000)});
//                                            // (WallNowMs: testutil/receiver.h)
//   int64_t id = r.Int("/data/taskId");
//   ApiResponse d = api.WaitForStatus(app, id, 2, 5s);   // polls /task/detail
//
// Not thread-safe: one ApiClient per thread (it holds one keep-alive connection). A client is
// bound to one port; after a restart make a new one.
#pragma once

#include <httplib.h>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tock::testing {

class TockProcess;

// One HTTP exchange and its parsed JSON body.
class ApiResponse {
 public:
  int status = 0;               // HTTP status; 0 when no response came (see transport_error)
  std::string body;
  std::string transport_error;  // httplib's error when status == 0
  httplib::Headers headers;     // the response's headers (names case-insensitive)

  // The first header named `name`, or "" when there is none.
  std::string Header(const std::string& name) const;

  void Parse();  // called by ApiClient after filling status/body
  bool json_ok() const { return json_ok_; }

  // JSON pointer (RFC 6901) accessors, e.g. "/data/taskId", "/data/attempts/0/outcome".
  bool Has(std::string_view pointer) const;
  bool IsNull(std::string_view pointer) const;
  // INT64_MIN if absent or not an integer.
  int64_t Int(std::string_view pointer) const;
  // "<missing>" if absent or not a string.
  std::string Str(std::string_view pointer) const;
  // The value re-serialised as compact JSON; "<missing>" if absent.
  std::string Json(std::string_view pointer) const;
  // Number of elements of an array or members of an object; -1 if absent or a scalar.
  int64_t Size(std::string_view pointer) const;
  bool Bool(std::string_view pointer, bool if_absent = false) const;

  int64_t code() const { return Int("/code"); }
  std::string msg() const { return Str("/msg"); }
  // "HTTP 400 {...body...}" (body cut at 600 chars), for failure messages.
  std::string Describe() const;

 private:
  simdjson::simdjson_result<simdjson::dom::element> At(std::string_view pointer) const;

  std::shared_ptr<simdjson::dom::parser> parser_;  // shared: ApiResponse stays copyable
  simdjson::dom::element root_;
  bool json_ok_ = false;
};

struct App {
  std::string app_key;
  std::string secret_key;
  std::string webhook_secret;
  std::string link_url;
  ApiResponse create_response;
  bool ok() const { return !app_key.empty() && !secret_key.empty(); }
};

struct AppOptions {
  std::string name = "it-app";
  int64_t step = 1;
  int64_t retry_total = 0;
  std::string success_mode;  // "" leaves the field out (server default "body")
  std::string remark = "integration test";
  std::string app_key;       // "" leaves the field out (the server makes one)
  std::string time_zone;     // "" leaves the field out (the server's zone)
};

// A /task/create body. Each optional holds a raw JSON value (so tests can send wrong
// types); nullopt leaves the field out.
struct TaskSpec {
  std::optional<std::string> task_no;           // plain text, quoted by ToJson()
  std::optional<std::string> runtime;           // raw JSON, e.g. RuntimeJson(ms) or "1700000000"
  std::optional<std::string> content = R"({"hello":"world"})";  // raw JSON
  std::optional<std::string> name;              // plain text, quoted by ToJson()
  std::optional<std::string> timeout;           // raw JSON, e.g. "500" or "\"abc\""
  std::string ToJson() const;
};

enum class Auth { kBasic, kSigned, kNone };

// JSON string literal for s (quotes included).
std::string JsonString(std::string_view s);
// "2026-11-21T05:52:39.250Z"
std::string Rfc3339Ms(int64_t unix_ms);
// "2026-11-21 05:52:39" for the given UTC offset (seconds east of UTC).
std::string WallTimeString(int64_t unix_ms, int64_t utc_offset_s = 0);
// RFC 3339 with milliseconds, as a JSON string literal: the `runtime` most tests send.
std::string RuntimeJson(int64_t unix_ms);

// The key bytes of the application's webhookSecret ("whsec_" + base64): what signs its
// Standard Webhooks callbacks. Empty if the secret is not in that form.
std::string WebhookKeyBytes(const App& app);

// "Basic base64(appKey:secretKey)".
std::string BasicAuthValue(const std::string& app_key, const std::string& secret_key);

// The signed header set of SPEC §2 for `body`. Each part can be overridden to forge a bad
// request: timestamps_s (default now), nonce (default 16 random alphanumerics), payload
// (default hex SHA-256 of body), signing_secret (default secret_key).
struct SignedOverrides {
  std::optional<int64_t> timestamps_s;
  std::optional<std::string> nonce;
  std::optional<std::string> payload;
  std::optional<std::string> signing_secret;
  std::optional<std::string> app_key;
};
httplib::Headers SignedHeaders(const App& app, std::string_view body,
                               const SignedOverrides& o = {});

class ApiClient {
 public:
  ApiClient(std::string host, int port, std::string admin_token);
  explicit ApiClient(const TockProcess& tock);
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  int port() const { return port_; }
  const std::string& admin_token() const { return admin_token_; }

  ApiResponse Post(const std::string& path, const std::string& body,
                   const httplib::Headers& headers = {},
                   const std::string& content_type = "application/json");
  ApiResponse Get(const std::string& path, const httplib::Headers& headers = {});

  // POST with "Authorization: Bearer <token>" (the client's admin token by default).
  ApiResponse AdminPost(const std::string& path, const std::string& body,
                        std::optional<std::string> token = std::nullopt);
  // GET with the client's admin token.
  ApiResponse AdminGet(const std::string& path);
  // JSON body for /application/create.
  static std::string AppBody(const std::string& link_url, const AppOptions& o);
  App CreateApp(const std::string& link_url, const AppOptions& o = {});

  ApiResponse AppPost(const App& app, const std::string& path, const std::string& body,
                      Auth auth = Auth::kBasic);
  ApiResponse AppGet(const App& app, const std::string& path_and_query,
                     Auth auth = Auth::kBasic);

  ApiResponse CreateTask(const App& app, const TaskSpec& spec, Auth auth = Auth::kBasic);
  ApiResponse CreateTaskJson(const App& app, const std::string& body, Auth auth = Auth::kBasic);
  ApiResponse Detail(const App& app, int64_t id, Auth auth = Auth::kBasic);  // GET ?id=
  ApiResponse Cancel(const App& app, int64_t id);
  ApiResponse Publish(const App& app, int64_t id, const std::string& path = "/task/publish");

  // Polls GET /task/detail (every 20 ms) until pred(response) holds or the timeout passes;
  // returns the last response either way.
  ApiResponse WaitForDetail(const App& app, int64_t id,
                            const std::function<bool(const ApiResponse&)>& pred,
                            std::chrono::milliseconds timeout);
  ApiResponse WaitForStatus(const App& app, int64_t id, int64_t status,
                            std::chrono::milliseconds timeout);

  int Healthz();  // HTTP status of GET /healthz (0 if no answer)

 private:
  ApiResponse Finish(const httplib::Result& res);
  httplib::Headers AppHeaders(const App& app, std::string_view body, Auth auth) const;

  std::string host_;
  int port_;
  std::string admin_token_;
  httplib::Client client_;
};

}  // namespace tock::testing
