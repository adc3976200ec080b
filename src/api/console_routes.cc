// The console (src/ui/, README "Console") and the admin JSON API it runs on.
//
//   GET  /ui                  301 to /ui/
//   GET  /ui/                 the console's index.html
//   GET  /ui/{asset}          one embedded file (app.js, app.css, ...)
//   GET  /openapi.json        the OpenAPI 3.1 document of every route (src/ui/openapi.json)
// Admin routes (Authorization: Bearer <admin token>), errors in the Serendipity shape:
//   GET  /admin/stats                                      counters, lateness, per-app view
//   GET  /admin/apps/{appKey}/schedules[?page=N]           an application's schedules
//   GET  /admin/apps/{appKey}/schedules/{scheduleId}       one schedule and its msg-ids
//   POST /admin/apps/{appKey}/schedules/{scheduleId}/enable|disable
//   DELETE /admin/apps/{appKey}/schedules/{scheduleId}
//   GET  /admin/apps/{appKey}/tasks/{taskId}               a task and its attempts
//   POST /admin/apps/{appKey}/tasks/{taskId}/cancel
//   POST /admin/apps/{appKey}/tasks/{taskId}/publish       run now (waiting) or replay
//                                                          (failed, cancelled)
// The task lists, failed deliveries, bulk replay and task delete are in
// api/console_task_routes.cc.
//
// DESIGN: every console answer carries the same strict headers (a Content-Security-Policy
// that allows only this origin's files, no inline script or style, no framing) and a strong
// ETag, so a browser revalidates with If-None-Match and gets 304 without the body. The
// assets are byte arrays in the binary (ui/assets.h): nothing is read from disk. The admin
// token travels only in the Authorization header, which a browser never adds by itself, so
// another site cannot make a console request for the operator (no CSRF by construction).

#include <algorithm>
#include <cmath>
#include <string>

#include "api/console_admin.h"
#include "api/head_gate.h"
#include "api/http_api.h"
#include "api/http_util.h"
#include "api/json_fields.h"
#include "api/routes.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "schedules/schedule_service.h"
#include "tasks/app_registry.h"
#include "tasks/task_service.h"
#include "ui/assets.h"

namespace tock::api {
namespace {

using Handler = http::Handler;

constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";
constexpr int64_t kMaxPage = 1'000'000;

void ConsoleHeaders(http::Response& res) {
  res.SetHeader("Content-Security-Policy", kCsp);
  res.SetHeader("X-Frame-Options", "DENY");
  res.SetHeader("X-Content-Type-Options", "nosniff");
  res.SetHeader("Referrer-Policy", "no-referrer");
  res.SetHeader("Cross-Origin-Opener-Policy", "same-origin");
  res.SetHeader("Cross-Origin-Resource-Policy", "same-origin");
}

// True when the If-None-Match header lists `etag` (or is "*").
bool EtagMatches(std::string_view header, std::string_view etag) {
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view tag = header.substr(start, end - start);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag == "*" || tag == etag) return true;
    start = end + 1;
  }
  return false;
}

void SendAsset(const ui::Asset& asset, const http::Request& req, http::Response& res) {
  ConsoleHeaders(res);
  res.SetHeader("ETag", std::string(asset.etag));
  // Revalidate every time: a new binary serves new files at once, and an unchanged file
  // costs a 304 without its body.
  res.SetHeader("Cache-Control", "no-cache");
  if (EtagMatches(req.Header("If-None-Match"), asset.etag)) {
    res.status = 304;
    return;
  }
  res.SetBody(200, std::string(asset.body), asset.content_type);
}

void SendNoAsset(http::Response& res, std::string_view name) {
  ConsoleHeaders(res);
  SendError(res, Status::NotFound("no console file " + std::string(name)));
}

void WriteAdminError(const Status& st, http::Response* res) { SendError(*res, st); }

// --- stats ---------------------------------------------------------------------------------

// The q-quantile (0..1) of a cumulative histogram, interpolated linearly inside its bucket
// (the Prometheus histogram_quantile rule); null (-1) when empty. Past the last finite bound:
// that bound.
double Quantile(const std::vector<double>& bounds, const std::vector<uint64_t>& cumulative,
                double q) {
  if (cumulative.empty() || cumulative.back() == 0) return -1;
  const double rank = q * static_cast<double>(cumulative.back());
  for (size_t i = 0; i < cumulative.size(); ++i) {
    if (static_cast<double>(cumulative[i]) >= rank) {
      if (i >= bounds.size()) return bounds.empty() ? -1 : bounds.back();
      const double lo = i == 0 ? 0.0 : bounds[i - 1];
      const double below = i == 0 ? 0.0 : static_cast<double>(cumulative[i - 1]);
      const double in = static_cast<double>(cumulative[i]) - below;
      return in <= 0 ? bounds[i] : lo + (bounds[i] - lo) * (rank - below) / in;
    }
  }
  return bounds.empty() ? -1 : bounds.back();
}

void Stats(ApiServices& svc, http::Response& res) {
  if (!svc.stats) return SendError(res, Status::Unavailable("stats are not available"));
  const ServerStats s = svc.stats();
  std::vector<std::shared_ptr<const App>> apps = svc.apps.List();
  std::sort(apps.begin(), apps.end(),
            [](const auto& a, const auto& b) { return a->app_key < b->app_key; });
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
    w.Key("now"); w.Int(s.now_ms);
    w.Key("startedAt"); w.Int(s.started_ms);
    w.Key("deliveries");
    w.BeginObject();
    const char* names[5] = {"success", "failure", "timeout", "error", "gone"};
    uint64_t total = 0;
    for (int i = 0; i < 5; ++i) {
      w.Key(names[i]); w.Uint(s.deliveries[i]);
      total += s.deliveries[i];
    }
    w.Key("total"); w.Uint(total);
    w.Key("failed"); w.Uint(total - s.deliveries[0]);
    w.EndObject();
    w.Key("lateness");
    w.BeginObject();
    w.Key("bounds");
    w.BeginArray();
    for (double b : s.lateness_bounds) w.Double(b);
    w.EndArray();
    w.Key("cumulative");
    w.BeginArray();
    for (uint64_t c : s.lateness_cumulative) w.Uint(c);
    w.EndArray();
    for (auto [key, q] : {std::pair{"p50Seconds", 0.5}, std::pair{"p99Seconds", 0.99}}) {
      w.Key(key);
      const double v = Quantile(s.lateness_bounds, s.lateness_cumulative, q);
      if (v < 0) w.Null(); else w.Double(v);
    }
    w.EndObject();
    w.Key("tasks");
    w.BeginObject();
    w.Key("waiting"); w.Uint(s.waiting);
    w.Key("stored"); w.Uint(s.tasks_stored);
    w.Key("inFlight"); w.Uint(s.in_flight);
    w.Key("queued"); w.Uint(s.queued);
    w.Key("wheelTimers"); w.Uint(s.wheel_timers);
    w.EndObject();
    w.Key("apps");
    w.BeginArray();
    for (const auto& app : apps) {
      const AppDeliveryView* view = nullptr;
      for (const AppDeliveryView& v : s.apps) {
        if (v.app_key == app->app_key) view = &v;
      }
      w.BeginObject();
      w.Key("appKey"); w.String(app->app_key);
      w.Key("name"); w.String(app->name);
      w.Key("paused"); WritePause(w, *app);
      w.Key("inFlight"); w.Int(view ? view->in_flight : 0);
      w.Key("queued"); w.Uint(view ? view->queued : 0);
      w.Key("window"); w.Int(view ? view->window : 0);
      w.Key("consecutiveFailures"); w.Int(view ? view->consecutive_failures : 0);
      // Since start; the console's per-application rates are differences of two samples.
      w.Key("attempts"); w.Uint(view ? view->attempts : 0);
      w.Key("failedAttempts"); w.Uint(view ? view->failed_attempts : 0);
      w.Key("holdUntil");
      if (view && view->hold_until_ms > 0) w.Int(view->hold_until_ms); else w.Null();
      w.EndObject();
    }
    w.EndArray();
  }));
}

// --- schedules and tasks of one application -----------------------------------------------

Status NoSchedules() { return Status::Unavailable("schedules are not served by this server"); }

void WriteScheduleObject(ApiServices& svc, JsonWriter& w, const Schedule& s) {
  WriteSchedule(w, s, svc.time_zone);
}

// The schedule with its canonical trigger (every zone named, time_unit lower-case, points
// in order), which the console puts in words.
std::string ScheduleBody(ApiServices& svc, const Schedule& s,
                         const std::vector<uint64_t>* msg_ids) {
  return OkBody([&](JsonWriter& w) {
    w.Key("schedule"); WriteScheduleObject(svc, w, s);
    w.Key("canonicalTrigger"); w.Raw(s.trigger_json);
    if (msg_ids != nullptr) {
      w.Key("msgIds");
      w.BeginArray();
      for (uint64_t m : *msg_ids) w.String(std::to_string(m));
      w.EndArray();
    }
  });
}

void ListSchedules(ApiServices& svc, const http::Request& req, http::Response& res) {
  if (svc.schedules == nullptr) return SendError(res, NoSchedules());
  Result<std::shared_ptr<const App>> app = AppParam(svc, req);
  if (!app.ok()) return SendError(res, app.status());
  int64_t page = 1;
  if (const std::string* p = req.Query("page"); p != nullptr && !p->empty()) {
    const bool digits = p->size() <= 7 && std::all_of(p->begin(), p->end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    page = digits ? std::stoll(*p) : 0;
    if (page < 1 || page > kMaxPage) {
      return SendError(res, Status::Invalid("query 'page': must be an integer from 1 to " +
                                            std::to_string(kMaxPage)));
    }
  }
  Result<SchedulePage> p = svc.schedules->List(**app, page);
  if (!p.ok()) return SendError(res, p.status());
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
    w.Key("appKey"); w.String((*app)->app_key);
    w.Key("totalCount"); w.Uint(p->total_count);
    w.Key("totalPages"); w.Uint(p->total_pages);
    w.Key("page"); w.Int(p->page);
    w.Key("schedules");
    w.BeginArray();
    for (const Schedule& s : p->schedules) {
      w.BeginObject();
      w.Key("schedule"); WriteScheduleObject(svc, w, s);
      w.Key("canonicalTrigger"); w.Raw(s.trigger_json);
      w.EndObject();
    }
    w.EndArray();
  }));
}

void GetSchedule(ApiServices& svc, const http::Request& req, http::Response& res) {
  if (svc.schedules == nullptr) return SendError(res, NoSchedules());
  Result<std::shared_ptr<const App>> app = AppParam(svc, req);
  if (!app.ok()) return SendError(res, app.status());
  const std::string& id = req.path_params[1];
  Result<Schedule> s = svc.schedules->Get(**app, id);
  if (!s.ok()) return SendError(res, s.status());
  Result<std::vector<uint64_t>> ids = svc.schedules->MsgIds(**app, id);
  if (!ids.ok()) return SendError(res, ids.status());
  SendJson(res, 200, ScheduleBody(svc, *s, &*ids));
}

void EnableSchedule(ApiServices& svc, const http::Request& req, http::Response& res,
                    bool enabled) {
  if (svc.schedules == nullptr) return SendError(res, NoSchedules());
  Result<std::shared_ptr<const App>> app = AppParam(svc, req);
  if (!app.ok()) return SendError(res, app.status());
  ScheduleUpdate u;
  u.enabled = enabled;
  Result<Schedule> s = svc.schedules->Update(**app, req.path_params[1], std::move(u));
  if (!s.ok()) return SendError(res, s.status());
  log::Info(enabled ? "schedule.enabled" : "schedule.disabled",
            {{"app", (*app)->app_key}, {"schedule", s->id}, {"by", "admin"}});
  SendJson(res, 200, ScheduleBody(svc, *s, nullptr));
}

void DeleteSchedule(ApiServices& svc, const http::Request& req, http::Response& res) {
  if (svc.schedules == nullptr) return SendError(res, NoSchedules());
  Result<std::shared_ptr<const App>> app = AppParam(svc, req);
  if (!app.ok()) return SendError(res, app.status());
  const std::string& id = req.path_params[1];
  Status st = svc.schedules->Delete(**app, id);
  if (!st.ok()) return SendError(res, st);
  log::Info("schedule.deleted", {{"app", (*app)->app_key}, {"schedule", id}, {"by", "admin"}});
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
    w.Key("scheduleId"); w.String(id);
    w.Key("deleted"); w.Bool(true);
  }));
}

void GetTask(ApiServices& svc, const http::Request& req, http::Response& res) {
  Result<std::shared_ptr<const App>> app = AppParam(svc, req);
  if (!app.ok()) return SendError(res, app.status());
  Result<uint64_t> id = TaskIdParam(req);
  if (!id.ok()) return SendError(res, id.status());
  Result<TaskDetail> d = svc.tasks.Detail(**app, *id);
  if (!d.ok()) return SendError(res, d.status());
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
    w.Key("appKey"); w.String((*app)->app_key);
    WriteDetail(w, *d, svc.time_zone);
    w.Key("appPaused"); WritePause(w, **app);
  }));
}

void ActOnTask(ApiServices& svc, const http::Request& req, http::Response& res,
               bool cancel) {
  Result<std::shared_ptr<const App>> app = AppParam(svc, req);
  if (!app.ok()) return SendError(res, app.status());
  Result<uint64_t> id = TaskIdParam(req);
  if (!id.ok()) return SendError(res, id.status());
  Status st = cancel ? svc.tasks.Cancel(**app, *id) : svc.tasks.Publish(**app, *id);
  if (!st.ok()) return SendError(res, st);
  log::Info(cancel ? "task.cancelled" : "task.published",
            {{"app", (*app)->app_key}, {"task", *id}, {"by", "admin"}});
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
    w.Key("taskId"); w.Uint(*id);
    w.Key("state"); w.String(cancel ? "cancelled" : "waiting");
  }));
}

}  // namespace

void AddConsoleAdminRoute(http::Router& router, ApiServices& svc, const char* method,
                          const char* pattern, Handler fn) {
  // The admin check (api::AdminRoute), and answers that are never cached or sniffed.
  Handler wrapped =
      AdminRoute(svc, [fn = std::move(fn)](const http::Request& req, http::Response& res) {
        res.SetHeader("Cache-Control", "no-store");
        res.SetHeader("X-Content-Type-Options", "nosniff");
        fn(req, res);
      });
  router.Add(method, pattern, std::move(wrapped), svc.gate->Admin(WriteAdminError));
}

Result<std::shared_ptr<const App>> AppParam(ApiServices& svc, const http::Request& req) {
  const std::string& key = req.path_params[0];
  std::shared_ptr<const App> app = svc.apps.Find(key);
  if (!app) return Status::NotFound("path 'appKey': no application " + key);
  return app;
}

Result<uint64_t> TaskIdParam(const http::Request& req) {
  Result<uint64_t> id = ParseIdText(req.path_params[1], "taskId");
  if (!id.ok()) return Status::Invalid("path 'taskId': must be a positive integer");
  return id;
}

void RegisterConsoleRoutes(http::Router& router, ApiServices& svc) {
  router.Add("GET", "/ui", [](const http::Request& req, http::Response& res) {
    // The router takes "/ui/" here too; only the bare path is redirected, so relative
    // module imports resolve under /ui/.
    if (req.path == "/ui") {
      ConsoleHeaders(res);
      res.SetHeader("Location", "/ui/");
      res.SetBody(301, "", "text/plain");
      return;
    }
    const ui::Asset* index = ui::FindAsset("index.html");
    if (index == nullptr) return SendNoAsset(res, "index.html");
    SendAsset(*index, req, res);
  });
  router.Add("GET", "/ui/{asset}", [](const http::Request& req, http::Response& res) {
    const std::string& name = req.path_params[0];
    const ui::Asset* asset = name == "openapi.json" ? nullptr : ui::FindAsset(name);
    if (asset == nullptr) return SendNoAsset(res, name);
    SendAsset(*asset, req, res);
  });
  router.Add("GET", "/openapi.json", [](const http::Request& req, http::Response& res) {
    const ui::Asset* doc = ui::FindAsset("openapi.json");
    if (doc == nullptr) return SendNoAsset(res, "openapi.json");
    SendAsset(*doc, req, res);
  });

  auto add = [&](const char* method, const char* pattern, Handler fn) {
    AddConsoleAdminRoute(router, svc, method, pattern, std::move(fn));
  };
  add("GET", "/admin/stats", [&svc](const http::Request&, http::Response& res) {
    Stats(svc, res);
  });
  add("GET", "/admin/apps/{appKey}/schedules",
      [&svc](const http::Request& req, http::Response& res) { ListSchedules(svc, req, res); });
  add("GET", "/admin/apps/{appKey}/schedules/{scheduleId}",
      [&svc](const http::Request& req, http::Response& res) { GetSchedule(svc, req, res); });
  add("POST", "/admin/apps/{appKey}/schedules/{scheduleId}/enable",
      [&svc](const http::Request& req, http::Response& res) {
        EnableSchedule(svc, req, res, true);
      });
  add("POST", "/admin/apps/{appKey}/schedules/{scheduleId}/disable",
      [&svc](const http::Request& req, http::Response& res) {
        EnableSchedule(svc, req, res, false);
      });
  add("DELETE", "/admin/apps/{appKey}/schedules/{scheduleId}",
      [&svc](const http::Request& req, http::Response& res) { DeleteSchedule(svc, req, res); });
  add("GET", "/admin/apps/{appKey}/tasks/{taskId}",
      [&svc](const http::Request& req, http::Response& res) { GetTask(svc, req, res); });
  add("POST", "/admin/apps/{appKey}/tasks/{taskId}/cancel",
      [&svc](const http::Request& req, http::Response& res) { ActOnTask(svc, req, res, true); });
  add("POST", "/admin/apps/{appKey}/tasks/{taskId}/publish",
      [&svc](const http::Request& req, http::Response& res) { ActOnTask(svc, req, res, false); });
  RegisterConsoleTaskRoutes(router, svc);
}

}  // namespace tock::api
