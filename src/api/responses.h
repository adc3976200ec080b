// Response bodies of the Serendipity surface and the one Status -> HTTP status mapping.
//
//   success: {"code":0,"msg":"ok","data":{...}}
//   error:   {"code":1,"msg":"<names the field and the rule>","data":{}}
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <string>

#include "common/json_writer.h"
#include "common/status.h"

namespace tock::api {

int HttpStatusFor(Code code);

// `fill` writes the members of "data" (the object braces are written here).
std::string OkBody(const std::function<void(JsonWriter&)>& fill);
std::string ErrorBody(const Status& status);

}  // namespace tock::api
