// The task lists of the console and the admin API (issue 13): GET /admin/tasks and
// GET /admin/failed, read from the store's task-list indexes (model/task_list.h) with keyset
// pagination, so a page costs the same on page 1 and page 10 000 and with 1 000 000 tasks
// stored as with 10.
//
//   by state and due time   one index range per (application, state) asked for, each read
//                           for at most limit+1 entries after the cursor; the ranges are
//                           merged in (runtime_ms, id) order. "any state" is the four stored
//                           states merged; "waiting" includes the tasks running now (they
//                           are stored waiting), shown as running.
//   running                 the attempts in flight on this node (memory), filtered.
//   by taskNo prefix        the taskNo index of one application from the prefix, in taskNo
//                           order; a state or due-time filter is applied to the records
//                           read, at most kPrefixBudget taskNos per page (a page may then
//                           hold fewer than `limit` tasks and still have a next cursor).
//   failed                  the failed-at index ranges of the applications, merged in
//                           (finished_ms, id) order, each with its last attempt's reason.
//
// The cursor is opaque to callers (hex of the last entry's position); a page is a snapshot
// of nothing: a task that changes state between two pages may be missed or seen twice.
//
// Thread-safety: functions of their arguments; the store and InFlight are thread-safe.
#pragma once

#include <cstddef>

#include "common/status.h"
#include "model/task_list.h"
#include "storage/store.h"
#include "tasks/in_flight.h"

namespace tock {

// Pages hold at most this many tasks (the API refuses a larger limit).
inline constexpr size_t kMaxListLimit = 500;
// taskNos examined per page of a prefix listing with a state or due-time filter.
inline constexpr size_t kPrefixBudget = 5000;

// Invalid for a cursor this code did not make, a prefix without exactly one application,
// or a limit of 0 or over kMaxListLimit.
Result<TaskListPage> ListTasks(Store& store, const InFlight& in_flight,
                               const TaskListFilter& filter);

// Failed tasks by failure time (filter.from_ms/to_ms); state and prefix are not read.
Result<TaskListPage> ListFailedTasks(Store& store, const InFlight& in_flight,
                                     const TaskListFilter& filter);

}  // namespace tock
