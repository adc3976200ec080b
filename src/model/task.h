// A task (one delayed callback), its attempts, and what a create asks for, as plain values:
// no encodings (storage/rocksdb/codecs.h has the RocksDB store's).
//
// DO NOT CHANGE the values of the enums: every store keeps them as they are, and the API
// shows their names (`status`).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tock {

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
  // Which write of the task this copy was read from: 0 before its first write. A store shared
  // by many nodes (PostgreSQL) refuses, with Conflict, a PutTask whose copy is not the latest
  // written, so that a read-modify-write on one node cannot overwrite another node's change
  // made in between. RocksDB (one process, which serialises each task's changes under
  // TaskLocks) neither keeps nor checks it.
  uint64_t revision = 0;
};

enum class AttemptOutcome : uint8_t {
  kSuccess = 0,
  kFailure = 1,  // an HTTP answer that is not success
  kTimeout = 2,
  kError = 3,    // no HTTP answer: refused, reset, DNS, TLS...
  kGone = 4,     // 410: stop retrying
};
const char* AttemptOutcomeName(AttemptOutcome o);

// Why an attempt failed, in words: "HTTP 501", "answer was not success" (a 2xx whose body
// was not "success"), "HTTP 410 (gone: no more retries)", or the sender's own words when
// there was no HTTP answer ("timeout after 30000 ms", "connection refused or unreachable
// (host:port)"); "" for a success. `error` is what the sender said (empty on an HTTP
// answer). The delivery engine records it with each attempt; readers apply it again so
// attempts stored before every failure had words ("error":"") get them too.
std::string FailureReason(AttemptOutcome outcome, int32_t http_status, std::string_view error);

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

// What a create asks for (API bodies, schedule fires); the task service makes a Task of it.
struct TaskSpec {
  std::string task_no;       // empty: a UUID is generated
  std::string name;
  std::string content;       // JSON text
  int64_t runtime_ms = 0;
  int32_t timeout_ms = 30000;
  std::string schedule_id;   // set by the schedule service
};

// One created task, as a create answers it.
struct CreatedTask {
  uint64_t id = 0;
  bool duplicate = false;  // the taskNo existed: id is the existing task's
};

// A task as /task/detail shows it.
struct TaskDetail {
  Task task;
  bool running = false;
  std::vector<Attempt> attempts;
};

}  // namespace tock
