// Error answers of the schedule surfaces (api/schedule_surface.h).
#include "api/schedule_surface.h"

#include <string>

#include "api/http_util.h"
#include "common/json_writer.h"
#include "common/log.h"

namespace tock::api {
namespace {

// Offsets from a surface's code base, the same in EngageLab's and JPush's documents.
constexpr int kInvalid = 100;
constexpr int kAuth = 101;
constexpr int kNoSchedule = 104;
constexpr int kNoPush = 105;
constexpr int kInternal = 200;
constexpr int kBusy = 203;
constexpr int kNoRoute = 404;

void SendError(http::Response& res, const ScheduleSurface& surface, int http_status,
               int offset, const std::string& message) {
  JsonWriter w;
  w.BeginObject();
  w.Key("error");
  w.BeginObject();
  w.Key("code");
  w.Int(surface.code_base + offset);
  w.Key("message");
  w.String(message);
  w.EndObject();
  w.EndObject();
  SendJson(res, http_status, w.Take());
}

}  // namespace

void SendScheduleError(http::Response& res, const ScheduleSurface& surface, const Status& st) {
  switch (st.code()) {
    case Code::kInvalid:
    case Code::kConflict:
    case Code::kTooLarge:
      return SendError(res, surface, 400, kInvalid, st.message());
    case Code::kUnauthorized:
      return SendError(res, surface, 401, kAuth, st.message());
    case Code::kNotFound:
      return SendError(res, surface, 404, kNoSchedule, st.message());
    case Code::kUnavailable:
      SetRetryAfter(res);
      return SendError(res, surface, 503, kBusy, ClientMessage(st));
    case Code::kOk:
    case Code::kInternal:
      break;
  }
  log::Error("schedules.internal_error", {{"error", st.message()}});
  SendError(res, surface, 500, kInternal, "Server Internal error.");
}

void SendPushError(http::Response& res, const ScheduleSurface& surface, const Status& st) {
  if (surface.push_has_own_code) return SendError(res, surface, 404, kNoPush, st.message());
  SendError(res, surface, 400, kInvalid, st.message());
}

void SendNoRoute(http::Response& res, const ScheduleSurface& surface, const http::Request& req) {
  const std::string p(surface.prefix);
  // The client's method and path, cut short: they are echoed into the message.
  const std::string asked = req.method.substr(0, 16) + " " + req.path.substr(0, 200) +
                            (req.path.size() > 200 ? "..." : "");
  if (!req.allowed_methods.empty()) {
    SendError(res, surface, 405, kNoRoute,
              "no such route: " + asked + " does not exist; this path serves " +
                  req.allowed_methods);
    res.SetHeader("Allow", req.allowed_methods);
    return;
  }
  SendError(res, surface, 404, kNoRoute,
            "no such route: " + asked + " does not exist (the schedule "
            "API serves POST and GET " + p + ", GET, PUT and DELETE " + p +
            "/{schedule_id}, GET " + p + "/{schedule_id}/msg_ids)");
}

}  // namespace tock::api
