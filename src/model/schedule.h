// A recurring or one-off schedule (SPEC §4, issue: schedules), as a plain value: no
// encodings (storage/rocksdb/codecs.h has the RocksDB store's).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

namespace tock {

// Its next fire is the due entry (next_fire_ms, timer_id); a schedule with no next fire is
// expired.
struct Schedule {
  std::string id;            // 36-char UUID
  std::string app_key;
  std::string name;
  bool enabled = true;       // a disabled schedule's timer still advances, without messages
  std::string trigger_json;  // canonical (TriggerToJson)
  std::string push_json;     // minified JSON object, each message's content
  uint64_t timer_id = 0;     // kScheduleTimerBit | n (model/timer_id.h)
  int64_t next_fire_ms = 0;  // 0 = none
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t expired_ms = 0;    // 0 = not expired
  uint64_t fires = 0;        // messages created so far
  // The trigger object as the client sent it (minified), which the API echoes ("WEEK" stays
  // "WEEK", an absent zone_type stays absent); trigger_json stays the one the fire path
  // reads. "" in schedules made before it existed: the API echoes trigger_json instead.
  std::string trigger_sent;
  // The client's idempotency key (JPush's `cid`) the schedule was created with, or "". A
  // schedule with a cid has the id NameUuid of (app_key, cid) (ScheduleService).
  std::string cid;
  // Which write of the schedule this copy was read from (0 before its first write). A store
  // shared by many nodes (PostgreSQL) refuses, with Conflict, a PutSchedule whose copy is not
  // the latest written (one node's update against another node's fire); RocksDB neither
  // keeps nor checks it.
  uint64_t revision = 0;
};

}  // namespace tock
