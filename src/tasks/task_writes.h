// The writes a change of one task brings with it besides its record: moving its task-list
// index entries (model/task_list.h) and removing a task with everything that names it.
// Shared by every path that changes a task (task service, outcome recorder, retention,
// replay), so no path can forget an index.
//
// Thread-safety: plain functions; the caller owns the batch and holds the task's stripe.
#pragma once

#include "model/task.h"
#include "model/task_list.h"
#include "storage/store.h"

namespace tock {

// Moves the task's index entries from `before` (IndexEntryOf the task as stored) to `after`
// (the task as it will be written): a delete and a put, or nothing when no indexed field
// changed (a retry: runtime_ms never changes).
void MoveTaskIndex(Store::Batch& batch, const TaskIndexEntry& before, const Task& after);

// Deletes the task's record, taskNo entry, attempts and index entries (not its retire entry,
// whose time the caller knows).
void AddTaskRemoval(Store::Batch& batch, const Task& task);

}  // namespace tock
