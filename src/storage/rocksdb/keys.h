// The disk format of tock's keys: one column family per kind of record, and how each key is
// built. Every integer in a key is big-endian (common/coding.h), so RocksDB's bytewise order
// is the order tock scans in: the due index in due-time order, attempts in attempt order.
//
// DO NOT CHANGE the column family names or any key layout below: they are on disk. A new
// layout needs a new column family or a migration keyed off kSchemaVersion.
//
//   cf        key                                   value
//   apps      app_key                               App record
//   tasks     task_id(8)                            Task record
//   task_no   app_key ‖ 0x00 ‖ task_no              task_id(8)
//   due       due_ms(8, signed) ‖ task_id(8)        empty      (waiting tasks only)
//   attempts  task_id(8) ‖ number(4)                Attempt record
//   retire    expire_ms(8, signed) ‖ task_id(8)     empty      (finished tasks only)
//   nonces    app_key ‖ 0x00 ‖ nonce                timestamps_s(8, signed)
//   meta      name                                  value (see kMeta* below)
//   schedules       schedule_id (36-char UUID)                    Schedule record
//   schedule_index  app_key ‖ 0x00 ‖ created_ms(8, signed) ‖ schedule_id   empty
//                   (unexpired schedules only: listing by creation time, per-app count)
//   schedule_timers timer_id(8)                                   schedule_id
//   msg_ids         schedule_id ‖ fire_ms(8, signed)              task_id(8) of the message
//   task_index      app_key ‖ 0x00 ‖ kind(1) ‖ ms(8, signed) ‖ task_id(8)        empty
//                   (schema 2, issue 13: the task lists of model/task_list.h)
//                   kind 0..4: the task's status (model/task.h values), ms = runtime_ms:
//                              one entry per stored task
//                   kind 0x10: failed at, ms = finished_ms: one more entry per failed task
//
// Schema versions: 1 had no task_index; opening a version 1 directory fills task_index from
// the tasks (once, in bounded batches; the version is raised to 2 after the last one), so a
// crash during it only repeats it.
//
// Schedule timers share the due index with tasks: a schedule's next fire is the due entry
// (fire_ms, timer_id) with timer_id = kScheduleTimerBit | n (model/timer_id.h), n from the
// task id counter, so a timer id never equals a task id. kScheduleTimerBit is on disk.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/coding.h"
#include "model/timer_id.h"

namespace tock::keys {

inline constexpr const char* kApps = "apps";
inline constexpr const char* kTasks = "tasks";
inline constexpr const char* kTaskNo = "task_no";
inline constexpr const char* kDue = "due";
inline constexpr const char* kAttempts = "attempts";
inline constexpr const char* kRetire = "retire";
inline constexpr const char* kNonces = "nonces";
inline constexpr const char* kMeta = "meta";
inline constexpr const char* kSchedules = "schedules";
inline constexpr const char* kScheduleIndex = "schedule_index";
inline constexpr const char* kScheduleTimers = "schedule_timers";
inline constexpr const char* kMsgIds = "msg_ids";
inline constexpr const char* kTaskIndex = "task_index";

// The top bit of an id in the due index marks a schedule timer (model/timer_id.h); the value
// is on disk.
static_assert(kScheduleTimerBit == 1ull << 63, "DO NOT CHANGE: schedule timer ids are on disk");

inline constexpr const char* kMetaSchemaVersion = "schema_version";
inline constexpr const char* kMetaNextTaskId = "next_task_id";  // u64: ids below it may be used
inline constexpr uint64_t kSchemaVersion = 2;
inline constexpr uint64_t kSchemaVersionBeforeTaskIndex = 1;

// The kind byte of a task_index key past the statuses (0..4). On disk.
inline constexpr uint8_t kTaskIndexFailedAt = 0x10;

inline std::string TaskKey(uint64_t id) {
  std::string k;
  PutFixed64BE(&k, id);
  return k;
}

inline std::string TaskNoKey(std::string_view app_key, std::string_view task_no) {
  std::string k;
  k.reserve(app_key.size() + 1 + task_no.size());
  k.append(app_key);
  k.push_back('\0');
  k.append(task_no);
  return k;
}

// Used for both the due and the retire index: time first, then id.
inline std::string TimeIdKey(int64_t ms, uint64_t id) {
  std::string k;
  PutInt64BE(&k, ms);
  PutFixed64BE(&k, id);
  return k;
}
inline int64_t TimeOfTimeIdKey(std::string_view k) { return DecodeInt64BE(k.data()); }
inline uint64_t IdOfTimeIdKey(std::string_view k) { return DecodeFixed64BE(k.data() + 8); }

inline std::string AttemptKey(uint64_t task_id, uint32_t number) {
  std::string k;
  PutFixed64BE(&k, task_id);
  PutFixed32BE(&k, number);
  return k;
}

inline std::string NonceKey(std::string_view app_key, std::string_view nonce) {
  return TaskNoKey(app_key, nonce);  // same shape: owner ‖ 0x00 ‖ name
}

// app_key ‖ 0x00 ‖ created_ms(8, signed) ‖ schedule_id.
inline std::string ScheduleIndexKey(std::string_view app_key, int64_t created_ms,
                                    std::string_view schedule_id) {
  std::string k;
  k.reserve(app_key.size() + 9 + schedule_id.size());
  k.append(app_key);
  k.push_back('\0');
  PutInt64BE(&k, created_ms);
  k.append(schedule_id);
  return k;
}
// The prefix shared by one application's schedule_index keys.
inline std::string ScheduleIndexPrefix(std::string_view app_key) {
  std::string k(app_key);
  k.push_back('\0');
  return k;
}

// schedule_id ‖ fire_ms(8, signed).
inline std::string MsgIdKey(std::string_view schedule_id, int64_t fire_ms) {
  std::string k(schedule_id);
  PutInt64BE(&k, fire_ms);
  return k;
}

// app_key ‖ 0x00 ‖ kind: the prefix of one application's entries of one kind.
inline std::string TaskIndexPrefix(std::string_view app_key, uint8_t kind) {
  std::string k;
  k.reserve(app_key.size() + 2 + 16);
  k.append(app_key);
  k.push_back('\0');
  k.push_back(static_cast<char>(kind));
  return k;
}
// prefix ‖ ms(8, signed) ‖ task_id(8).
inline std::string TaskIndexKey(std::string_view app_key, uint8_t kind, int64_t ms, uint64_t id) {
  std::string k = TaskIndexPrefix(app_key, kind);
  PutInt64BE(&k, ms);
  PutFixed64BE(&k, id);
  return k;
}

}  // namespace tock::keys
