// The retention sweep: removes tasks finished longer than the retention ago (their record,
// taskNo entry, attempts, task-list index entries and retire entry).
//
// Threads: none of its own. The server's maintenance thread calls it; it takes each task's
// stripe (TaskLocks) around that task's read-modify-write, so it runs beside creates,
// attempts and API calls.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/clock.h"
#include "common/status.h"
#include "storage/store.h"
#include "tasks/task_locks.h"

namespace tock {

// Removes at most `limit` tasks whose retire entry is due at now; returns how many. A task
// re-armed by publish since it finished stays (only its stale retire entry goes).
Result<size_t> SweepRetiredTasks(Store& store, const Clock& clock, TaskLocks& locks,
                                 int64_t retention_ms, size_t limit);

}  // namespace tock
