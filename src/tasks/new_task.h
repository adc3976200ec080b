// The one piece of code that builds a new task's writes, and the one that hands a new task to
// the timers. Used by every create path: the group committer, the synchronous create, and
// schedule fires (through TaskService::AddCreateToBatch).
//
// Thread-safety: plain functions; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "model/task.h"
#include "storage/store.h"

namespace tock {

class DueSource;

// A task written by a caller's batch, to hand to the timers once the batch is written.
struct TaskToArm {
  uint64_t id = 0;
  int64_t due_ms = 0;
};

// Adds the task's record, due entry, taskNo entry and task-list index entry to `batch`.
// REQUIRES: `id` comes from Store::AllocateTaskIds; spec.task_no is not empty and not in use
// by the application. After the batch is written, pass the result to ArmNewTask().
TaskToArm AddNewTaskToBatch(Store::Batch& batch, const std::string& app_key, TaskSpec spec,
                            uint64_t id, int64_t now_ms);

// Hands a written new task to the timers and counts it (tock_tasks_created_total).
void ArmNewTask(DueSource& loader, const TaskToArm& task);

}  // namespace tock
