#include "tasks/task_metrics.h"

namespace tock {

TaskMetrics& GetTaskMetrics() {
  static TaskMetrics* const m = new TaskMetrics();
  return *m;
}

namespace {
[[maybe_unused]] const bool kMetricsRegistered = (GetTaskMetrics(), true);
}  // namespace

}  // namespace tock
