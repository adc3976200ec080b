#include "model/task.h"

namespace tock {

const char* TaskStatusName(TaskStatus s) {
  switch (s) {
    case TaskStatus::kWaiting: return "waiting";
    case TaskStatus::kRunning: return "running";
    case TaskStatus::kSuccess: return "success";
    case TaskStatus::kCancelled: return "cancelled";
    case TaskStatus::kFailed: return "failed";
  }
  return "unknown";
}

const char* AttemptOutcomeName(AttemptOutcome o) {
  switch (o) {
    case AttemptOutcome::kSuccess: return "success";
    case AttemptOutcome::kFailure: return "failure";
    case AttemptOutcome::kTimeout: return "timeout";
    case AttemptOutcome::kError: return "error";
    case AttemptOutcome::kGone: return "gone";
  }
  return "unknown";
}

}  // namespace tock
