// The records tock keeps, as plain structs, and their byte encodings.
//
// Encoding: a leading format byte, then fixed-width big-endian integers and
// length-prefixed strings in the order below (common/coding.h). A record whose format byte
// is unknown, or that ends early, decodes to an error instead of garbage.
//
// DO NOT CHANGE the order of fields or the values of the enums: they are on disk. Add new
// fields at the end and bump the format byte.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tock {

// How a callback's answer counts as success.
enum class SuccessMode : uint8_t {
  kBody = 0,    // 2xx and the body, trimmed, is "success" (the original's contract)
  kStatus = 1,  // any 2xx
};

// A signed request's nonce, remembered (nonces column family) to refuse its replay.
struct UsedNonce {
  std::string app_key;
  std::string nonce;
  int64_t ts_s = 0;  // the request's timestamps header
};

// Why an application's deliveries are paused. DO NOT CHANGE these values: they are on disk.
enum class PauseKind : uint8_t {
  kNone = 0,
  kManual = 1,  // POST /application/pause; only a resume ends it
  kAuto = 2,    // too many failed attempts in a row; a successful probe (or a resume) ends it
};
const char* PauseKindName(PauseKind k);

struct App {
  std::string app_key;     // 16 alphanumerics; the application's id
  std::string secret_key;  // 32 alphanumerics
  std::string name;
  std::string link_url;
  std::string remark;
  int32_t step_s = 5;        // retry k waits min(step_s * k, 3600) s
  int32_t retry_total = 5;   // retries after the first attempt, per round
  SuccessMode success_mode = SuccessMode::kBody;
  int64_t created_ms = 0;
  // Secret rotation (format 2): the secret rotated out, still accepted for incoming requests
  // and still sent as a second Standard Webhooks signature while now < previous_secret_until_ms.
  // Both empty/0 when there is none (and in every format 1 record).
  std::string previous_secret;
  int64_t previous_secret_until_ms = 0;
  // Flow control, pause and time zone (format 3; format 1 and 2 records read as defaults).
  int32_t parallelism = 0;       // attempts in flight at most; 0: the server's max-per-app
  double rate_per_second = 0;    // attempts started per second at most; 0: no limit
  PauseKind pause = PauseKind::kNone;
  std::string pause_reason;      // words for operators ("paused by operator", "auto: ...")
  int64_t paused_ms = 0;         // when it was paused; 0 when not paused
  std::string time_zone;         // IANA name for zone_type 2 schedules; "": the server's
  // The key that signs Standard Webhooks callbacks (format 4): 32 random bytes, independent
  // of secret_key, so nothing a receiver holds can authenticate an API request. Empty in
  // applications made before it existed: their key is secret_key's bytes ("derived"), kept
  // so no receiver breaks on upgrade, until the secret is rotated.
  std::string webhook_key;
  // The key rotated out with previous_secret (same deadline); empty: previous_secret's bytes.
  std::string previous_webhook_key;
};

// True while app's previous secret is still in its grace period at now_ms.
inline bool PreviousSecretActive(const App& app, int64_t now_ms) {
  return !app.previous_secret.empty() && now_ms < app.previous_secret_until_ms;
}

// The key bytes that sign the application's Standard Webhooks callbacks, now and (during a
// rotation's grace period) before; and whether it is still the legacy derived one.
inline const std::string& WebhookKey(const App& app) {
  return app.webhook_key.empty() ? app.secret_key : app.webhook_key;
}
inline const std::string& PreviousWebhookKey(const App& app) {
  return app.previous_webhook_key.empty() ? app.previous_secret : app.previous_webhook_key;
}
inline bool WebhookKeyDerived(const App& app) { return app.webhook_key.empty(); }

// DO NOT CHANGE these values: they are on disk and in the API (`status`).
enum class TaskStatus : uint8_t {
  kWaiting = 0,
  kRunning = 1,  // never stored: an attempt in flight is tracked in memory only
  kSuccess = 2,
  kCancelled = 3,
  kFailed = 4,
};
const char* TaskStatusName(TaskStatus s);
inline bool IsFinished(TaskStatus s) {
  return s == TaskStatus::kSuccess || s == TaskStatus::kCancelled || s == TaskStatus::kFailed;
}

struct Task {
  uint64_t id = 0;
  std::string app_key;
  std::string task_no;
  std::string name;
  std::string content;     // the JSON text delivered as "data", as given (minified)
  int64_t runtime_ms = 0;  // the due time asked for
  int64_t next_run_ms = 0; // when the next attempt is due; 0 when none is (finished)
  int64_t created_ms = 0;
  int64_t finished_ms = 0; // when it reached success/cancelled/failed; 0 before
  int32_t timeout_ms = 30000;
  TaskStatus status = TaskStatus::kWaiting;
  uint32_t round = 0;         // attempts made so far, over all rounds
  uint32_t round_start = 0;   // `round` when the current round began (publish re-arms)
  int64_t elapsed_ms = 0;     // time spent in attempts
  std::string schedule_id;    // set on a schedule's fire (issue: schedules), else empty
};

// DO NOT CHANGE these values: they are on disk.
enum class AttemptOutcome : uint8_t {
  kSuccess = 0,
  kFailure = 1,  // an HTTP answer that is not success
  kTimeout = 2,
  kError = 3,    // no HTTP answer: refused, reset, DNS, TLS...
  kGone = 4,     // 410: stop retrying
};
const char* AttemptOutcomeName(AttemptOutcome o);

struct Attempt {
  uint64_t task_id = 0;
  uint32_t number = 0;  // 1-based over the task's life
  int64_t started_ms = 0;
  int64_t duration_ms = 0;
  int32_t http_status = 0;  // 0 when there was no HTTP answer
  AttemptOutcome outcome = AttemptOutcome::kError;
  std::string error;
  std::string response;  // first 1 KiB of the body
};

// A recurring or one-off schedule (SPEC §4, issue: schedules). Its next fire is the due
// entry (next_fire_ms, timer_id); a schedule with no next fire is expired.
struct Schedule {
  std::string id;            // 36-char UUID
  std::string app_key;
  std::string name;
  bool enabled = true;       // a disabled schedule's timer still advances, without messages
  std::string trigger_json;  // canonical (TriggerToJson)
  std::string push_json;     // minified JSON object, each message's content
  uint64_t timer_id = 0;     // keys::kScheduleTimerBit | n
  int64_t next_fire_ms = 0;  // 0 = none
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t expired_ms = 0;    // 0 = not expired
  uint64_t fires = 0;        // messages created so far
  // Format 2: the trigger object as the client sent it (minified), which the API echoes
  // ("WEEK" stays "WEEK", an absent zone_type stays absent); trigger_json stays the one the
  // fire path reads. "" in format 1 records: the API echoes trigger_json instead.
  std::string trigger_sent;
  // Format 2: the client's idempotency key (JPush's `cid`) the schedule was created with, or
  // "". A schedule with a cid has the id NameUuid of (app_key, cid) (ScheduleService).
  std::string cid;
};

std::string EncodeApp(const App& app);
Result<App> DecodeApp(std::string_view bytes);
std::string EncodeTask(const Task& task);
Result<Task> DecodeTask(std::string_view bytes);
std::string EncodeAttempt(const Attempt& attempt);
Result<Attempt> DecodeAttempt(std::string_view bytes);
std::string EncodeSchedule(const Schedule& schedule);
Result<Schedule> DecodeSchedule(std::string_view bytes);

}  // namespace tock
