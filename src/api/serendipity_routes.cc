// The Serendipity-Job surface (SPEC §3): applications and tasks.
//
// Every handler follows one shape: authenticate, parse and validate the whole request,
// call one service method, write one response. Validation failures never reach a service.
// /task/create is an asynchronous route: it runs on the event loop and answers when the
// task service's committer has made it durable (TaskService::CreateAsync), so a create
// holds no thread while it waits for its fsync. Batches run on the pool (see below). Authentication runs on the loop too: Basic
// is a lookup and a compare; the signed form's nonce is written by the committer with the
// tasks (never by the loop, which must not wait in RocksDB's write queue).

#include <string>
#include <vector>

#include "api/app_auth.h"
#include "api/http_api.h"
#include "api/head_gate.h"
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

using Handler = http::Handler;

bool IsAdmin(const http::Request& req, const std::string& token) {
  auto bearer = ParseBearer(std::string(req.Header("Authorization")));
  return bearer && !token.empty() && ConstantTimeEquals(*bearer, token);
}

Result<std::shared_ptr<const App>> AuthenticateApp(ApiServices& svc, const http::Request& req,
                                                    std::optional<UsedNonce>* defer_nonce = nullptr) {
  AuthInput in;
  in.authorization = req.Header("Authorization");
  in.signed_headers.app_key = std::string(req.Header("app_key"));
  in.signed_headers.nonce = std::string(req.Header("nonce"));
  in.signed_headers.timestamps = std::string(req.Header("timestamps"));
  in.signed_headers.payload = std::string(req.Header("payload"));
  in.signed_headers.signature = std::string(req.Header("signature"));
  in.body = req.body;
  Result<std::shared_ptr<const App>> app = svc.auth.Authenticate(in, defer_nonce);
  if (!app.ok() && app.status().code() == Code::kUnauthorized) svc.gate->Failed(req.peer);
  return app;
}

// Errors of the Serendipity surface, for the head checks.
void WriteSerendipityError(const Status& st, http::Response* res) { SendError(*res, st); }

// Wraps an application-scoped handler: authentication first.
Handler AppRoute(ApiServices& svc,
                 std::function<void(const App&, const http::Request&, http::Response&)> fn) {
  return [&svc, fn = std::move(fn)](const http::Request& req, http::Response& res) {
    Result<std::shared_ptr<const App>> app = AuthenticateApp(svc, req);
    if (!app.ok()) return SendError(res, app.status());
    fn(**app, req, res);
  };
}

// What an asynchronous create route is given: the request's application and the nonce of a
// signed request, which the committer writes with the tasks.
struct CreateContext {
  const App& app;
  std::optional<UsedNonce> nonce;
};
using AsyncAppHandler =
    std::function<void(CreateContext, const http::Request&, http::Responder)>;

// The same for an asynchronous route.
http::AsyncHandler AsyncAppRoute(ApiServices& svc, AsyncAppHandler fn) {
  return [&svc, fn = std::move(fn)](http::Request& req, http::Responder responder) {
    std::optional<UsedNonce> nonce;
    Result<std::shared_ptr<const App>> app = AuthenticateApp(svc, req, &nonce);
    if (!app.ok()) return AnswerError(responder, app.status());
    fn(CreateContext{**app, std::move(nonce)}, req, std::move(responder));
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

void CreateApplication(ApiServices& svc, const HttpApiOptions& opts, const http::Request& req,
                       http::Response& res) {
  if (!IsAdmin(req, opts.admin_token)) {
    svc.gate->Failed(req.peer);
    return SendError(res, Status::Unauthorized(
                              "header 'Authorization': must be Bearer <admin token>"));
  }
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendError(res, body.status());
  Result<App> parsed = ParseAppCreate(FieldReader(*body), svc.guard);
  if (!parsed.ok()) return SendError(res, parsed.status());
  App app = std::move(parsed).value();
  if (app.app_key.empty()) app.app_key = RandomAlnum(16);
  app.secret_key = RandomAlnum(32);
  app.webhook_key = RandomBytes(32);  // independent of secret_key (see App::webhook_key)
  app.created_ms = svc.clock.WallMs();
  Status st = svc.apps.Add(app);
  if (!st.ok()) return SendError(res, st);
  log::Info("app.created", {{"app", app.app_key}, {"name", app.name}});
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
             w.Key("appKey"); w.String(app.app_key);
             w.Key("secretKey"); w.String(app.secret_key);
             w.Key("webhookSecret"); w.String(WebhookSecretFor(WebhookKey(app)));
             WriteSignedTuple(w, app.secret_key, app.created_ms / 1000);
           }));
}

void RefreshSignature(ApiServices& svc, const http::Request& req, http::Response& res) {
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
void RotateSecret(ApiServices& svc, const HttpApiOptions& opts, const http::Request& req,
                  http::Response& res) {
  const bool has_authz = req.HasHeader("Authorization");
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
  const std::string new_webhook_key = RandomBytes(32);
  const int64_t now_ms = svc.clock.WallMs();
  // The secret is checked inside Update, under the registry's writer lock: of two
  // concurrent rotations with the same secret, the second finds it no longer current (401).
  Result<std::shared_ptr<const App>> updated = svc.apps.Update(**k, [&](App& a) {
    if (!admin && !ConstantTimeEquals(a.secret_key, **s)) {
      return Status::Unauthorized("invalid application credentials");
    }
    if (grace_s > 0) {
      a.previous_secret = a.secret_key;
      a.previous_webhook_key = WebhookKey(a);  // a legacy app's derived key, too
      a.previous_secret_until_ms = now_ms + grace_s * 1000;
    } else {
      a.previous_secret.clear();
      a.previous_webhook_key.clear();
      a.previous_secret_until_ms = 0;
    }
    a.secret_key = new_secret;
    // Rotating issues an independent webhook key, legacy applications included.
    a.webhook_key = new_webhook_key;
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
             w.Key("webhookSecret"); w.String(WebhookSecretFor(WebhookKey(app)));
             w.Key("previousSecretValidUntil");
             if (PreviousSecretActive(app, now_ms)) {
               w.Int(app.previous_secret_until_ms);
             } else {
               w.Null();
             }
           }));
}

void CreateTask(ApiServices& svc, const HttpApiOptions& opts, CreateContext ctx,
                const http::Request& req, http::Responder responder) {
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return AnswerError(responder, body.status());
  TaskLimits limits;
  limits.max_delay_ms = opts.max_delay_ms;
  Result<TaskSpec> spec = ParseTaskSpec(FieldReader(*body), svc.time_zone, svc.clock.WallMs(), limits);
  if (!spec.ok()) return AnswerError(responder, spec.status());
  std::vector<TaskSpec> specs;
  specs.push_back(std::move(spec).value());
  // CreateDone is a std::function, which must be copyable; the Responder is not.
  auto shared = std::make_shared<http::Responder>(std::move(responder));
  svc.tasks.CreateAsync(
      ctx.app, std::move(specs),
      [shared](Result<std::vector<CreatedTask>> created) {
        if (!created.ok()) return AnswerError(*shared, created.status());
        const CreatedTask& c = created->front();
        http::Response res;
        SendJson(res, 200, OkBody([&](JsonWriter& w) {
                   w.Key("taskId"); w.Uint(c.id);
                   if (c.duplicate) { w.Key("duplicate"); w.Bool(true); }
                 }));
        shared->Send(std::move(res));
      },
      std::move(ctx.nonce));
}

void BatchCreateTasks(ApiServices& svc, const HttpApiOptions& opts, const App& app,
                      const http::Request& req, http::Response& res) {
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
Result<uint64_t> RequestId(const http::Request& req, const char* name) {
  if (req.body.empty() || req.method == "GET") {
    if (const std::string* v = req.Query(name)) return ParseIdText(*v, name);
    if (req.body.empty()) return Status::Invalid(std::string("field '") + name + "': is required");
  }
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return body.status();
  return ReadId(FieldReader(*body).Get(name), name);
}

}  // namespace

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
    w.Key("error"); w.String(FailureReason(a.outcome, a.http_status, a.error));
    w.Key("response"); w.String(a.response);
    w.EndObject();
  }
  w.EndArray();
}

void RegisterSerendipityRoutes(http::Router& router, ApiServices& svc,
                               const HttpApiOptions& opts) {
  HeadGate& gate = *svc.gate;
  router.Add("POST", "/application/create", [&svc, &opts](const http::Request& req,
                                                   http::Response& res) {
    CreateApplication(svc, opts, req, res);
  }, gate.Admin(WriteSerendipityError));
  router.Add("POST", "/application/refresh-signature",
              [&svc](const http::Request& req, http::Response& res) {
                RefreshSignature(svc, req, res);
              }, gate.ThrottleOnly(WriteSerendipityError));
  router.Add("POST", "/application/rotate-secret", [&svc, &opts](const http::Request& req,
                                                          http::Response& res) {
    RotateSecret(svc, opts, req, res);
  }, gate.ThrottleOnly(WriteSerendipityError));
  router.AddAsync("POST", "/task/create",
                  AsyncAppRoute(svc, [&svc, &opts](CreateContext ctx, const http::Request& req,
                                                   http::Responder responder) {
                    CreateTask(svc, opts, std::move(ctx), req, std::move(responder));
                  }), gate.App(WriteSerendipityError));
  // A pool route: parsing 1000 tasks is not for the event loop, and its batch is written
  // by the handler's own thread when no taskNo needs checking (TaskService::Create).
  router.Add("POST", "/task/batch-create",
             AppRoute(svc, [&svc, &opts](const App& app, const auto& req, auto& res) {
               BatchCreateTasks(svc, opts, app, req, res);
             }), gate.App(WriteSerendipityError));
  router.Add("POST", "/task/cancel", AppRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
                Result<uint64_t> id = RequestId(req, "id");
                if (!id.ok()) return SendError(res, id.status());
                Status st = svc.tasks.Cancel(app, *id);
                if (!st.ok()) return SendError(res, st);
                SendJson(res, 200, OkBody([&](JsonWriter& w) {
                           w.Key("taskId"); w.Uint(*id);
                           w.Key("state"); w.String("cancelled");
                         }));
              }), gate.App(WriteSerendipityError));
  Handler detail = AppRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
    Result<uint64_t> id = RequestId(req, "id");
    if (!id.ok()) return SendError(res, id.status());
    Result<TaskDetail> d = svc.tasks.Detail(app, *id);
    if (!d.ok()) return SendError(res, d.status());
    SendJson(res, 200, OkBody([&](JsonWriter& w) {
               WriteDetail(w, *d, svc.time_zone);
               // Why a waiting task is not being delivered, when its application is paused.
               w.Key("appPaused");
               WritePause(w, app);
             }));
  });
  router.Add("GET", "/task/detail", detail, gate.App(WriteSerendipityError));
  router.Add("POST", "/task/detail", detail, gate.App(WriteSerendipityError));
  Handler publish = AppRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
    Result<uint64_t> id = RequestId(req, "task_id");
    if (!id.ok()) return SendError(res, id.status());
    Status st = svc.tasks.Publish(app, *id);
    if (!st.ok()) return SendError(res, st);
    SendJson(res, 200, OkBody([&](JsonWriter& w) { w.Key("taskId"); w.Uint(*id); }));
  });
  router.Add("POST", "/task/publish", publish, gate.App(WriteSerendipityError));
  router.Add("POST", "/nsq/publish", publish, gate.App(WriteSerendipityError));
}

}  // namespace tock::api
