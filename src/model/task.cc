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

std::string FailureReason(AttemptOutcome outcome, int32_t http_status, std::string_view error) {
  if (outcome == AttemptOutcome::kSuccess) return "";
  if (!error.empty()) return std::string(error);
  switch (outcome) {
    case AttemptOutcome::kGone: return "HTTP 410 (gone: no more retries)";
    case AttemptOutcome::kTimeout: return "timeout";  // stored without its budget
    case AttemptOutcome::kError: return "no HTTP answer";
    default: break;
  }
  if (http_status >= 200 && http_status < 300) return "answer was not success";
  if (http_status == 0) return "no HTTP answer";
  return "HTTP " + std::to_string(http_status);
}

}  // namespace tock
