#include "tasks/task_writes.h"

namespace tock {

void MoveTaskIndex(Store::Batch& batch, const TaskIndexEntry& before, const Task& after) {
  TaskIndexEntry now = IndexEntryOf(after);
  if (now == before) return;
  batch.DeleteTaskIndex(before);
  batch.PutTaskIndex(now);
}

void AddTaskRemoval(Store::Batch& batch, const Task& task) {
  batch.DeleteTask(task.id);
  batch.DeleteTaskNo(task.app_key, task.task_no);
  batch.DeleteAttempts(task.id);
  batch.DeleteTaskIndex(IndexEntryOf(task));
}

}  // namespace tock
