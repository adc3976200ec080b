// The console's task lists, failed deliveries and bulk replay (issue 13), admin bearer token:
//
//   GET  /admin/tasks?app=&state=&prefix=&from=&to=&order=&cursor=&limit=
//        tasks by application (or every one), state (waiting, running, success, cancelled,
//        failed; absent: any), taskNo prefix (needs app) and due time (unix ms,
//        from <= runtime < to); order desc (latest due first, the default) or asc; keyset
//        pages of `limit` (1-500, default 50): pass nextCursor back as `cursor`
//   GET  /admin/failed?app=&from=&to=&order=&cursor=&limit=
//        failed tasks by failure time, each with its last attempt's reason (lastError)
//   POST /admin/failed/replay {app?, from?, to?}
//        202: a job replaying every failed task that matches (tasks/replay_jobs.h); the same
//        filter while its job runs returns that job ("existing": true)
//   GET  /admin/failed/replay/{jobId}      the job: state, total, done, replayed, skipped
//   DELETE /admin/apps/{appKey}/tasks/{taskId}   a finished task, its attempts and taskNo
// Replaying one failed task is POST /admin/apps/{appKey}/tasks/{taskId}/publish
// (api/console_routes.cc).
//
// How the lists are read, and what a page costs: tasks/task_list.h.

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "api/console_admin.h"
#include "api/http_util.h"
#include "api/json_fields.h"
#include "api/routes.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "tasks/app_registry.h"
#include "tasks/replay_jobs.h"
#include "tasks/task_list.h"
#include "tasks/task_service.h"

namespace tock::api {
namespace {

// The applications of `app` (query or body): that one (NotFound if unknown), or every one.
Result<std::vector<std::string>> AppsOf(ApiServices& svc, const std::string& app,
                                        const char* where) {
  if (!app.empty()) {
    if (!svc.apps.Find(app)) return Status::NotFound(std::string(where) + ": no application " + app);
    return std::vector<std::string>{app};
  }
  std::vector<std::string> keys;
  for (const auto& a : svc.apps.List()) keys.push_back(a->app_key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

// An optional integer query parameter (unix ms); Invalid names it.
Result<int64_t> MsQuery(const http::Request& req, const char* name, int64_t absent) {
  const std::string* v = req.Query(name);
  if (v == nullptr || v->empty()) return absent;
  int64_t ms = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), ms);
  if (ec != std::errc() || end != v->data() + v->size()) {
    return Status::Invalid(std::string("query '") + name + "': must be a time in unix milliseconds");
  }
  return ms;
}

// The filter of GET /admin/tasks and /admin/failed from the query.
Result<TaskListFilter> FilterOf(ApiServices& svc, const http::Request& req, bool failed) {
  TaskListFilter f;
  const std::string* app = req.Query("app");
  Result<std::vector<std::string>> apps = AppsOf(svc, app ? *app : "", "query 'app'");
  if (!apps.ok()) return apps.status();
  f.app_keys = std::move(apps).value();
  if (!failed) {
    using S = TaskListFilter::State;
    static const std::pair<const char*, S> kStates[] = {
        {"", S::kAny},          {"any", S::kAny},        {"waiting", S::kWaiting},
        {"running", S::kRunning}, {"success", S::kSuccess}, {"cancelled", S::kCancelled},
        {"failed", S::kFailed}};
    const std::string* state = req.Query("state");
    const std::string want = state ? *state : "";
    auto it = std::find_if(std::begin(kStates), std::end(kStates),
                           [&](const auto& p) { return want == p.first; });
    if (it == std::end(kStates)) {
      return Status::Invalid("query 'state': must be waiting, running, success, cancelled or "
                             "failed (or absent for any)");
    }
    f.state = it->second;
    if (const std::string* p = req.Query("prefix")) {
      if (p->size() > 256) return Status::Invalid("query 'prefix': at most 256 bytes");
      if (!p->empty() && (app == nullptr || app->empty())) {
        return Status::Invalid("query 'prefix': needs 'app' (a taskNo is unique per application)");
      }
      f.task_no_prefix = *p;
    }
  }
  Result<int64_t> from = MsQuery(req, "from", f.from_ms);
  if (!from.ok()) return from.status();
  Result<int64_t> to = MsQuery(req, "to", f.to_ms);
  if (!to.ok()) return to.status();
  f.from_ms = *from;
  f.to_ms = *to;
  if (const std::string* order = req.Query("order"); order != nullptr && !order->empty()) {
    if (*order != "asc" && *order != "desc") {
      return Status::Invalid("query 'order': must be desc (latest first) or asc");
    }
    f.descending = *order == "desc";
  }
  if (const std::string* c = req.Query("cursor")) f.cursor = *c;
  if (const std::string* l = req.Query("limit"); l != nullptr && !l->empty()) {
    const bool digits = l->size() <= 4 && std::all_of(l->begin(), l->end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    f.limit = digits ? static_cast<size_t>(std::stoul(*l)) : 0;
  }
  return f;
}

void WriteListed(JsonWriter& w, const ListedTask& lt, bool failed) {
  const Task& t = lt.task;
  w.BeginObject();
  w.Key("taskId"); w.Uint(t.id);
  w.Key("appKey"); w.String(t.app_key);
  w.Key("taskNo"); w.String(t.task_no);
  w.Key("name"); w.String(t.name);
  w.Key("state"); w.String(TaskStatusName(lt.running ? TaskStatus::kRunning : t.status));
  w.Key("runtimeMs"); w.Int(t.runtime_ms);
  w.Key("nextRunAt");
  if (t.next_run_ms > 0) w.Int(t.next_run_ms); else w.Null();
  w.Key("createdAt"); w.Int(t.created_ms);
  w.Key("finishedAt");
  if (t.finished_ms > 0) w.Int(t.finished_ms); else w.Null();
  w.Key("round"); w.Uint(t.round);
  if (!t.schedule_id.empty()) {
    w.Key("scheduleId"); w.String(t.schedule_id);
  }
  if (failed) {
    w.Key("lastError"); w.String(lt.last_error);
  }
  w.EndObject();
}

void SendPage(http::Response& res, const TaskListPage& page, const TaskListFilter& f,
              bool failed) {
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
    w.Key("tasks");
    w.BeginArray();
    for (const ListedTask& lt : page.tasks) WriteListed(w, lt, failed);
    w.EndArray();
    w.Key("nextCursor");
    if (page.next_cursor.empty()) w.Null(); else w.String(page.next_cursor);
    w.Key("limit"); w.Uint(f.limit);
    w.Key("order"); w.String(f.descending ? "desc" : "asc");
    w.Key("examined"); w.Uint(page.examined);
  }));
}

void ListTasksRoute(ApiServices& svc, const http::Request& req, http::Response& res,
                    bool failed) {
  Result<TaskListFilter> f = FilterOf(svc, req, failed);
  if (!f.ok()) return SendError(res, f.status());
  Result<TaskListPage> page = failed ? svc.tasks.ListFailed(*f) : svc.tasks.List(*f);
  if (!page.ok()) return SendError(res, page.status());
  SendPage(res, *page, *f, failed);
}

void WriteJob(JsonWriter& w, const ReplayJobView& j) {
  w.Key("jobId"); w.String(j.id);
  w.Key("state"); w.String(ReplayStateName(j.state));
  w.Key("apps");
  w.BeginArray();
  for (const std::string& a : j.filter.app_keys) w.String(a);
  w.EndArray();
  w.Key("from");
  if (j.filter.from_ms != INT64_MIN) w.Int(j.filter.from_ms); else w.Null();
  w.Key("to");
  if (j.filter.to_ms != INT64_MAX) w.Int(j.filter.to_ms); else w.Null();
  w.Key("cutoff"); w.Int(j.cutoff_ms);
  w.Key("createdAt"); w.Int(j.created_ms);
  w.Key("finishedAt");
  if (j.finished_ms > 0) w.Int(j.finished_ms); else w.Null();
  w.Key("total");
  if (j.total) w.Uint(*j.total); else w.Null();
  w.Key("done"); w.Uint(j.done);
  w.Key("replayed"); w.Uint(j.replayed);
  w.Key("skipped"); w.Uint(j.skipped);
  w.Key("error");
  if (j.error.empty()) w.Null(); else w.String(j.error);
}

Status NoReplays() { return Status::Unavailable("bulk replay is not served by this server"); }

void StartReplay(ApiServices& svc, const http::Request& req, http::Response& res) {
  if (svc.replays == nullptr) return SendError(res, NoReplays());
  ReplayFilter filter;
  std::string app;
  if (!req.body.empty()) {
    Result<simdjson::dom::object> body = ParseJsonBody(req.body);
    if (!body.ok()) return SendError(res, body.status());
    FieldReader r(*body);
    Result<std::optional<std::string>> a = r.String("app", 1, 64);
    if (!a.ok()) return SendError(res, a.status());
    Result<std::optional<int64_t>> from = r.Int("from", INT64_MIN, INT64_MAX);
    if (!from.ok()) return SendError(res, from.status());
    Result<std::optional<int64_t>> to = r.Int("to", INT64_MIN, INT64_MAX);
    if (!to.ok()) return SendError(res, to.status());
    app = a->value_or("");
    filter.from_ms = from->value_or(filter.from_ms);
    filter.to_ms = to->value_or(filter.to_ms);
  }
  Result<std::vector<std::string>> apps = AppsOf(svc, app, "field 'app'");
  if (!apps.ok()) return SendError(res, apps.status());
  filter.app_keys = std::move(apps).value();
  bool existing = false;
  const ReplayJobView job = svc.replays->Submit(std::move(filter), &existing);
  if (!existing) {
    log::Info("replay.requested", {{"job", job.id}, {"app", app.empty() ? "*" : app},
                                   {"by", "admin"}});
  }
  SendJson(res, 202, OkBody([&](JsonWriter& w) {
    WriteJob(w, job);
    w.Key("existing"); w.Bool(existing);
  }));
}

void GetReplay(ApiServices& svc, const http::Request& req, http::Response& res) {
  if (svc.replays == nullptr) return SendError(res, NoReplays());
  std::optional<ReplayJobView> job = svc.replays->Get(req.path_params[0]);
  if (!job) {
    return SendError(res, Status::NotFound("path 'jobId': no replay job " + req.path_params[0] +
                                           " (jobs are kept in memory until a restart)"));
  }
  SendJson(res, 200, OkBody([&](JsonWriter& w) { WriteJob(w, *job); }));
}

void DeleteTask(ApiServices& svc, const http::Request& req, http::Response& res) {
  Result<std::shared_ptr<const App>> app = AppParam(svc, req);
  if (!app.ok()) return SendError(res, app.status());
  Result<uint64_t> id = TaskIdParam(req);
  if (!id.ok()) return SendError(res, id.status());
  Status st = svc.tasks.Delete(**app, *id);
  if (!st.ok()) return SendError(res, st);
  log::Info("task.deleted", {{"app", (*app)->app_key}, {"task", *id}, {"by", "admin"}});
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
    w.Key("taskId"); w.Uint(*id);
    w.Key("deleted"); w.Bool(true);
  }));
}

}  // namespace

void RegisterConsoleTaskRoutes(http::Router& router, ApiServices& svc) {
  AddConsoleAdminRoute(router, svc, "GET", "/admin/tasks",
                       [&svc](const http::Request& req, http::Response& res) {
                         ListTasksRoute(svc, req, res, /*failed=*/false);
                       });
  AddConsoleAdminRoute(router, svc, "GET", "/admin/failed",
                       [&svc](const http::Request& req, http::Response& res) {
                         ListTasksRoute(svc, req, res, /*failed=*/true);
                       });
  AddConsoleAdminRoute(router, svc, "POST", "/admin/failed/replay",
                       [&svc](const http::Request& req, http::Response& res) {
                         StartReplay(svc, req, res);
                       });
  AddConsoleAdminRoute(router, svc, "GET", "/admin/failed/replay/{jobId}",
                       [&svc](const http::Request& req, http::Response& res) {
                         GetReplay(svc, req, res);
                       });
  AddConsoleAdminRoute(router, svc, "DELETE", "/admin/apps/{appKey}/tasks/{taskId}",
                       [&svc](const http::Request& req, http::Response& res) {
                         DeleteTask(svc, req, res);
                       });
}

}  // namespace tock::api
