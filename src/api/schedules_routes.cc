// The EngageLab schedules surface (SPEC §4): /v4/schedules.
//
// Its own conventions, kept apart from the Serendipity routes: Basic auth only, success
// bodies are the bare objects of the original (no {"code","msg","data"} envelope), errors are
// {"error":{"code":N,"message":"..."}} with the original's codes:
//   28100/400 invalid   28101/401 auth   28104/404 no such schedule (or another app's)
//   28105/404 push missing, empty or not an object   28200/500 internal   28203/503 busy
// Validation messages name the field path: "name: ...", "trigger.single.time: ...".
// Every handler: authenticate, parse and validate the whole request, one service call, one
// response.

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "api/app_auth.h"
#include "api/http_api.h"
#include "api/http_util.h"
#include "api/json_fields.h"
#include "api/routes.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "schedules/schedule_service.h"
#include "schedules/trigger.h"

namespace tock::api {
namespace {

constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxPushBytes = 64 * 1024;  // as a task's content: each fire delivers it
constexpr int64_t kMaxPage = 1'000'000'000;
constexpr int kCodeInvalid = 28100;
constexpr int kCodeAuth = 28101;
constexpr int kCodeNotFound = 28104;
constexpr int kCodeNoPush = 28105;
constexpr int kCodeInternal = 28200;
constexpr int kCodeBusy = 28203;

void SendEngageError(httplib::Response& res, int http_status, int code,
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
void SendScheduleError(httplib::Response& res, const Status& st) {
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

// --- validation ----------------------------------------------------------------------------

// Decodes one UTF-8 code point at s[*i] and advances *i. The input is valid UTF-8
// (simdjson checked it).
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[*i + k]); };
  uint32_t c = b(0);
  size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (*i + n > s.size()) n = 1;
  if (n == 2) c = ((c & 0x1F) << 6) | (b(1) & 0x3F);
  if (n == 3) c = ((c & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  if (n == 4) c = ((c & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  *i += n;
  return c;
}

// A non-ASCII code point counts as a letter unless it lies in a block of punctuation,
// symbols, spaces, emoji or private use. An approximation without Unicode tables: letters
// and combining marks of every script pass, the common non-letters are refused.
bool IsNonAsciiNameChar(uint32_t c) {
  struct Range {
    uint32_t lo, hi;
  };
  static constexpr Range kRefused[] = {
      {0x80, 0xA9},       {0xAB, 0xB4},       {0xB6, 0xB9},       {0xBB, 0xBF},
      {0xD7, 0xD7},       {0xF7, 0xF7},       {0x37E, 0x37E},     {0x387, 0x387},
      {0x55A, 0x55F},     {0x589, 0x58A},     {0x5BE, 0x5BE},     {0x5C0, 0x5C0},
      {0x5C3, 0x5C3},     {0x5F3, 0x5F4},     {0x60C, 0x60D},     {0x61B, 0x61B},
      {0x61F, 0x61F},     {0x66A, 0x66D},     {0x6D4, 0x6D4},     {0x964, 0x965},
      {0xE4F, 0xE4F},     {0xE5A, 0xE5B},     {0x1680, 0x1680},   {0x2000, 0x2BFF},
      {0x3000, 0x3004},   {0x3008, 0x3020},   {0x3030, 0x3030},   {0x303D, 0x303F},
      {0xD800, 0xF8FF},   {0xFE00, 0xFE6F},   {0xFEFF, 0xFEFF},   {0xFF00, 0xFF0F},
      {0xFF1A, 0xFF20},   {0xFF3B, 0xFF40},   {0xFF5B, 0xFF65},   {0xFFF0, 0xFFFF},
      {0x1F000, 0x1FAFF}, {0xE0000, 0xE007F}, {0xF0000, 0x10FFFF},
  };
  for (const Range& r : kRefused) {
    if (c >= r.lo && c <= r.hi) return false;
  }
  return true;
}

Result<std::string> ReadName(const FieldReader& f) {
  auto v = f.Get("name");
  if (!v) return Status::Invalid("name: is required");
  std::string_view s;
  if (v->get_string().get(s)) return Status::Invalid("name: must be a string");
  if (s.empty() || s.size() > kMaxNameBytes) {
    return Status::Invalid("name: must be 1 to 255 bytes (got " + std::to_string(s.size()) +
                           ")");
  }
  for (size_t i = 0; i < s.size();) {
    size_t at = i;
    uint32_t c = NextCodePoint(s, &i);
    bool ok = c < 0x80 ? (std::isalnum(static_cast<int>(c)) || c == '_' || c == ' ' || c == '-')
                       : IsNonAsciiNameChar(c);
    if (!ok) {
      return Status::Invalid("name: may hold only letters (any script), digits, '_', ' ' and "
                             "'-' (got \"" + std::string(s.substr(at, i - at)) +
                             "\" at byte " + std::to_string(at) + ")");
    }
  }
  return std::string(s);
}

Result<bool> ReadEnabled(const FieldReader& f) {
  auto v = f.Get("enabled");
  if (!v) return Status::Invalid("enabled: is required");
  bool b;
  if (v->get_bool().get(b)) return Status::Invalid("enabled: must be true or false");
  return b;
}

Result<Trigger> ReadTrigger(const FieldReader& f, const TimeZone& zone) {
  auto v = f.Get("trigger");
  if (!v) return Status::Invalid("trigger: is required");
  return ParseTrigger(MinifyJson(*v), zone);
}

// Push problems are 28105 (the original's "no push target"), not 28100: the caller sends
// them with their own code, so they come back as the message alone.
Result<std::string> ReadPush(const FieldReader& f) {
  auto v = f.Get("push");
  if (!v) return Status::Invalid("push: is required (the JSON object each fire delivers)");
  simdjson::dom::object obj;
  if (v->get_object().get(obj)) return Status::Invalid("push: must be a JSON object");
  if (obj.size() == 0) return Status::Invalid("push: must not be empty");
  std::string text = MinifyJson(*v);
  if (text.size() > kMaxPushBytes) {
    return Status::Invalid("push: must be at most " + std::to_string(kMaxPushBytes) +
                           " bytes of minified JSON (got " + std::to_string(text.size()) + ")");
  }
  return text;
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
    std::function<void(const App&, const httplib::Request&, httplib::Response&)>;

// Basic auth only (the EngageLab form); the signed Serendipity headers are not accepted here.
httplib::Server::Handler BasicRoute(ApiServices& svc, AppHandler fn) {
  return [&svc, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    std::string authz = req.get_header_value("Authorization");
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

// A schedule id is a 36-character UUID; anything else cannot name a schedule (404).
bool LooksLikeScheduleId(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Status NoSuchSchedule(std::string_view id) {
  return Status::NotFound("schedule " + std::string(id) + " does not exist");
}

void CreateSchedule(ApiServices& svc, const App& app, const httplib::Request& req,
                    httplib::Response& res) {
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendScheduleError(res, body.status());
  FieldReader f(*body);
  ScheduleSpec spec;
  Result<std::string> name = ReadName(f);
  if (!name.ok()) return SendScheduleError(res, name.status());
  spec.name = std::move(name).value();
  Result<bool> enabled = ReadEnabled(f);
  if (!enabled.ok()) return SendScheduleError(res, enabled.status());
  if (!*enabled) {
    return SendScheduleError(res,
                             Status::Invalid("enabled: must be true when a schedule is created"));
  }
  Result<Trigger> trigger = ReadTrigger(f, svc.time_zone);
  if (!trigger.ok()) return SendScheduleError(res, trigger.status());
  spec.trigger = std::move(trigger).value();
  Result<std::string> push = ReadPush(f);
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

void ListSchedules(ApiServices& svc, const App& app, const httplib::Request& req,
                   httplib::Response& res) {
  int64_t page = 1;
  std::string text = req.has_param("page") ? req.get_param_value("page") : "";
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
                 httplib::Response& res) {
  if (!LooksLikeScheduleId(id)) return SendScheduleError(res, NoSuchSchedule(id));
  Result<Schedule> s = svc.schedules->Get(app, id);
  if (!s.ok()) return SendScheduleError(res, s.status());
  SendJson(res, 200, ScheduleJson(*s));
}

void GetMsgIds(ApiServices& svc, const App& app, const std::string& id,
               httplib::Response& res) {
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
                    const httplib::Request& req, httplib::Response& res) {
  if (!LooksLikeScheduleId(id)) return SendScheduleError(res, NoSuchSchedule(id));
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendScheduleError(res, body.status());
  FieldReader f(*body);
  ScheduleUpdate u;
  if (f.Has("name")) {
    Result<std::string> name = ReadName(f);
    if (!name.ok()) return SendScheduleError(res, name.status());
    u.name = std::move(name).value();
  }
  if (f.Has("enabled")) {
    Result<bool> enabled = ReadEnabled(f);
    if (!enabled.ok()) return SendScheduleError(res, enabled.status());
    u.enabled = *enabled;
  }
  if (f.Has("trigger")) {
    Result<Trigger> trigger = ReadTrigger(f, svc.time_zone);
    if (!trigger.ok()) return SendScheduleError(res, trigger.status());
    u.trigger = std::move(trigger).value();
  }
  if (body->at_key("push").error() == simdjson::SUCCESS) {
    // Present (even as null): the section is replaced, so it must be a valid push.
    Result<std::string> push = ReadPush(f);
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
                    httplib::Response& res) {
  if (!LooksLikeScheduleId(id)) return SendScheduleError(res, NoSuchSchedule(id));
  Status st = svc.schedules->Delete(app, id);
  if (!st.ok()) return SendScheduleError(res, st);
  res.status = 200;  // an empty body, as the original
}

}  // namespace

void RegisterScheduleRoutes(httplib::Server& server, ApiServices& svc) {
  server.Post("/v4/schedules", BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
                CreateSchedule(svc, app, req, res);
              }));
  server.Get("/v4/schedules", BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
               ListSchedules(svc, app, req, res);
             }));
  // msg-ids: the original's docs spell it both msg-ids and msg_ids.
  server.Get(R"(/v4/schedules/([^/]+)/msg[-_]ids)",
             BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
               GetMsgIds(svc, app, req.matches[1], res);
             }));
  server.Get(R"(/v4/schedules/([^/]+))",
             BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
               GetSchedule(svc, app, req.matches[1], res);
             }));
  server.Put(R"(/v4/schedules/([^/]+))",
             BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
               UpdateSchedule(svc, app, req.matches[1], req, res);
             }));
  server.Delete(R"(/v4/schedules/([^/]+))",
                BasicRoute(svc, [&svc](const App& app, const auto& req, auto& res) {
                  DeleteSchedule(svc, app, req.matches[1], res);
                }));
  // Any other form under /v4/schedules: 404 in this surface's error shape.
  httplib::Server::Handler unknown = [](const httplib::Request& req, httplib::Response& res) {
    SendEngageError(res, 404, kCodeNotFound,
                    "no such route: " + req.method + " " + req.path);
  };
  const char* const kAny = R"(/v4/schedules(/.*)?)";
  server.Get(kAny, unknown);
  server.Post(kAny, unknown);
  server.Put(kAny, unknown);
  server.Delete(kAny, unknown);
  server.Patch(kAny, unknown);
}

}  // namespace tock::api
