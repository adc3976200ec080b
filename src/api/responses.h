// Response bodies of the Serendipity surface and the one Status -> HTTP status mapping.
//
//   success: {"code":0,"msg":"ok","data":{...}}
//   error:   {"code":1,"msg":"<names the field and the rule>","data":{}}
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/json_writer.h"
#include "common/status.h"
#include "dispatch/delivery_view.h"
#include "model/app.h"
#include "model/schedule.h"
#include "model/task.h"

namespace tock::api {

int HttpStatusFor(Code code);

// `fill` writes the members of "data" (the object braces are written here).
std::string OkBody(const std::function<void(JsonWriter&)>& fill);
// {"code":1,"msg":ClientMessage(status),"data":{}}.
std::string ErrorBody(const Status& status);
// What an API client is told of a failure: the status's message, except that the database's
// own words (its URL and host, SQL, libpq's lines) are for the operator, in /readyz and the
// log: a client gets "database unavailable: ..." or "internal error".
std::string ClientMessage(const Status& status);

// null, or {"kind":"manual"|"auto","reason":"...","since":<unix ms>}.
void WritePause(JsonWriter& w, const App& app);
// The members of one application object (never its secretKey), with the delivery engine's
// live view of it when there is one.
void WriteAppFields(JsonWriter& w, const App& app, const std::optional<AppDeliveryView>& view);

}  // namespace tock::api
