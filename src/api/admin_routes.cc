// Operator routes under /admin, guarded by the admin bearer token (the one that guards
// /application/create):
//
//   POST /admin/backup {"to":"/abs/dir"}  an online, consistent copy of the live database
//                                          (RocksDB Checkpoint) into <to>/db plus the admin
//                                          token into <to>/admin.token; `tock serve --data <to>`
//                                          starts from it.
//   GET  /admin/apps                       every application, without its secretKey
//   GET  /admin/apps/{appKey}              one application; 404 if unknown
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

#include "api/http_api.h"
#include "api/http_util.h"
#include "api/json_fields.h"
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

// Wraps a handler: the admin bearer token first.
Handler AdminRoute(const HttpApiOptions& opts, Handler fn) {
  return [&opts, fn = std::move(fn)](const http::Request& req, http::Response& res) {
    auto bearer = ParseBearer(std::string(req.Header("Authorization")));
    if (!bearer || opts.admin_token.empty() || !ConstantTimeEquals(*bearer, opts.admin_token)) {
      return SendError(res, Status::Unauthorized(
                                "header 'Authorization': must be Bearer <admin token>"));
    }
    fn(req, res);
  };
}

// The members of one application object (never its secretKey).
void WriteAppFields(JsonWriter& w, const App& app) {
  w.Key("appKey"); w.String(app.app_key);
  w.Key("appName"); w.String(app.name);
  w.Key("linkUrl"); w.String(app.link_url);
  w.Key("remark"); w.String(app.remark);
  w.Key("step"); w.Int(app.step_s);
  w.Key("retryTotal"); w.Int(app.retry_total);
  w.Key("successMode"); w.String(app.success_mode == SuccessMode::kStatus ? "status" : "body");
  w.Key("createdAt"); w.Int(app.created_ms);
}

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
  Status st = svc.store->Checkpoint(to + "/db");
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
               WriteAppFields(w, *app);
               w.EndObject();
             }
             w.EndArray();
           }));
}

void ShowApp(ApiServices& svc, const std::string& app_key, http::Response& res) {
  std::shared_ptr<const App> app = svc.apps.Find(app_key);
  if (!app) return SendError(res, Status::NotFound("no application " + app_key));
  SendJson(res, 200, OkBody([&](JsonWriter& w) { WriteAppFields(w, *app); }));
}

}  // namespace

void RegisterAdminRoutes(http::Router& router, ApiServices& svc, const HttpApiOptions& opts) {
  router.Add("POST", "/admin/backup",
              AdminRoute(opts, [&svc, &opts](const http::Request& req, http::Response& res) {
                Backup(svc, opts, req, res);
              }));
  router.Add("GET", "/admin/apps",
             AdminRoute(opts, [&svc](const http::Request&, http::Response& res) {
               ListApps(svc, res);
             }));
  router.Add("GET", "/admin/apps/{appKey}",
             AdminRoute(opts, [&svc](const http::Request& req, http::Response& res) {
               ShowApp(svc, req.path_params[0], res);
             }));
}

}  // namespace tock::api
