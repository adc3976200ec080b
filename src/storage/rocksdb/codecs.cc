#include "storage/rocksdb/codecs.h"

#include <cstring>

#include "common/coding.h"

namespace tock {
namespace {
// App: 1 = up to created_ms; 2 adds previous_secret, previous_secret_until_ms; 3 adds
// parallelism, rate_per_second, pause, pause_reason, paused_ms, time_zone; 4 adds
// webhook_key, previous_webhook_key. All decode.
constexpr uint8_t kAppFormatV1 = 1;
constexpr uint8_t kAppFormat = 4;
constexpr uint8_t kTaskFormat = 1;
constexpr uint8_t kAttemptFormat = 1;
// Schedule: 1 = up to fires; 2 adds trigger_sent, cid. Both decode.
constexpr uint8_t kScheduleFormatV1 = 1;
constexpr uint8_t kScheduleFormat = 2;

Status Corrupt(const char* what) { return Status::Internal(std::string("corrupt ") + what + " record"); }
}  // namespace

std::string EncodeApp(const App& a) {
  std::string out;
  out.push_back(static_cast<char>(kAppFormat));
  PutString(&out, a.app_key);
  PutString(&out, a.secret_key);
  PutString(&out, a.name);
  PutString(&out, a.link_url);
  PutString(&out, a.remark);
  PutFixed32BE(&out, static_cast<uint32_t>(a.step_s));
  PutFixed32BE(&out, static_cast<uint32_t>(a.retry_total));
  out.push_back(static_cast<char>(a.success_mode));
  PutInt64BE(&out, a.created_ms);
  PutString(&out, a.previous_secret);
  PutInt64BE(&out, a.previous_secret_until_ms);
  PutFixed32BE(&out, static_cast<uint32_t>(a.parallelism));
  uint64_t rate_bits;
  static_assert(sizeof rate_bits == sizeof a.rate_per_second);
  std::memcpy(&rate_bits, &a.rate_per_second, sizeof rate_bits);
  PutFixed64BE(&out, rate_bits);
  out.push_back(static_cast<char>(a.pause));
  PutString(&out, a.pause_reason);
  PutInt64BE(&out, a.paused_ms);
  PutString(&out, a.time_zone);
  PutString(&out, a.webhook_key);
  PutString(&out, a.previous_webhook_key);
  return out;
}

Result<App> DecodeApp(std::string_view bytes) {
  Decoder d(bytes);
  App a;
  uint8_t format, mode;
  uint32_t step, retry;
  if (!d.GetU8(&format) || format < kAppFormatV1 || format > kAppFormat ||
      !d.GetString(&a.app_key) || !d.GetString(&a.secret_key) || !d.GetString(&a.name) ||
      !d.GetString(&a.link_url) || !d.GetString(&a.remark) || !d.GetU32(&step) ||
      !d.GetU32(&retry) || !d.GetU8(&mode) || !d.GetI64(&a.created_ms)) {
    return Corrupt("application");
  }
  // Format 1 records end here: no previous secret.
  if (format >= 2 &&
      (!d.GetString(&a.previous_secret) || !d.GetI64(&a.previous_secret_until_ms))) {
    return Corrupt("application");
  }
  if (format >= 3) {
    uint32_t parallelism;
    uint64_t rate_bits;
    uint8_t pause;
    if (!d.GetU32(&parallelism) || !d.GetU64(&rate_bits) || !d.GetU8(&pause) ||
        pause > static_cast<uint8_t>(PauseKind::kAuto) || !d.GetString(&a.pause_reason) ||
        !d.GetI64(&a.paused_ms) || !d.GetString(&a.time_zone)) {
      return Corrupt("application");
    }
    a.parallelism = static_cast<int32_t>(parallelism);
    std::memcpy(&a.rate_per_second, &rate_bits, sizeof rate_bits);
    a.pause = static_cast<PauseKind>(pause);
  }
  if (format >= 4 && (!d.GetString(&a.webhook_key) || !d.GetString(&a.previous_webhook_key))) {
    return Corrupt("application");
  }
  a.step_s = static_cast<int32_t>(step);
  a.retry_total = static_cast<int32_t>(retry);
  a.success_mode = static_cast<SuccessMode>(mode);
  return a;
}

std::string EncodeTask(const Task& t) {
  std::string out;
  out.reserve(96 + t.app_key.size() + t.task_no.size() + t.name.size() + t.content.size());
  out.push_back(static_cast<char>(kTaskFormat));
  PutFixed64BE(&out, t.id);
  PutString(&out, t.app_key);
  PutString(&out, t.task_no);
  PutString(&out, t.name);
  PutString(&out, t.content);
  PutInt64BE(&out, t.runtime_ms);
  PutInt64BE(&out, t.next_run_ms);
  PutInt64BE(&out, t.created_ms);
  PutInt64BE(&out, t.finished_ms);
  PutFixed32BE(&out, static_cast<uint32_t>(t.timeout_ms));
  out.push_back(static_cast<char>(t.status));
  PutFixed32BE(&out, t.round);
  PutFixed32BE(&out, t.round_start);
  PutInt64BE(&out, t.elapsed_ms);
  PutString(&out, t.schedule_id);
  return out;
}

Result<Task> DecodeTask(std::string_view bytes) {
  Decoder d(bytes);
  Task t;
  uint8_t format, status;
  uint32_t timeout;
  if (!d.GetU8(&format) || format != kTaskFormat || !d.GetU64(&t.id) ||
      !d.GetString(&t.app_key) || !d.GetString(&t.task_no) || !d.GetString(&t.name) ||
      !d.GetString(&t.content) || !d.GetI64(&t.runtime_ms) || !d.GetI64(&t.next_run_ms) ||
      !d.GetI64(&t.created_ms) || !d.GetI64(&t.finished_ms) || !d.GetU32(&timeout) ||
      !d.GetU8(&status) || !d.GetU32(&t.round) || !d.GetU32(&t.round_start) ||
      !d.GetI64(&t.elapsed_ms) || !d.GetString(&t.schedule_id)) {
    return Corrupt("task");
  }
  t.timeout_ms = static_cast<int32_t>(timeout);
  t.status = static_cast<TaskStatus>(status);
  return t;
}

std::string EncodeAttempt(const Attempt& a) {
  std::string out;
  out.push_back(static_cast<char>(kAttemptFormat));
  PutFixed64BE(&out, a.task_id);
  PutFixed32BE(&out, a.number);
  PutInt64BE(&out, a.started_ms);
  PutInt64BE(&out, a.duration_ms);
  PutFixed32BE(&out, static_cast<uint32_t>(a.http_status));
  out.push_back(static_cast<char>(a.outcome));
  PutString(&out, a.error);
  PutString(&out, a.response);
  return out;
}

Result<Attempt> DecodeAttempt(std::string_view bytes) {
  Decoder d(bytes);
  Attempt a;
  uint8_t format, outcome;
  uint32_t status;
  if (!d.GetU8(&format) || format != kAttemptFormat || !d.GetU64(&a.task_id) ||
      !d.GetU32(&a.number) || !d.GetI64(&a.started_ms) || !d.GetI64(&a.duration_ms) ||
      !d.GetU32(&status) || !d.GetU8(&outcome) || !d.GetString(&a.error) ||
      !d.GetString(&a.response)) {
    return Corrupt("attempt");
  }
  a.http_status = static_cast<int32_t>(status);
  a.outcome = static_cast<AttemptOutcome>(outcome);
  return a;
}

std::string EncodeSchedule(const Schedule& s) {
  std::string out;
  out.reserve(96 + s.id.size() + s.app_key.size() + s.name.size() + s.trigger_json.size() +
              s.push_json.size() + s.trigger_sent.size() + s.cid.size());
  out.push_back(static_cast<char>(kScheduleFormat));
  PutString(&out, s.id);
  PutString(&out, s.app_key);
  PutString(&out, s.name);
  out.push_back(static_cast<char>(s.enabled ? 1 : 0));
  PutString(&out, s.trigger_json);
  PutString(&out, s.push_json);
  PutFixed64BE(&out, s.timer_id);
  PutInt64BE(&out, s.next_fire_ms);
  PutInt64BE(&out, s.created_ms);
  PutInt64BE(&out, s.updated_ms);
  PutInt64BE(&out, s.expired_ms);
  PutFixed64BE(&out, s.fires);
  PutString(&out, s.trigger_sent);
  PutString(&out, s.cid);
  return out;
}

Result<Schedule> DecodeSchedule(std::string_view bytes) {
  Decoder d(bytes);
  Schedule s;
  uint8_t format, enabled;
  if (!d.GetU8(&format) || format < kScheduleFormatV1 || format > kScheduleFormat ||
      !d.GetString(&s.id) ||
      !d.GetString(&s.app_key) || !d.GetString(&s.name) || !d.GetU8(&enabled) ||
      !d.GetString(&s.trigger_json) || !d.GetString(&s.push_json) || !d.GetU64(&s.timer_id) ||
      !d.GetI64(&s.next_fire_ms) || !d.GetI64(&s.created_ms) || !d.GetI64(&s.updated_ms) ||
      !d.GetI64(&s.expired_ms) || !d.GetU64(&s.fires)) {
    return Corrupt("schedule");
  }
  // Format 1 records end here: no trigger as sent, no cid.
  if (format >= 2 && (!d.GetString(&s.trigger_sent) || !d.GetString(&s.cid))) {
    return Corrupt("schedule");
  }
  s.enabled = enabled != 0;
  return s;
}

}  // namespace tock
