// The schedule surfaces (api/schedule_surface.h): EngageLab's /v4/schedules (SPEC §4) and
// JPush's /v3/schedules, the same handlers on the same store, each answering in its own codes.
//
// Their own conventions, kept apart from the Serendipity routes: Basic auth only, success
// bodies are the bare objects of the originals (no {"code","msg","data"} envelope), errors are
// {"error":{"code":N,"message":"..."}}. Validation messages name the field path: "name: ...",
// "trigger.single.time: ..." (api/schedule_requests.h).
// Every handler: authenticate, parse and validate the whole request, one service call, one
// response. Unknown top-level fields of a body are ignored, so an object read with GET can
// be sent back with PUT as it is.

#include <strings.h>

#include <algorithm>
#include <string>
#include <vector>

#include "api/app_auth.h"
#include "api/http_api.h"
#include "api/head_gate.h"
#include "api/http_util.h"
#include "api/json_fields.h"
#include "api/routes.h"
#include "api/schedule_requests.h"
#include "api/schedule_surface.h"
#include "common/json_writer.h"
#include "schedules/schedule_service.h"
#include "schedules/trigger.h"

namespace tock::api {
namespace {

constexpr int64_t kMaxPage = 1'000'000'000;

// --- responses -----------------------------------------------------------------------------

// The IANA zone a schedule's local times are read in: the server's for zone_type 1 (it
// follows --time-zone), else the one its stored trigger names. "" if that does not parse.
std::string EffectiveZone(const Schedule& s, const TimeZone& server_zone) {
  Result<Trigger> t = ParseTrigger(s.trigger_json, server_zone);
  return t.ok() ? t->zone.name() : std::string();
}

}  // namespace

// The object as the originals echo it (trigger as sent), plus tock's read-only fields.
void WriteSchedule(JsonWriter& w, const Schedule& s, const TimeZone& server_zone) {
  w.BeginObject();
  w.Key("schedule_id"); w.String(s.id);
  if (!s.cid.empty()) {
    w.Key("cid"); w.String(s.cid);
  }
  w.Key("name"); w.String(s.name);
  w.Key("enabled"); w.Bool(s.enabled);
  w.Key("trigger"); w.Raw(s.trigger_sent.empty() ? s.trigger_json : s.trigger_sent);
  w.Key("push"); w.Raw(s.push_json);
  w.Key("time_zone"); w.String(EffectiveZone(s, server_zone));
  w.Key("expired"); w.Bool(s.expired_ms != 0);
  // When the next message is due: none while disabled (the timer advances silently).
  w.Key("next_fire");
  if (s.next_fire_ms != 0 && s.enabled) w.Int(s.next_fire_ms); else w.Null();
  w.Key("created_at"); w.Int(s.created_ms);
  w.Key("updated_at"); w.Int(s.updated_ms);
  w.Key("fires"); w.Uint(s.fires);
  w.EndObject();
}

namespace {

std::string ScheduleJson(const Schedule& s, const TimeZone& server_zone) {
  JsonWriter w;
  WriteSchedule(w, s, server_zone);
  return w.Take();
}

// --- handlers ------------------------------------------------------------------------------

// What every handler is given besides the request: the services, the surface it answers
// for and the authenticated application.
struct Call {
  ApiServices& svc;
  const ScheduleSurface& surface;
  const App& app;
};
using ScheduleHandler = void (*)(const Call&, const http::Request&, http::Response&);

// Basic auth only (the EngageLab and JPush form); the signed Serendipity headers are not
// accepted here.
http::Handler BasicRoute(ApiServices& svc, const ScheduleSurface& surface, ScheduleHandler fn) {
  return [&svc, &surface, fn](const http::Request& req, http::Response& res) {
    std::string authz(req.Header("Authorization"));
    if (authz.size() < 6 || strncasecmp(authz.c_str(), "Basic ", 6) != 0) {
      svc.gate->Failed(req.peer);
      return SendScheduleError(res, surface,
                               Status::Unauthorized("Basic authentication failed: header "
                                                    "'Authorization' must be Basic "
                                                    "base64(appKey:secretKey)"));
    }
    AuthInput in;
    in.authorization = authz;
    in.body = req.body;
    Result<std::shared_ptr<const App>> app = svc.auth.Authenticate(in);
    if (!app.ok()) {
      svc.gate->Failed(req.peer);
      return SendScheduleError(
          res, surface,
          Status::Unauthorized("Basic authentication failed: " + app.status().message()));
    }
    fn(Call{svc, surface, **app}, req, res);
  };
}

Status NoSuchSchedule(std::string_view id) {
  return Status::NotFound("schedule " + std::string(id) + " does not exist");
}

// The schedule id of a /{id} route, or NotFound when the text cannot name one.
Result<std::string> ScheduleIdParam(const http::Request& req) {
  const std::string& id = req.path_params[0];
  if (!LooksLikeScheduleId(id)) return NoSuchSchedule(id);
  return id;
}

// The `trigger` section, its zones those of the calling application.
Result<TriggerInput> ReadTrigger(const Call& c, const FieldReader& f) {
  Result<TriggerZones> zones = AppTriggerZones(c.app, c.svc.time_zone);
  if (!zones.ok()) return zones.status();
  return ReadScheduleTrigger(f, *zones);
}

void CreateSchedule(const Call& c, const http::Request& req, http::Response& res) {
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendScheduleError(res, c.surface, body.status());
  FieldReader f(*body);
  ScheduleSpec spec;
  Result<std::string> name = ReadScheduleName(f);
  if (!name.ok()) return SendScheduleError(res, c.surface, name.status());
  spec.name = std::move(name).value();
  Result<bool> enabled = ReadScheduleEnabled(f);
  if (!enabled.ok()) return SendScheduleError(res, c.surface, enabled.status());
  if (!*enabled) {
    return SendScheduleError(
        res, c.surface, Status::Invalid("enabled: must be true when a schedule is created"));
  }
  Result<TriggerInput> trigger = ReadTrigger(c, f);
  if (!trigger.ok()) return SendScheduleError(res, c.surface, trigger.status());
  spec.trigger = std::move(trigger->trigger);
  spec.trigger_sent = std::move(trigger->sent);
  Result<std::string> push = ReadSchedulePush(f);
  if (!push.ok()) return SendPushError(res, c.surface, push.status());
  spec.push_json = std::move(push).value();
  Result<std::string> cid = ReadScheduleCid(f);
  if (!cid.ok()) return SendScheduleError(res, c.surface, cid.status());
  spec.cid = std::move(cid).value();

  Result<Schedule> created = c.svc.schedules->Create(c.app, std::move(spec));
  if (!created.ok()) return SendScheduleError(res, c.surface, created.status());
  JsonWriter w;
  w.BeginObject();
  w.Key("schedule_id"); w.String(created->id);
  w.Key("name"); w.String(created->name);
  w.EndObject();
  SendJson(res, 200, w.Take());
}

void ListSchedules(const Call& c, const http::Request& req, http::Response& res) {
  int64_t page = 1;
  const std::string* page_param = req.Query("page");
  std::string text = page_param != nullptr ? *page_param : "";
  if (!text.empty()) {  // "?page=" means the first page, as in the originals
    bool digits = text.size() <= 10 &&
                  std::all_of(text.begin(), text.end(),
                              [](char ch) { return ch >= '0' && ch <= '9'; });
    page = digits ? std::stoll(text) : 0;
    if (page < 1 || page > kMaxPage) {
      JsonWriter quoted;
      quoted.String(text);
      return SendScheduleError(
          res, c.surface,
          Status::Invalid("page: must be an integer from 1 to " + std::to_string(kMaxPage) +
                          " (got " + quoted.Take() + ")"));
    }
  }
  Result<SchedulePage> p = c.svc.schedules->List(c.app, page);
  if (!p.ok()) return SendScheduleError(res, c.surface, p.status());
  JsonWriter w;
  w.BeginObject();
  w.Key("total_count"); w.Uint(p->total_count);
  w.Key("total_pages"); w.Uint(p->total_pages);
  w.Key("page"); w.Int(p->page);
  w.Key("schedules");
  w.BeginArray();
  for (const Schedule& s : p->schedules) WriteSchedule(w, s, c.svc.time_zone);
  w.EndArray();
  w.EndObject();
  SendJson(res, 200, w.Take());
}

void GetSchedule(const Call& c, const http::Request& req, http::Response& res) {
  Result<std::string> id = ScheduleIdParam(req);
  if (!id.ok()) return SendScheduleError(res, c.surface, id.status());
  Result<Schedule> s = c.svc.schedules->Get(c.app, *id);
  if (!s.ok()) return SendScheduleError(res, c.surface, s.status());
  SendJson(res, 200, ScheduleJson(*s, c.svc.time_zone));
}

// {count, msgids, msg_ids}: msgids is the documents' key (and what JPush's Java client
// reads), msg_ids the one EngageLab's SDK reads; both hold the same list.
void GetMsgIds(const Call& c, const http::Request& req, http::Response& res) {
  Result<std::string> id = ScheduleIdParam(req);
  if (!id.ok()) return SendScheduleError(res, c.surface, id.status());
  Result<std::vector<uint64_t>> ids = c.svc.schedules->MsgIds(c.app, *id);
  if (!ids.ok()) return SendScheduleError(res, c.surface, ids.status());
  JsonWriter w;
  w.BeginObject();
  w.Key("count"); w.Uint(ids->size());
  for (const char* key : {"msgids", "msg_ids"}) {
    w.Key(key);
    w.BeginArray();
    for (uint64_t m : *ids) w.String(std::to_string(m));
    w.EndArray();
  }
  w.EndObject();
  SendJson(res, 200, w.Take());
}

void UpdateSchedule(const Call& c, const http::Request& req, http::Response& res) {
  Result<std::string> id = ScheduleIdParam(req);
  if (!id.ok()) return SendScheduleError(res, c.surface, id.status());
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendScheduleError(res, c.surface, body.status());
  FieldReader f(*body);
  ScheduleUpdate u;
  if (f.Has("name")) {
    Result<std::string> name = ReadScheduleName(f);
    if (!name.ok()) return SendScheduleError(res, c.surface, name.status());
    u.name = std::move(name).value();
  }
  if (f.Has("enabled")) {
    Result<bool> enabled = ReadScheduleEnabled(f);
    if (!enabled.ok()) return SendScheduleError(res, c.surface, enabled.status());
    u.enabled = *enabled;
  }
  if (f.Has("trigger")) {
    Result<TriggerInput> trigger = ReadTrigger(c, f);
    if (!trigger.ok()) return SendScheduleError(res, c.surface, trigger.status());
    u.trigger = std::move(trigger->trigger);
    u.trigger_sent = std::move(trigger->sent);
  }
  if (body->at_key("push").error() == simdjson::SUCCESS) {
    // Present (even as null): the section is replaced, so it must be a valid push.
    Result<std::string> push = ReadSchedulePush(f);
    if (!push.ok()) return SendPushError(res, c.surface, push.status());
    u.push_json = std::move(push).value();
  }
  if (!u.name && !u.enabled && !u.trigger && !u.push_json) {
    return SendScheduleError(res, c.surface,
                             Status::Invalid("request: must hold at least one of name, "
                                             "enabled, trigger, push"));
  }
  Result<Schedule> s = c.svc.schedules->Update(c.app, *id, std::move(u));
  if (!s.ok()) return SendScheduleError(res, c.surface, s.status());
  SendJson(res, 200, ScheduleJson(*s, c.svc.time_zone));
}

void DeleteSchedule(const Call& c, const http::Request& req, http::Response& res) {
  Result<std::string> id = ScheduleIdParam(req);
  if (!id.ok()) return SendScheduleError(res, c.surface, id.status());
  Status st = c.svc.schedules->Delete(c.app, *id);
  if (!st.ok()) return SendScheduleError(res, c.surface, st);
  res.status = 200;  // an empty body, as in the originals
}

void RegisterSurface(http::Router& router, ApiServices& svc, const ScheduleSurface& surface) {
  const std::string p(surface.prefix);
  // Credentials are checked on the head too, before a body is read (api/head_gate.h).
  auto head = [&svc, &surface] {
    return svc.gate->BasicApp([&surface](const Status& st, http::Response* res) {
      SendScheduleError(*res, surface, st);
    });
  };
  router.Add("POST", p, BasicRoute(svc, surface, CreateSchedule), head());
  router.Add("GET", p, BasicRoute(svc, surface, ListSchedules), head());
  // msg-ids: EngageLab's document spells it both ways, JPush's clients call msg_ids.
  router.Add("GET", p + "/{id}/msg-ids", BasicRoute(svc, surface, GetMsgIds), head());
  router.Add("GET", p + "/{id}/msg_ids", BasicRoute(svc, surface, GetMsgIds), head());
  router.Add("GET", p + "/{id}", BasicRoute(svc, surface, GetSchedule), head());
  router.Add("PUT", p + "/{id}", BasicRoute(svc, surface, UpdateSchedule), head());
  router.Add("DELETE", p + "/{id}", BasicRoute(svc, surface, DeleteSchedule), head());
  // Anything else under the version (/v4, /v3): "no such route" in this surface's shape,
  // never "no such schedule".
  router.AddFallback(std::string(surface.version),
                     [&surface](const http::Request& req, http::Response& res) {
                       SendNoRoute(res, surface, req);
                     });
}

}  // namespace

void RegisterScheduleRoutes(http::Router& router, ApiServices& svc) {
  RegisterSurface(router, svc, kEngageLabSurface);
  RegisterSurface(router, svc, kJPushSurface);
}

}  // namespace tock::api
