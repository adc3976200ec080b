// Operator routes under /admin, guarded by the admin bearer token (the one that guards
// /application/create):
//
//   POST /admin/backup {"to":"/abs/dir"}  an online, consistent copy of the live database
//                                          (RocksDB Checkpoint) into <to>/db plus the admin
//                                          token into <to>/admin.token; `tock serve --data <to>`
//                                          starts from it.
//   GET  /admin/apps                       every application, without its secretKey
//   GET  /admin/apps/{appKey}              one application; 404 if unknown
//   POST /application/update {app_key,...}  changes linkUrl, retry policy, flow control
//                                          (parallelism, ratePerSecond), timeZone ...
//   POST /application/pause {app_key[, reason]}   deliveries wait; nothing fails
//   POST /application/resume {app_key}     deliveries go on (also ends an auto-pause)
//
// DESIGN: the checkpoint hard-links the SST files and copies the write-ahead log, so it costs
// a memtable flush and little disk, and every write acknowledged before the call started
// (each was synced before its 200) is in the copy. Writes keep flowing while it runs.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "api/head_gate.h"
#include "api/http_api.h"
#include "api/http_util.h"
#include "api/json_fields.h"
#include "api/requests.h"
#include "api/routes.h"
#include "auth/basic_auth.h"
#include "auth/signing.h"
#include "common/log.h"
#include "storage/store.h"
#include "tasks/app_registry.h"

namespace tock::api {
namespace {

namespace fs = std::filesystem;

using Handler = std::function<void(const http::Request&, http::Response&)>;


void WriteAdminError(const Status& st, http::Response* res) { SendError(*res, st); }

// Writes the token as <dir>/admin.token, mode 0600, synced.
Status WriteToken(const std::string& path, const std::string& token) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot write " + path + ": " + std::strerror(errno));
  std::string line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::Ok() : Status::Internal("cannot write " + path);
}

void Backup(ApiServices& svc, const HttpApiOptions& opts, const http::Request& req,
            http::Response& res) {
  if (svc.store == nullptr) return SendError(res, Status::Unavailable("backup is not available"));
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendError(res, body.status());
  FieldReader f(*body);
  std::string to;
  Result<std::optional<std::string>> field = f.String("to", 1, 4096);
  if (!field.ok()) return SendError(res, field.status());
  if (!field->has_value()) return SendError(res, f.Missing("to"));
  to = **field;
  if (to.front() != '/') {
    return SendError(res, Status::Invalid(f.Name("to") + ": must be an absolute path"));
  }
  while (to.size() > 1 && to.back() == '/') to.pop_back();

  std::error_code ec;
  bool created = false;
  if (fs::exists(to, ec)) {
    if (!fs::is_directory(to, ec)) {
      return SendError(res, Status::Invalid(f.Name("to") + ": exists and is not a directory"));
    }
    if (!fs::is_empty(to, ec) || ec) {
      return SendError(res, Status::Invalid(f.Name("to") + ": exists and is not empty"));
    }
  } else {
    if (!fs::create_directories(to, ec) || ec) {
      return SendError(res, Status::Invalid(f.Name("to") + ": cannot create directory: " +
                                            ec.message()));
    }
    created = true;
  }
  Status st = svc.store->Backup(to + "/db");
  if (st.ok()) st = WriteToken(to + "/admin.token", opts.admin_token);
  if (!st.ok()) {
    // Leave nothing half-made behind: a later `tock serve --data <to>` must not start from it.
    if (created) {
      fs::remove_all(to, ec);
    } else {
      fs::remove_all(to + "/db", ec);
      fs::remove(to + "/admin.token", ec);
    }
    log::Error("backup.failed", {{"to", to}, {"error", st.message()}});
    return SendError(res, st);
  }
  log::Info("backup.done", {{"to", to}});
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
             w.Key("path"); w.String(to);
           }));
}

std::optional<AppDeliveryView> View(ApiServices& svc, const std::string& app_key) {
  return svc.delivery_view ? svc.delivery_view(app_key) : std::nullopt;
}

void ListApps(ApiServices& svc, http::Response& res) {
  std::vector<std::shared_ptr<const App>> apps = svc.apps.List();
  std::sort(apps.begin(), apps.end(), [](const auto& a, const auto& b) {
    return a->created_ms != b->created_ms ? a->created_ms < b->created_ms
                                          : a->app_key < b->app_key;
  });
  SendJson(res, 200, OkBody([&](JsonWriter& w) {
             w.Key("apps");
             w.BeginArray();
             for (const auto& app : apps) {
               w.BeginObject();
               WriteAppFields(w, *app, View(svc, app->app_key));
               w.EndObject();
             }
             w.EndArray();
           }));
}

void ShowApp(ApiServices& svc, const std::string& app_key, http::Response& res) {
  std::shared_ptr<const App> app = svc.apps.Find(app_key);
  if (!app) return SendError(res, Status::NotFound("no application " + app_key));
  SendJson(res, 200, OkBody([&](JsonWriter& w) { WriteAppFields(w, *app, View(svc, app_key)); }));
}

// The app_key of an /application/update|pause|resume body, and the body's fields.
Result<std::string> AppKeyOf(const FieldReader& f) {
  Result<std::optional<std::string>> k = f.String("app_key", 1, 64);
  if (!k.ok()) return k.status();
  if (!k->has_value()) return f.Missing("app_key");
  return std::move(**k);
}

// Read-modify-write of one application, then the engine is told; answers the new state.
// `change` sets *unchanged when the request changes nothing (a pause of a paused
// application): it still answers the state, but log_event is not logged again.
void ChangeApp(ApiServices& svc, const http::Request& req, http::Response& res,
               const std::function<Status(const FieldReader&, App&, bool* unchanged)>& change,
               const char* log_event) {
  Result<simdjson::dom::object> body = ParseJsonBody(req.body);
  if (!body.ok()) return SendError(res, body.status());
  FieldReader f(*body);
  Result<std::string> key = AppKeyOf(f);
  if (!key.ok()) return SendError(res, key.status());
  bool unchanged = false;
  Result<std::shared_ptr<const App>> updated =
      svc.apps.Update(*key, [&](App& app) { return change(f, app, &unchanged); });
  if (!updated.ok()) {
    if (updated.status().code() == Code::kNotFound) {
      return SendError(res, Status::NotFound("no application " + *key));
    }
    return SendError(res, updated.status());
  }
  if (svc.app_changed) svc.app_changed(*key);
  const App& app = **updated;
  if (!unchanged) {
    if (app.pause != PauseKind::kNone) {
      log::Info(log_event, {{"app", *key}, {"reason", app.pause_reason}});
    } else {
      log::Info(log_event, {{"app", *key}});
    }
  }
  SendJson(res, 200, OkBody([&](JsonWriter& w) { WriteAppFields(w, app, View(svc, *key)); }));
}

void UpdateApp(ApiServices& svc, const http::Request& req, http::Response& res) {
  ChangeApp(svc, req, res, [&svc](const FieldReader& f, App& app, bool*) {
    return ParseAppUpdate(f, svc.guard, &app);
  }, "app.updated");
}

void PauseApp(ApiServices& svc, const http::Request& req, http::Response& res) {
  ChangeApp(svc, req, res, [&svc](const FieldReader& f, App& app, bool* unchanged) {
    Result<std::optional<std::string>> r = f.String("reason", 1, 200);
    if (!r.ok()) return r.status();
    if (app.pause == PauseKind::kManual) {  // already: idempotent
      *unchanged = true;
      return Status::Ok();
    }
    app.pause = PauseKind::kManual;
    app.pause_reason = r->has_value() ? "paused by operator: " + **r : "paused by operator";
    app.paused_ms = svc.clock.WallMs();
    return Status::Ok();
  }, "app.paused");
}

void ResumeApp(ApiServices& svc, const http::Request& req, http::Response& res) {
  ChangeApp(svc, req, res, [](const FieldReader&, App& app, bool* unchanged) {
    *unchanged = app.pause == PauseKind::kNone;
    app.pause = PauseKind::kNone;
    app.pause_reason.clear();
    app.paused_ms = 0;
    return Status::Ok();
  }, "app.resumed");
}

}  // namespace

Handler AdminRoute(ApiServices& svc, Handler fn) {
  return [&svc, fn = std::move(fn)](const http::Request& req, http::Response& res) {
    if (!svc.gate->AdminTokenMatches(req)) {
      svc.gate->Failed(req.peer);
      return SendError(res, Status::Unauthorized(
                                "header 'Authorization': must be Bearer <admin token>"));
    }
    fn(req, res);
  };
}

void RegisterAdminRoutes(http::Router& router, ApiServices& svc, const HttpApiOptions& opts) {
  router.Add("POST", "/admin/backup",
              AdminRoute(svc, [&svc, &opts](const http::Request& req, http::Response& res) {
                Backup(svc, opts, req, res);
              }), svc.gate->Admin(WriteAdminError));
  router.Add("GET", "/admin/apps",
             AdminRoute(svc, [&svc](const http::Request&, http::Response& res) {
               ListApps(svc, res);
             }), svc.gate->Admin(WriteAdminError));
  router.Add("POST", "/application/update",
             AdminRoute(svc, [&svc](const http::Request& req, http::Response& res) {
               UpdateApp(svc, req, res);
             }), svc.gate->Admin(WriteAdminError));
  router.Add("POST", "/application/pause",
             AdminRoute(svc, [&svc](const http::Request& req, http::Response& res) {
               PauseApp(svc, req, res);
             }), svc.gate->Admin(WriteAdminError));
  router.Add("POST", "/application/resume",
             AdminRoute(svc, [&svc](const http::Request& req, http::Response& res) {
               ResumeApp(svc, req, res);
             }), svc.gate->Admin(WriteAdminError));
  router.Add("GET", "/admin/apps/{appKey}",
             AdminRoute(svc, [&svc](const http::Request& req, http::Response& res) {
               ShowApp(svc, req.path_params[0], res);
             }), svc.gate->Admin(WriteAdminError));
}

}  // namespace tock::api
