#include "testutil/api_client.h"

#include <time.h>

#include <climits>
#include <cstdio>
#include <thread>

#include "auth/signing.h"
#include "common/json_writer.h"
#include "testutil/receiver.h"
#include "testutil/tock_process.h"

namespace tock::testing {

// ---- ApiResponse -----------------------------------------------------------------------

void ApiResponse::Parse() {
  json_ok_ = false;
  if (body.empty()) return;
  parser_ = std::make_shared<simdjson::dom::parser>();
  auto doc = parser_->parse(body);
  if (doc.error() != simdjson::SUCCESS) return;
  root_ = doc.value_unsafe();
  json_ok_ = true;
}

simdjson::simdjson_result<simdjson::dom::element> ApiResponse::At(
    std::string_view pointer) const {
  if (!json_ok_) return simdjson::simdjson_result<simdjson::dom::element>(simdjson::EMPTY);
  return root_.at_pointer(pointer);
}

bool ApiResponse::Has(std::string_view pointer) const { return At(pointer).error() == 0; }

bool ApiResponse::IsNull(std::string_view pointer) const {
  auto e = At(pointer);
  return e.error() == 0 && e.value_unsafe().is_null();
}

int64_t ApiResponse::Int(std::string_view pointer) const {
  auto e = At(pointer);
  if (e.error()) return INT64_MIN;
  int64_t v;
  if (e.value_unsafe().get_int64().get(v)) return INT64_MIN;
  return v;
}

std::string ApiResponse::Str(std::string_view pointer) const {
  auto e = At(pointer);
  if (e.error()) return "<missing>";
  std::string_view v;
  if (e.value_unsafe().get_string().get(v)) return "<missing>";
  return std::string(v);
}

std::string ApiResponse::Json(std::string_view pointer) const {
  auto e = At(pointer);
  if (e.error()) return "<missing>";
  return simdjson::minify(e.value_unsafe());
}

int64_t ApiResponse::Size(std::string_view pointer) const {
  auto e = At(pointer);
  if (e.error()) return -1;
  simdjson::dom::element el = e.value_unsafe();
  if (el.is_array()) return static_cast<int64_t>(el.get_array().value_unsafe().size());
  if (el.is_object()) return static_cast<int64_t>(el.get_object().value_unsafe().size());
  return -1;
}

bool ApiResponse::Bool(std::string_view pointer, bool if_absent) const {
  auto e = At(pointer);
  if (e.error()) return if_absent;
  bool v;
  if (e.value_unsafe().get_bool().get(v)) return if_absent;
  return v;
}

std::string ApiResponse::Describe() const {
  if (status == 0) return "no HTTP response: " + transport_error;
  std::string b = body.size() > 600 ? body.substr(0, 600) + "..." : body;
  return "HTTP " + std::to_string(status) + " " + b;
}

// ---- free helpers ------------------------------------------------------------------------

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

namespace {
void SplitTime(int64_t unix_ms, tm* t, int* ms) {
  int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000);
  *ms = static_cast<int>(unix_ms - secs * 1000);
  time_t tt = static_cast<time_t>(secs);
  gmtime_r(&tt, t);
}
}  // namespace

std::string Rfc3339Ms(int64_t unix_ms) {
  tm t;
  int ms;
  SplitTime(unix_ms, &t, &ms);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ms);
  return buf;
}

std::string WallTimeString(int64_t unix_ms, int64_t utc_offset_s) {
  tm t;
  int ms;
  SplitTime(unix_ms + utc_offset_s * 1000, &t, &ms);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
  return buf;
}

std::string RuntimeJson(int64_t unix_ms) { return JsonString(Rfc3339Ms(unix_ms)); }

std::string WebhookKeyBytes(const App& app) {
  if (app.webhook_secret.rfind("whsec_", 0) != 0) return "";
  return Base64Decode(std::string_view(app.webhook_secret).substr(6)).value_or("");
}

std::string BasicAuthValue(const std::string& app_key, const std::string& secret_key) {
  return "Basic " + Base64Encode(app_key + ":" + secret_key);
}

httplib::Headers SignedHeaders(const App& app, std::string_view body,
                               const SignedOverrides& o) {
  std::string ts = std::to_string(o.timestamps_s.value_or(WallNowMs() / 1000));
  std::string nonce = o.nonce.value_or(RandomAlnum(16));
  std::string payload = o.payload.value_or(Sha256Hex(body));
  std::string sig =
      SerendipitySignature(o.signing_secret.value_or(app.secret_key), ts, nonce, payload);
  return {{"app_key", o.app_key.value_or(app.app_key)},
          {"nonce", nonce},
          {"timestamps", ts},
          {"payload", payload},
          {"signature", sig}};
}

std::string TaskSpec::ToJson() const {
  JsonWriter w;
  w.BeginObject();
  if (task_no) { w.Key("taskNo"); w.String(*task_no); }
  if (runtime) { w.Key("runtime"); w.Raw(*runtime); }
  if (content) { w.Key("content"); w.Raw(*content); }
  if (name) { w.Key("name"); w.String(*name); }
  if (timeout) { w.Key("timeout"); w.Raw(*timeout); }
  w.EndObject();
  return w.Take();
}

// ---- ApiClient ---------------------------------------------------------------------------

ApiClient::ApiClient(std::string host, int port, std::string admin_token)
    : host_(std::move(host)),
      port_(port),
      admin_token_(std::move(admin_token)),
      client_(host_, port_) {
  InitCrypto();
  client_.set_tcp_nodelay(true);
  client_.set_keep_alive(true);
  client_.set_connection_timeout(std::chrono::seconds(2));
  client_.set_read_timeout(std::chrono::seconds(30));
  client_.set_write_timeout(std::chrono::seconds(30));
}

ApiClient::ApiClient(const TockProcess& tock)
    : ApiClient(tock.host(), tock.port(), tock.admin_token()) {}

ApiResponse ApiClient::Finish(const httplib::Result& res) {
  ApiResponse out;
  if (!res) {
    out.transport_error = httplib::to_string(res.error());
    return out;
  }
  out.status = res->status;
  out.body = res->body;
  out.headers = res->headers;
  out.Parse();
  return out;
}

std::string ApiResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

ApiResponse ApiClient::Post(const std::string& path, const std::string& body,
                            const httplib::Headers& headers, const std::string& content_type) {
  return Finish(client_.Post(path.c_str(), headers, body, content_type.c_str()));
}

ApiResponse ApiClient::Get(const std::string& path, const httplib::Headers& headers) {
  return Finish(client_.Get(path.c_str(), headers));
}

ApiResponse ApiClient::AdminPost(const std::string& path, const std::string& body,
                                 std::optional<std::string> token) {
  httplib::Headers h{{"Authorization", "Bearer " + token.value_or(admin_token_)}};
  return Post(path, body, h);
}

ApiResponse ApiClient::AdminGet(const std::string& path) {
  return Get(path, {{"Authorization", "Bearer " + admin_token_}});
}

std::string ApiClient::AppBody(const std::string& link_url, const AppOptions& o) {
  JsonWriter w;
  w.BeginObject();
  w.Key("appName"); w.String(o.name);
  w.Key("linkUrl"); w.String(link_url);
  w.Key("step"); w.Int(o.step);
  w.Key("retryTotal"); w.Int(o.retry_total);
  w.Key("remark"); w.String(o.remark);
  if (!o.success_mode.empty()) { w.Key("successMode"); w.String(o.success_mode); }
  if (!o.app_key.empty()) { w.Key("appKey"); w.String(o.app_key); }
  if (!o.time_zone.empty()) { w.Key("timeZone"); w.String(o.time_zone); }
  w.EndObject();
  return w.Take();
}

App ApiClient::CreateApp(const std::string& link_url, const AppOptions& o) {
  App app;
  app.link_url = link_url;
  app.create_response = AdminPost("/application/create", AppBody(link_url, o));
  const ApiResponse& r = app.create_response;
  if (r.status == 200 && r.code() == 0) {
    app.app_key = r.Str("/data/appKey");
    app.secret_key = r.Str("/data/secretKey");
    app.webhook_secret = r.Str("/data/webhookSecret");
    if (app.app_key == "<missing>") app.app_key.clear();
    if (app.secret_key == "<missing>") app.secret_key.clear();
  }
  return app;
}

httplib::Headers ApiClient::AppHeaders(const App& app, std::string_view body,
                                       Auth auth) const {
  switch (auth) {
    case Auth::kBasic:
      return {{"Authorization", BasicAuthValue(app.app_key, app.secret_key)}};
    case Auth::kSigned:
      return SignedHeaders(app, body);
    case Auth::kNone:
      return {};
  }
  return {};
}

ApiResponse ApiClient::AppPost(const App& app, const std::string& path,
                               const std::string& body, Auth auth) {
  return Post(path, body, AppHeaders(app, body, auth));
}

ApiResponse ApiClient::AppGet(const App& app, const std::string& path_and_query, Auth auth) {
  return Get(path_and_query, AppHeaders(app, "", auth));
}

ApiResponse ApiClient::CreateTask(const App& app, const TaskSpec& spec, Auth auth) {
  return AppPost(app, "/task/create", spec.ToJson(), auth);
}

ApiResponse ApiClient::CreateTaskJson(const App& app, const std::string& body, Auth auth) {
  return AppPost(app, "/task/create", body, auth);
}

ApiResponse ApiClient::Detail(const App& app, int64_t id, Auth auth) {
  return AppGet(app, "/task/detail?id=" + std::to_string(id), auth);
}

ApiResponse ApiClient::Cancel(const App& app, int64_t id) {
  return AppPost(app, "/task/cancel", "{\"id\":" + std::to_string(id) + "}");
}

ApiResponse ApiClient::Publish(const App& app, int64_t id, const std::string& path) {
  return AppPost(app, path, "{\"task_id\":" + std::to_string(id) + "}");
}

ApiResponse ApiClient::WaitForDetail(const App& app, int64_t id,
                                     const std::function<bool(const ApiResponse&)>& pred,
                                     std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    ApiResponse r = Detail(app, id);
    if (pred(r) || std::chrono::steady_clock::now() > deadline) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ApiResponse ApiClient::WaitForStatus(const App& app, int64_t id, int64_t status,
                                     std::chrono::milliseconds timeout) {
  return WaitForDetail(
      app, id,
      [&](const ApiResponse& r) { return r.status == 200 && r.Int("/data/status") == status; },
      timeout);
}

int ApiClient::Healthz() {
  auto r = Get("/healthz");
  return r.status;
}

}  // namespace tock::testing
