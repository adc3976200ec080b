// The EngageLab schedules surface (SPEC §4): /v4/schedules.
//
// Its own conventions, kept apart from the Serendipity routes: Basic auth only, success
// bodies are the bare objects of the original (no {"code","msg","data"} envelope), errors are
// {"error":{"code":N,"message":"..."}} with the original's codes:
//   28100/400 invalid   28101/401 auth   28104/404 no such schedule (or another app's)
//   28105/404 push missing, empty or not an object   28200/500 internal   28203/503 busy
// Validation messages name the field path: "name: ...", "trigger.single.time: ..."
// (api/schedule_requests.h).
// Every handler: authenticate, parse and validate the whole request, one service call, one
// response.

#include <strings.h>

#include <algorithm>
#include <string>
#include <vector>

#include "api/app_auth.h"
#include "api/http_api.h"
#include "api/http_util.h"
#include "api/json_fields.h"
#include "api/routes.h"
#include "api/schedule_requests.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "schedules/schedule_service.h"
#include "schedules/trigger.h"

namespace tock::api {
namespace {

constexpr int64_t kMaxPage = 1'000'000'000;
constexpr int kCodeInvalid = 28100;
constexpr int kCodeAuth = 28101;
constexpr int kCodeNotFound = 28104;
constexpr int kCodeNoPush = 28105;
constexpr int kCodeInternal = 28200;
constexpr int kCodeBusy = 28203;

void SendEngageError(http::Response& res, int http_status, int code,
                     const std::string& message) {
  JsonWriter w;
  w.BeginObject();
  w.Key("error");
  w.BeginObject();
  w.Key("code");
  w.Int(code);
  w.Key("message");
  w.String(message);
  w.EndObject();
  w.EndObject();
  SendJson(res, http_status, w.Take());
}

// The one Status -> (HTTP status, EngageLab code) mapping of this surface.
void SendScheduleError(http::Response& res, const Status& st) {
  switch (st.code()) {
    case Code::kInvalid:
    case Code::kConflict:
    case Code::kTooLarge:
      return SendEngageError(res, 400, kCodeInvalid, st.message());
    case Code::kUnauthorized:
      return SendEngageError(res, 401, kCodeAuth, st.message());
    case Code::kNotFound:
      return SendEngageError(res, 404, kCodeNotFound, st.message());
    case Code::kUnavailable:
      return SendEngageError(res, 503, kCodeBusy, st.message());
    case Code::kOk:
    case Code::kInternal:
      break;
  }
  log::Error("schedules.internal_error", {{"error", st.message()}});
  SendEngageError(res, 500, kCodeInternal, "Server Internal error.");
}

// --- responses -----------------------------------------------------------------------------

void WriteSchedule(JsonWriter& w, const Schedule& s) {
  w.BeginObject();
  w.Key("schedule_id"); w.String(s.id);
  w.Key("name"); w.String(s.name);
  w.Key("enabled"); w.Bool(s.enabled);
  w.Key("trigger"); w.Raw(s.trigger_json);
  w.Key("push"); w.Raw(s.push_json);
  w.Key("expired"); w.Bool(s.expired_ms != 0);
  // When the next message is due: none while disabled (the timer advances silently).
  w.Key("next_fire");
  if (s.next_fire_ms != 0 && s.enabled) w.Int(s.next_fire_ms); else w.Null();
  w.Key("created_at"); w.Int(s.created_ms);
  w.Key("updated_at"); w.Int(s.updated_ms);
  w.Key("fires"); w.Uint(s.fires);
  w.EndObject();
}

std::string ScheduleJson(const Schedule& s) {
  JsonWriter w;
  WriteSchedule(w, s);
  return w.Take();
}

// --- handlers ------------------------------------------------------------------------------

using AppHandler =
    std::function<void(const App&, const http::Request&, http::Response&)>;

// Basic auth only (the EngageLab form); the signed Serendipity headers are not accepted here.
http::Handler BasicRoute(ApiServices& svc, AppHandler fn) {
  return [&svc, fn = std::move(fn)](const http::Request& req, http::Response& res) {
    std::string authz(req.Header("Authorization"));
    if (authz.size() < 6 || strncasecmp(authz.c_str(), "Basic ", 6) != 0) {
      return SendEngageError(res, 401, kCodeAuth,
                             "Basic authentication failed: header 'Authorization' must be "
                             "Basic base64(appKey:secretKey)");
    }
    AuthInput in;
    in.authorization = authz;
    in.body = req.body;
    Result<std::shared_ptr<const App>> app = svc.auth.Authenticate(in);
    if (!app.ok()) {
      return SendEngageError(res, 401, kCodeAuth,
                             "Basic authentication failed: " + app.status().message());
    }
    fn(**app, req, res);
  };
}

Status NoSuchSchedule(std::string_view id) {
  return Status::NotFound("schedule " + std::string(id) + " does not exist");
}

void CreateSchedule(ApiServices& svc, const App& app, const http::Request& req,
                    http::Response& res) {
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendScheduleError(res, body.status());
  FieldReader f(*body);
  ScheduleSpec spec;
  Result<std::string> name = ReadScheduleName(f);
  if (!name.ok()) return SendScheduleError(res, name.status());
  spec.name = std::move(name).value();
  Result<bool> enabled = ReadScheduleEnabled(f);
  if (!enabled.ok()) return SendScheduleError(res, enabled.status());
  if (!*enabled) {
    return SendScheduleError(res,
                             Status::Invalid("enabled: must be true when a schedule is created"));
  }
  Result<Trigger> trigger = ReadScheduleTrigger(f, svc.time_zone);
  if (!trigger.ok()) return SendScheduleError(res, trigger.status());
  spec.trigger = std::move(trigger).value();
  Result<std::string> push = ReadSchedulePush(f);
  if (!push.ok()) return SendEngageError(res, 404, kCodeNoPush, push.status().message());
  spec.push_json = std::move(push).value();

  Result<Schedule> created = svc.schedules->Create(app, std::move(spec));
  if (!created.ok()) return SendScheduleError(res, created.status());
  JsonWriter w;
  w.BeginObject();
  w.Key("schedule_id"); w.String(created->id);
  w.Key("name"); w.String(created->name);
  w.EndObject();
  SendJson(res, 200, w.Take());
}

void ListSchedules(ApiServices& svc, const App& app, const http::Request& req,
                   http::Response& res) {
  int64_t page = 1;
  const std::string* page_param = req.Query("page");
  std::string text = page_param != nullptr ? *page_param : "";
  if (!text.empty()) {  // "?page=" means the first page, as in the original
    bool digits = text.size() <= 10 &&
                  std::all_of(text.begin(), text.end(),
                              [](char c) { return c >= '0' && c <= '9'; });
    page = digits ? std::stoll(text) : 0;
    if (page < 1 || page > kMaxPage) {
      JsonWriter quoted;
      quoted.String(text);
      return SendScheduleError(
          res, Status::Invalid("page: must be an integer from 1 to " + std::to_string(kMaxPage) +
                               " (got " + quoted.Take() + ")"));
    }
  }
  Result<SchedulePage> p = svc.schedules->List(app, page);
  if (!p.ok()) return SendScheduleError(res, p.status());
  JsonWriter w;
  w.BeginObject();
  w.Key("total_count"); w.Uint(p->total_count);
  w.Key("total_pages"); w.Uint(p->total_pages);
  w.Key("page"); w.Int(p->page);
  w.Key("schedules");
  w.BeginArray();
  for (const Schedule& s : p->schedules) WriteSchedule(w, s);
  w.EndArray();
  w.EndObject();
  SendJson(res, 200, w.Take());
}

void GetSchedule(ApiServices& svc, const App& app, const std::string& id,
                 http::Response& res) {
  if (!LooksLikeScheduleId(id)) return SendScheduleError(res, NoSuchSchedule(id));
  Result<Schedule> s = svc.schedules->Get(app, id);
  if (!s.ok()) return SendScheduleError(res, s.status());
  SendJson(res, 200, ScheduleJson(*s));
}

void GetMsgIds(ApiServices& svc, const App& app, const std::string& id,
               http::Response& res) {
  if (!LooksLikeScheduleId(id)) return SendScheduleError(res, NoSuchSchedule(id));
  Result<std::vector<uint64_t>> ids = svc.schedules->MsgIds(app, id);
  if (!ids.ok()) return SendScheduleError(res, ids.status());
  JsonWriter w;
  w.BeginObject();
  w.Key("count"); w.Uint(ids->size());
  w.Key("msgids");
  w.BeginArray();
  for (uint64_t m : *ids) w.String(std::to_string(m));
  w.EndArray();
  w.EndObject();
  SendJson(res, 200, w.Take());
}

void UpdateSchedule(ApiServices& svc, const App& app, const std::string& id,
                    const http::Request& req, http::Response& res) {
  if (!LooksLikeScheduleId(id)) return SendScheduleError(res, NoSuchSchedule(id));
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendScheduleError(res, body.status());
  FieldReader f(*body);
  ScheduleUpdate u;
  if (f.Has("name")) {
    Result<std::string> name = ReadScheduleName(f);
    if (!name.ok()) return SendScheduleError(res, name.status());
    u.name = std::move(name).value();
  }
  if (f.Has("enabled")) {
    Result<bool> enabled = ReadScheduleEnabled(f);
    if (!enabled.ok()) return SendScheduleError(res, enabled.status());
    u.enabled = *enabled;
  }
  if (f.Has("trigger")) {
    Result<Trigger> trigger = ReadScheduleTrigger(f, svc.time_zone);
    if (!trigger.ok()) return SendScheduleError(res, trigger.status());
    u.trigger = std::move(trigger).value();
  }
  if (body->at_key("push").error() == simdjson::SUCCESS) {
    // Present (even as null): the section is replaced, so it must be a valid push.
    Result<std::string> push = ReadSchedulePush(f);
    if (!push.ok()) return SendEngageError(res, 404, kCodeNoPush, push.status().message());
    u.push_json = std::move(push).value();
  }
  if (!u.name && !u.enabled && !u.trigger && !u.push_json) {
    return SendScheduleError(res, Status::Invalid(
                                      "request: must hold at least one of name, enabled, "
                                      "trigger, push"));
  }
  Result<Schedule> s = svc.schedules->Update(app, id, std::move(u));
  if (!s.ok()) return SendScheduleError(res, s.status());
  SendJson(res, 200, ScheduleJson(*s));
}

void DeleteSchedule(ApiServices& svc, const App& app, const std::string& id,
                    http::Response& res) {
  if (!LooksLikeScheduleId(id)) return SendScheduleError(res, NoSuchSchedule(id));
  Status st = svc.schedules->Delete(app, id);
  if (!st.ok()) return SendScheduleError(res, st);
  res.status = 200;  // an empty body, as the original
}

}  // namespace

void RegisterScheduleRoutes(http::Router& router, ApiServices& svc) {
  router.Add("POST", "/v4/schedules", BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
                CreateSchedule(svc, app, req, res);
              }));
  router.Add("GET", "/v4/schedules", BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
               ListSchedules(svc, app, req, res);
             }));
  // msg-ids: the original's docs spell it both msg-ids and msg_ids.
  AppHandler msg_ids = [&svc](const App& app, const auto& req, auto& res) {
    GetMsgIds(svc, app, req.path_params[0], res);
  };
  router.Add("GET", "/v4/schedules/{id}/msg-ids", BasicRoute(svc, msg_ids));
  router.Add("GET", "/v4/schedules/{id}/msg_ids", BasicRoute(svc, msg_ids));
  router.Add("GET", "/v4/schedules/{id}",
             BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
               GetSchedule(svc, app, req.path_params[0], res);
             }));
  router.Add("PUT", "/v4/schedules/{id}",
             BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
               UpdateSchedule(svc, app, req.path_params[0], req, res);
             }));
  router.Add("DELETE", "/v4/schedules/{id}",
                BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
                  DeleteSchedule(svc, app, req.path_params[0], res);
                }));
  // Any other form under /v4/schedules: 404 in this surface's error shape.
  http::Handler unknown = [](const http::Request& req, http::Response& res) {
    SendEngageError(res, 404, kCodeNotFound,
                    "no such route: " + req.method + " " + req.path);
  };
  router.AddFallback("/v4/schedules", unknown);
}

}  // namespace tock::api
