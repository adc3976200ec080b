#include "api/responses.h"

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

std::string ErrorBody(const Status& status) {
  JsonWriter w;
  w.BeginObject();
  w.Key("code"); w.Int(1);
  w.Key("msg"); w.String(status.message());
  w.Key("data"); w.BeginObject(); w.EndObject();
  w.EndObject();
  return w.Take();
}

}  // namespace tock::api
