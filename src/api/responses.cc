#include "api/responses.h"

#include "common/log.h"

namespace tock::api {

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalid: return 400;
    case Code::kUnauthorized: return 401;
    case Code::kNotFound: return 404;
    case Code::kConflict: return 409;
    case Code::kTooLarge: return 413;
    case Code::kUnavailable: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

std::string OkBody(const std::function<void(JsonWriter&)>& fill) {
  JsonWriter w;
  w.BeginObject();
  w.Key("code"); w.Int(0);
  w.Key("msg"); w.String("ok");
  w.Key("data"); w.BeginObject();
  if (fill) fill(w);
  w.EndObject();
  w.EndObject();
  return w.Take();
}

std::string ClientMessage(const Status& status) {
  const std::string& m = status.message();
  if (m.rfind("database", 0) != 0) return m;
  switch (status.code()) {
    case Code::kUnavailable:
      // The store logged it when the database went away; /readyz shows it meanwhile.
      return "database unavailable: try again shortly";
    case Code::kInternal:
    case Code::kConflict:
      log::Error("api.database_error", {{"error", m}});
      return "internal error (the server's log has it)";
    default:
      return m;
  }
}

std::string ErrorBody(const Status& status) {
  JsonWriter w;
  w.BeginObject();
  w.Key("code"); w.Int(1);
  w.Key("msg"); w.String(ClientMessage(status));
  w.Key("data"); w.BeginObject(); w.EndObject();
  w.EndObject();
  return w.Take();
}

}  // namespace tock::api

namespace tock::api {

void WritePause(JsonWriter& w, const App& app) {
  if (app.pause == PauseKind::kNone) {
    w.Null();
    return;
  }
  w.BeginObject();
  w.Key("kind"); w.String(PauseKindName(app.pause));
  w.Key("reason"); w.String(app.pause_reason);
  w.Key("since"); w.Int(app.paused_ms);
  w.EndObject();
}

void WriteAppFields(JsonWriter& w, const App& app, const std::optional<AppDeliveryView>& view) {
  w.Key("appKey"); w.String(app.app_key);
  w.Key("appName"); w.String(app.name);
  w.Key("linkUrl"); w.String(app.link_url);
  w.Key("remark"); w.String(app.remark);
  w.Key("step"); w.Int(app.step_s);
  w.Key("retryTotal"); w.Int(app.retry_total);
  w.Key("successMode"); w.String(app.success_mode == SuccessMode::kStatus ? "status" : "body");
  w.Key("createdAt"); w.Int(app.created_ms);
  w.Key("parallelism"); w.Int(app.parallelism);
  w.Key("ratePerSecond"); w.Double(app.rate_per_second);
  w.Key("timeZone"); w.String(app.time_zone);
  // True for an application made before webhook keys were independent: its webhookSecret
  // is derived from its secretKey until the secret is rotated (README: rotate these).
  w.Key("webhookSecretDerived"); w.Bool(WebhookKeyDerived(app));
  w.Key("paused"); w.Bool(app.pause != PauseKind::kNone);
  w.Key("pause"); WritePause(w, app);
  if (view) {
    w.Key("delivery");
    w.BeginObject();
    w.Key("inFlight"); w.Int(view->in_flight);
    w.Key("window"); w.Int(view->window);
    w.Key("queued"); w.Int(static_cast<int64_t>(view->queued));
    w.Key("holdUntil");
    if (view->hold_until_ms > 0) w.Int(view->hold_until_ms); else w.Null();
    w.Key("consecutiveFailures"); w.Int(view->consecutive_failures);
    w.EndObject();
  }
}

}  // namespace tock::api
