#include "api/requests.h"

#include "callback/address_guard.h"
#include "callback/url.h"
#include "timeutil/time_parse.h"

namespace tock::api {
namespace {

bool IsTaskNoChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == ':' || c == '-';
}

// Unwraps a Result<optional<T>> into `out`, keeping `out` (the default) when absent.
template <typename T, typename U>
Status Assign(Result<std::optional<T>> r, U* out) {
  if (!r.ok()) return r.status();
  if (r->has_value()) *out = std::move(**r);
  return Status::Ok();
}

}  // namespace

Result<TaskSpec> ParseTaskSpec(const FieldReader& f, const TimeZone& tz, int64_t now_ms,
                               const TaskLimits& limits) {
  TaskSpec spec;

  TOCK_RETURN_IF_ERROR(Assign(f.String("taskNo", 1, 64), &spec.task_no));
  for (char c : spec.task_no) {
    if (!IsTaskNoChar(c)) {
      return Status::Invalid(f.Name("taskNo") + ": may contain only A-Z a-z 0-9 _ . : -");
    }
  }
  TOCK_RETURN_IF_ERROR(Assign(f.String("name", 0, 64), &spec.name));

  int64_t timeout = 30000;
  TOCK_RETURN_IF_ERROR(Assign(f.Int("timeout", 1, 600000), &timeout));
  spec.timeout_ms = static_cast<int32_t>(timeout);

  spec.runtime_ms = now_ms;
  if (auto rt = f.Get("runtime")) {
    std::string_view text;
    int64_t seconds;
    if (!IsNumberMarker(*rt) && !rt->get_string().get(text)) {
      Result<int64_t> ms = ParseRuntime(text, tz);
      if (!ms.ok()) return Status::Invalid(f.Name("runtime") + ": " + ms.status().message());
      spec.runtime_ms = *ms;
    } else if (!rt->get_int64().get(seconds)) {
      if (seconds < 0 || seconds > 253402300799) {  // through 9999-12-31
        return Status::Invalid(f.Name("runtime") + ": unix seconds out of range");
      }
      spec.runtime_ms = seconds * 1000;
    } else {
      return Status::Invalid(f.Name("runtime") +
                             ": must be a string (\"YYYY-MM-DD HH:MM:SS\" or RFC 3339) or unix "
                             "seconds");
    }
    if (spec.runtime_ms > now_ms + limits.max_delay_ms) {
      return Status::Invalid(f.Name("runtime") + ": must be at most " +
                             std::to_string(limits.max_delay_ms / 86400000) + " days ahead");
    }
  }

  auto content = f.Get("content");
  if (!content) return f.Missing("content");
  if (!content->is_object() && (!content->is_string() || IsNumberMarker(*content))) {
    return Status::Invalid(f.Name("content") + ": must be a JSON object or string");
  }
  spec.content = MinifyJson(*content);
  if (spec.content.size() > limits.max_content_bytes) {
    return Status::Invalid(f.Name("content") + ": must be at most " +
                           std::to_string(limits.max_content_bytes) + " bytes (got " +
                           std::to_string(spec.content.size()) + ")");
  }
  return spec;
}

namespace {

// The fields of an application that create sets and update changes; absent ones keep *app.
Status ParseAppFields(const FieldReader& f, const AddressGuard* guard, App* app) {
  TOCK_RETURN_IF_ERROR(Assign(f.String("appName", 1, 100), &app->name));
  std::optional<std::string> url;
  TOCK_RETURN_IF_ERROR(Assign(f.String("linkUrl", 1, 2048), &url));
  if (url) {
    Result<CallbackUrl> parsed = ParseCallbackUrl(*url);
    if (!parsed.ok()) return Status::Invalid(f.Name("linkUrl") + ": " + parsed.status().message());
    const AddressGuard::Denial denial = guard != nullptr
                                            ? guard->CheckLiteral(parsed->host, parsed->port)
                                            : AddressGuard::Denial::kNone;
    if (denial != AddressGuard::Denial::kNone) {
      return Status::Invalid(f.Name("linkUrl") + ": address " + parsed->host + " port " +
                             std::to_string(parsed->port) + " is denied (" +
                             (denial == AddressGuard::Denial::kSelf
                                  ? "tock's own listen address: a callback would call tock itself"
                                  : "settings callback-deny / callback-allow") +
                             ")");
    }
    app->link_url = *url;
  }
  int64_t step = app->step_s, retry_total = app->retry_total;
  TOCK_RETURN_IF_ERROR(Assign(f.Int("step", 0, 3600), &step));
  TOCK_RETURN_IF_ERROR(Assign(f.Int("retryTotal", 0, 10), &retry_total));
  app->step_s = static_cast<int32_t>(step);
  app->retry_total = static_cast<int32_t>(retry_total);
  TOCK_RETURN_IF_ERROR(Assign(f.String("remark", 0, 255), &app->remark));

  std::optional<std::string> mode;
  TOCK_RETURN_IF_ERROR(Assign(f.String("successMode", 1, 16), &mode));
  if (mode == "body") {
    app->success_mode = SuccessMode::kBody;
  } else if (mode == "status") {
    app->success_mode = SuccessMode::kStatus;
  } else if (mode) {
    return Status::Invalid(f.Name("successMode") + ": must be \"body\" or \"status\"");
  }

  // Flow control: 0 restores the server's defaults (max-per-app; no rate limit).
  int64_t parallelism = app->parallelism;
  TOCK_RETURN_IF_ERROR(Assign(f.Int("parallelism", 0, 100000), &parallelism));
  app->parallelism = static_cast<int32_t>(parallelism);
  TOCK_RETURN_IF_ERROR(Assign(f.Number("ratePerSecond", 0, 100000), &app->rate_per_second));

  std::optional<std::string> zone;
  TOCK_RETURN_IF_ERROR(Assign(f.String("timeZone", 0, 64), &zone));
  if (zone && !zone->empty()) {
    Result<TimeZone> tz = TimeZone::Load(*zone);
    if (!tz.ok()) {
      return Status::Invalid(f.Name("timeZone") + ": must be an IANA time zone name such as "
                             "\"Asia/Tokyo\" (" + tz.status().message() + ")");
    }
  }
  if (zone) app->time_zone = *zone;
  return Status::Ok();
}

}  // namespace

Result<App> ParseAppCreate(const FieldReader& f, const AddressGuard* guard) {
  App app;
  if (!f.Has("appName")) return f.Missing("appName");
  if (!f.Has("linkUrl")) return f.Missing("linkUrl");
  TOCK_RETURN_IF_ERROR(ParseAppFields(f, guard, &app));
  // A key the caller already uses (a JPush appKey is 24 hex digits, and JPush's clients
  // refuse shorter ones); letters and digits only, as every key layout and Basic auth need.
  TOCK_RETURN_IF_ERROR(Assign(f.String("appKey", 16, 64), &app.app_key));
  for (char c : app.app_key) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return Status::Invalid(f.Name("appKey") + ": may contain only letters A-Z a-z and digits");
    }
  }
  return app;
}

Status ParseAppUpdate(const FieldReader& f, const AddressGuard* guard, App* app) {
  static const char* const kFields[] = {"appName", "linkUrl", "step", "retryTotal",
                                        "remark", "successMode", "parallelism",
                                        "ratePerSecond", "timeZone"};
  bool any = false;
  for (const char* k : kFields) any = any || f.Has(k);
  if (!any) {
    return Status::Invalid("request body: give at least one of appName, linkUrl, step, "
                           "retryTotal, remark, successMode, parallelism, ratePerSecond, "
                           "timeZone");
  }
  return ParseAppFields(f, guard, app);
}

}  // namespace tock::api
