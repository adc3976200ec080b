// The Serendipity-Job surface (SPEC §3): applications and tasks.
//
// Every handler follows one shape: authenticate, parse and validate the whole request,
// call one service method, write one response. Validation failures never reach a service.

#include <string>
#include <vector>

#include "api/app_auth.h"
#include "api/http_api.h"
#include "api/http_util.h"
#include "api/json_fields.h"
#include "api/requests.h"
#include "api/routes.h"
#include "auth/basic_auth.h"
#include "auth/signing.h"
#include "common/log.h"
#include "tasks/app_registry.h"
#include "tasks/task_service.h"
#include "timeutil/time_parse.h"

namespace tock::api {
namespace {

constexpr size_t kMaxBatch = 1000;
// Secret rotation: how long the previous secret keeps working, by default and at most.
constexpr int64_t kDefaultGraceS = 86400;   // 24 h
constexpr int64_t kMaxGraceS = 7 * 86400;   // 7 days

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

bool IsAdmin(const httplib::Request& req, const std::string& token) {
  auto bearer = ParseBearer(req.get_header_value("Authorization"));
  return bearer && !token.empty() && ConstantTimeEquals(*bearer, token);
}

Result<std::shared_ptr<const App>> AuthenticateApp(ApiServices& svc,
                                                    const httplib::Request& req) {
  AuthInput in;
  std::string authz = req.get_header_value("Authorization");
  in.authorization = authz;
  in.signed_headers.app_key = req.get_header_value("app_key");
  in.signed_headers.nonce = req.get_header_value("nonce");
  in.signed_headers.timestamps = req.get_header_value("timestamps");
  in.signed_headers.payload = req.get_header_value("payload");
  in.signed_headers.signature = req.get_header_value("signature");
  in.body = req.body;
  return svc.auth.Authenticate(in);
}

// Wraps an application-scoped handler: authentication first.
Handler AppRoute(ApiServices& svc,
                 std::function<void(const App&, const httplib::Request&, httplib::Response&)> fn) {
  return [&svc, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    Result<std::shared_ptr<const App>> app = AuthenticateApp(svc, req);
    if (!app.ok()) return SendError(res, app.status());
    fn(**app, req, res);
  };
}

// A signed header tuple a legacy client can send with a body-less request (payload is the
// SHA-256 of the empty body). Single use: the nonce is remembered once it is accepted.
void WriteSignedTuple(JsonWriter& w, std::string_view secret, int64_t now_s) {
  std::string ts = std::to_string(now_s);
  std::string nonce = RandomAlnum(16);
  std::string payload = Sha256Hex("");
  w.Key("nonce"); w.String(nonce);
  w.Key("timestamps"); w.String(ts);
  w.Key("payload"); w.String(payload);
  w.Key("signature"); w.String(SerendipitySignature(secret, ts, nonce, payload));
}

void CreateApplication(ApiServices& svc, const HttpApiOptions& opts, const httplib::Request& req,
                       httplib::Response& res) {
  if (!IsAdmin(req, opts.admin_token)) {
    return SendError(res, Status::Unauthorized(
                              "header 'Authorization': must be Bearer <admin token>"));
  }
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendError(res, body.status());
  Result<App> parsed = ParseAppCreate(FieldReader(*body));
  if (!parsed.ok()) return SendError(res, parsed.status());
  App app = std::move(parsed).value();
  app.app_key = RandomAlnum(16);
  app.secret_key = RandomAlnum(32);
  app.created_ms = svc.clock.WallMs();
  Status st = svc.apps.Put(app);
  if (!st.ok()) return SendError(res, st);
  log::Info("app.created", {{"app", app.app_key}, {"name", app.name}});
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
             w.Key("appKey"); w.String(app.app_key);
             w.Key("secretKey"); w.String(app.secret_key);
             w.Key("webhookSecret"); w.String(WebhookSecretFor(app.secret_key));
             WriteSignedTuple(w, app.secret_key, app.created_ms / 1000);
           }));
}

void RefreshSignature(ApiServices& svc, const httplib::Request& req, httplib::Response& res) {
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendError(res, body.status());
  FieldReader f(*body);
  std::string key, secret;
  Result<std::optional<std::string>> k = f.String("app_key", 1, 64);
  if (!k.ok()) return SendError(res, k.status());
  if (!k->has_value()) return SendError(res, f.Missing("app_key"));
  Result<std::optional<std::string>> s = f.String("secret_key", 1, 64);
  if (!s.ok()) return SendError(res, s.status());
  if (!s->has_value()) return SendError(res, f.Missing("secret_key"));
  std::shared_ptr<const App> app = svc.apps.Find(**k);
  const int64_t now_ms = svc.clock.WallMs();
  // The tuple is signed with the secret the caller proved: during a rotation's grace period
  // a client still holding the previous secret gets a tuple that secret can sign too (and
  // that stops working with it).
  std::string_view signing_secret;
  if (app && ConstantTimeEquals(app->secret_key, **s)) {
    signing_secret = app->secret_key;
  } else if (app && PreviousSecretActive(*app, now_ms) &&
             ConstantTimeEquals(app->previous_secret, **s)) {
    signing_secret = app->previous_secret;
  } else {
    return SendError(res, Status::Unauthorized("invalid application credentials"));
  }
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
             w.Key("appKey"); w.String(app->app_key);
             WriteSignedTuple(w, signing_secret, now_ms / 1000);
           }));
}

// POST /application/rotate-secret. Either the application's CURRENT secret in the body
// ({app_key, secret_key}, as refresh-signature; the previous secret cannot rotate) or the
// admin bearer token with {app_key}. The rotated-out secret stays valid for `graceSeconds`
// (0-604800, default 86400): it still authenticates requests and still signs callbacks as a
// second webhook-signature. 0 ends it at once. A rotation during a grace period replaces
// the previous secret with the one rotated out now; the older one stops working at once.
void RotateSecret(ApiServices& svc, const HttpApiOptions& opts, const httplib::Request& req,
                  httplib::Response& res) {
  const bool has_authz = req.has_header("Authorization");
  const bool admin = has_authz && IsAdmin(req, opts.admin_token);
  if (has_authz && !admin) {
    return SendError(res, Status::Unauthorized(
                              "header 'Authorization': must be Bearer <admin token> (or send "
                              "none and put app_key and secret_key in the body)"));
  }
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendError(res, body.status());
  FieldReader f(*body);
  Result<std::optional<std::string>> k = f.String("app_key", 1, 64);
  if (!k.ok()) return SendError(res, k.status());
  if (!k->has_value()) return SendError(res, f.Missing("app_key"));
  Result<std::optional<std::string>> s = f.String("secret_key", 1, 64);
  if (!s.ok()) return SendError(res, s.status());
  if (!admin && !s->has_value()) return SendError(res, f.Missing("secret_key"));
  Result<std::optional<int64_t>> g = f.Int("graceSeconds", 0, kMaxGraceS);
  if (!g.ok()) return SendError(res, g.status());
  const int64_t grace_s = g->value_or(kDefaultGraceS);

  const std::string new_secret = RandomAlnum(32);
  const int64_t now_ms = svc.clock.WallMs();
  // The secret is checked inside Update, under the registry's writer lock: of two
  // concurrent rotations with the same secret, the second finds it no longer current (401).
  Result<std::shared_ptr<const App>> updated = svc.apps.Update(**k, [&](App& a) {
    if (!admin && !ConstantTimeEquals(a.secret_key, **s)) {
      return Status::Unauthorized("invalid application credentials");
    }
    if (grace_s > 0) {
      a.previous_secret = a.secret_key;
      a.previous_secret_until_ms = now_ms + grace_s * 1000;
    } else {
      a.previous_secret.clear();
      a.previous_secret_until_ms = 0;
    }
    a.secret_key = new_secret;
    return Status::Ok();
  });
  if (!updated.ok()) {
    // Without the admin token, an unknown key looks like a wrong secret.
    if (!admin && updated.status().code() == Code::kNotFound) {
      return SendError(res, Status::Unauthorized("invalid application credentials"));
    }
    if (updated.status().code() == Code::kNotFound) {
      return SendError(res, Status::NotFound("field 'app_key': no such application"));
    }
    return SendError(res, updated.status());
  }
  const App& app = **updated;
  log::Info("app.secret_rotated", {{"app", app.app_key},
                                   {"grace_s", grace_s},
                                   {"by", admin ? "admin" : "app"}});
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
             w.Key("appKey"); w.String(app.app_key);
             w.Key("secretKey"); w.String(app.secret_key);
             w.Key("webhookSecret"); w.String(WebhookSecretFor(app.secret_key));
             w.Key("previousSecretValidUntil");
             if (PreviousSecretActive(app, now_ms)) {
               w.Int(app.previous_secret_until_ms);
             } else {
               w.Null();
             }
           }));
}

void CreateTask(ApiServices& svc, const HttpApiOptions& opts, const App& app,
                const httplib::Request& req, httplib::Response& res) {
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendError(res, body.status());
  TaskLimits limits;
  limits.max_delay_ms = opts.max_delay_ms;
  Result<TaskSpec> spec = ParseTaskSpec(FieldReader(*body), svc.time_zone, svc.clock.WallMs(), limits);
  if (!spec.ok()) return SendError(res, spec.status());
  std::vector<TaskSpec> specs;
  specs.push_back(std::move(spec).value());
  Result<std::vector<CreatedTask>> created = svc.tasks.Create(app, std::move(specs));
  if (!created.ok()) return SendError(res, created.status());
  const CreatedTask& c = created->front();
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
             w.Key("taskId"); w.Uint(c.id);
             if (c.duplicate) { w.Key("duplicate"); w.Bool(true); }
           }));
}

void BatchCreateTasks(ApiServices& svc, const HttpApiOptions& opts, const App& app,
                      const httplib::Request& req, httplib::Response& res) {
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendError(res, body.status());
  FieldReader f(*body);
  auto tasks = f.Get("tasks");
  if (!tasks) return SendError(res, f.Missing("tasks"));
  simdjson::dom::array arr;
  if (tasks->get_array().get(arr)) {
    return SendError(res, Status::Invalid("field 'tasks': must be an array of task objects"));
  }
  size_t n = arr.size();
  if (n < 1 || n > kMaxBatch) {
    return SendError(res, Status::Invalid("field 'tasks': must hold 1 to " +
                                          std::to_string(kMaxBatch) + " tasks (got " +
                                          std::to_string(n) + ")"));
  }
  TaskLimits limits;
  limits.max_delay_ms = opts.max_delay_ms;
  const int64_t now = svc.clock.WallMs();
  std::vector<TaskSpec> specs;
  specs.reserve(n);
  size_t i = 0;
  for (simdjson::dom::element item : arr) {
    std::string prefix = "tasks[" + std::to_string(i) + "].";
    simdjson::dom::object obj;
    if (item.get_object().get(obj)) {
      return SendError(res, Status::Invalid("field 'tasks[" + std::to_string(i) +
                                            "]': must be a task object"));
    }
    Result<TaskSpec> spec = ParseTaskSpec(FieldReader(obj, prefix), svc.time_zone, now, limits);
    if (!spec.ok()) return SendError(res, spec.status());
    specs.push_back(std::move(spec).value());
    ++i;
  }
  Result<std::vector<CreatedTask>> created = svc.tasks.Create(app, std::move(specs));
  if (!created.ok()) return SendError(res, created.status());
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
             w.Key("taskIds");
             w.BeginArray();
             for (const CreatedTask& c : *created) w.Uint(c.id);
             w.EndArray();
           }));
}

// The id of /task/cancel, /task/detail (body or query) and publish (`task_id`).
Result<uint64_t> RequestId(const httplib::Request& req, const char* name) {
  if (req.body.empty() || req.method == "GET") {
    if (req.has_param(name)) return ParseIdText(req.get_param_value(name), name);
    if (req.body.empty()) return Status::Invalid(std::string("field '") + name + "': is required");
  }
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return body.status();
  return ReadId(FieldReader(*body).Get(name), name);
}

void WriteDetail(JsonWriter& w, const TaskDetail& d, const TimeZone& tz) {
  const Task& t = d.task;
  TaskStatus shown = d.running && t.status == TaskStatus::kWaiting ? TaskStatus::kRunning : t.status;
  w.Key("taskId"); w.Uint(t.id);
  w.Key("taskNo"); w.String(t.task_no);
  w.Key("name"); w.String(t.name);
  w.Key("status"); w.Int(static_cast<int>(shown));
  w.Key("state"); w.String(TaskStatusName(shown));
  w.Key("runtime"); w.String(FormatDateTime(t.runtime_ms, tz));
  w.Key("runtimeMs"); w.Int(t.runtime_ms);
  w.Key("nextRunAt");
  if (t.next_run_ms > 0) w.Int(t.next_run_ms); else w.Null();
  w.Key("round"); w.Uint(t.round);
  w.Key("elapsed"); w.Int(t.elapsed_ms);
  w.Key("createdAt"); w.Int(t.created_ms);
  w.Key("finishedAt");
  if (t.finished_ms > 0) w.Int(t.finished_ms); else w.Null();
  w.Key("timeout"); w.Int(t.timeout_ms);
  w.Key("content"); w.Raw(t.content);
  w.Key("attempts");
  w.BeginArray();
  for (const Attempt& a : d.attempts) {
    w.BeginObject();
    w.Key("attempt"); w.Uint(a.number);
    w.Key("startedAt"); w.Int(a.started_ms);
    w.Key("durationMs"); w.Int(a.duration_ms);
    w.Key("httpStatus"); w.Int(a.http_status);
    w.Key("outcome"); w.String(AttemptOutcomeName(a.outcome));
    w.Key("error"); w.String(a.error);
    w.Key("response"); w.String(a.response);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

void RegisterSerendipityRoutes(httplib::Server& server, ApiServices& svc,
                               const HttpApiOptions& opts) {
  server.Post("/application/create", [&svc, &opts](const httplib::Request& req,
                                                   httplib::Response& res) {
    CreateApplication(svc, opts, req, res);
  });
  server.Post("/application/refresh-signature",
              [&svc](const httplib::Request& req, httplib::Response& res) {
                RefreshSignature(svc, req, res);
              });
  server.Post("/application/rotate-secret", [&svc, &opts](const httplib::Request& req,
                                                          httplib::Response& res) {
    RotateSecret(svc, opts, req, res);
  });
  server.Post("/task/create", AppRoute(svc, [&svc, &opts](const App& app, const auto& req, auto& res) {
                CreateTask(svc, opts, app, req, res);
              }));
  server.Post("/task/batch-create",
              AppRoute(svc, [&svc, &opts](const App& app, const auto& req, auto& res) {
                BatchCreateTasks(svc, opts, app, req, res);
              }));
  server.Post("/task/cancel", AppRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
                Result<uint64_t> id = RequestId(req, "id");
                if (!id.ok()) return SendError(res, id.status());
                Status st = svc.tasks.Cancel(app, *id);
                if (!st.ok()) return SendError(res, st);
                SendJson(res, 200, OkBody([&](JsonWriter& w) {
                           w.Key("taskId"); w.Uint(*id);
                           w.Key("state"); w.String("cancelled");
                         }));
              }));
  Handler detail = AppRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
    Result<uint64_t> id = RequestId(req, "id");
    if (!id.ok()) return SendError(res, id.status());
    Result<TaskDetail> d = svc.tasks.Detail(app, *id);
    if (!d.ok()) return SendError(res, d.status());
    SendJson(res, 200, OkBody([&](JsonWriter& w) { WriteDetail(w, *d, svc.time_zone); }));
  });
  server.Get("/task/detail", detail);
  server.Post("/task/detail", detail);
  Handler publish = AppRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
    Result<uint64_t> id = RequestId(req, "task_id");
    if (!id.ok()) return SendError(res, id.status());
    Status st = svc.tasks.Publish(app, *id);
    if (!st.ok()) return SendError(res, st);
    SendJson(res, 200, OkBody([&](JsonWriter& w) { w.Key("taskId"); w.Uint(*id); }));
  });
  server.Post("/task/publish", publish);
  server.Post("/nsq/publish", publish);
}

}  // namespace tock::api
