// libFuzzer target: the callback body (dispatch/callback_builder.h) built from a task whose
// content came through the API. The input is a /task/create body: if the API accepts it,
// the callback body built from the stored content must be valid JSON whose top level holds
// exactly the documented keys, each once, whatever the content holds (no key can be
// injected through escapes, markers or raw bytes), and `data` must be the content itself.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "api/json_fields.h"
#include "api/requests.h"
#include "dispatch/callback_builder.h"
#include "timeutil/time_zone.h"

namespace {

constexpr int64_t kNowMs = 1795305600000;  // fixed, for reproducible runs

[[noreturn]] void Fail(const char* what, const std::string& body) {
  std::fprintf(stderr, "fuzz_callback_body: %s\nbody: %s\n", what, body.c_str());
  std::abort();
}

void Check(const tock::Task& task, const std::set<std::string>& want) {
  const std::string body = tock::BuildCallbackBody(task, 3);
  // tock's own request parser: the strict JSON grammar, numbers of any size.
  auto obj = tock::api::ParseJsonBody(body);
  if (!obj.ok()) Fail("not a JSON object", body);
  std::multiset<std::string> keys;
  for (auto [key, value] : *obj) keys.insert(std::string(key));
  if (keys.size() != want.size() || std::set<std::string>(keys.begin(), keys.end()) != want) {
    Fail("top-level keys differ from the documented ones", body);
  }
  auto data = tock::api::FieldReader(*obj).Get("data");
  if (!data || tock::api::MinifyJson(*data) != task.content) Fail("data is not the content", body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto obj = tock::api::ParseJsonBody(body);
  if (!obj.ok()) return 0;
  tock::api::FieldReader f(*obj);
  auto spec = tock::api::ParseTaskSpec(f, tock::TimeZone::Utc(), kNowMs, tock::api::TaskLimits());
  if (!spec.ok()) return 0;
  tock::Task task;
  task.id = 42;
  task.app_key = "AppKeyAppKey0000";
  task.task_no = spec->task_no.empty() ? "generated" : spec->task_no;
  task.name = spec->name;
  task.content = spec->content;
  task.runtime_ms = spec->runtime_ms;
  task.next_run_ms = spec->runtime_ms;
  Check(task, {"data", "taskId", "taskNo", "name", "attempt", "scheduledAt"});
  task.schedule_id = "5b1e0a8e-0000-4000-8000-000000000000";
  Check(task, {"data", "taskId", "taskNo", "name", "attempt", "scheduledAt", "scheduleId", "msgId"});
  return 0;
}
