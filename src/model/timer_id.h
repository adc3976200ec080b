// Ids in the due index: task ids and schedule timer ids share it.
//
// A schedule's next fire is a due entry (fire_ms, timer_id) with timer_id =
// kScheduleTimerBit | n, n taken from the task id counter, so a timer id never equals a task
// id. The server routes a due id to the task or the schedule path by this bit. DO NOT CHANGE
// kScheduleTimerBit: stores keep timer ids (storage/rocksdb/keys.h writes them to disk).
//
// Thread-safety: constants and pure functions.
#pragma once

#include <cstdint>

namespace tock {

inline constexpr uint64_t kScheduleTimerBit = 1ull << 63;
inline constexpr bool IsScheduleTimer(uint64_t id) { return (id & kScheduleTimerBit) != 0; }

}  // namespace tock
