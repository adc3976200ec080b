#include "tasks/new_task.h"

#include <utility>

#include "tasks/due_source.h"
#include "tasks/task_metrics.h"

namespace tock {

TaskToArm AddNewTaskToBatch(Store::Batch& batch, const std::string& app_key, TaskSpec spec,
                            uint64_t id, int64_t now_ms) {
  Task t;
  t.id = id;
  t.app_key = app_key;
  t.task_no = std::move(spec.task_no);
  t.name = std::move(spec.name);
  t.content = std::move(spec.content);
  t.runtime_ms = t.next_run_ms = spec.runtime_ms;
  t.created_ms = now_ms;
  t.timeout_ms = spec.timeout_ms;
  t.schedule_id = std::move(spec.schedule_id);
  batch.PutTask(t);
  batch.PutDue(t.next_run_ms, t.id);
  batch.PutTaskNo(t.app_key, t.task_no, t.id);
  batch.PutTaskIndex(IndexEntryOf(t));  // the task lists (model/task_list.h): one more key
  return TaskToArm{t.id, t.next_run_ms};
}

void ArmNewTask(DueSource& loader, const TaskToArm& task) {
  GetTaskMetrics().created.Inc();  // every new task passes here once, after its batch is written
  loader.Arm(task.id, task.due_ms);
}

}  // namespace tock
