// ClassifyOutcome: what one callback answer means for the task (SPEC §5).
//   2xx and (success mode "status", or body trimmed == "success")  -> success
//   410 Gone                                                       -> gone (stop retrying)
//   other HTTP answers                                             -> failure
//   no answer: timed out                                           -> timeout
//   no answer: refused, reset, TLS, cancelled ...                  -> error
// Thread-safety: pure function.
#pragma once

#include "callback/sender.h"
#include "model/app.h"
#include "model/task.h"

namespace tock {

inline AttemptOutcome ClassifyOutcome(const CallbackResult& r, SuccessMode mode) {
  if (r.http_status == 0) {
    return r.error.rfind("timeout", 0) == 0 ? AttemptOutcome::kTimeout : AttemptOutcome::kError;
  }
  if (r.http_status == 410) return AttemptOutcome::kGone;
  if (r.http_status >= 200 && r.http_status < 300 &&
      (mode == SuccessMode::kStatus || r.body_is_success)) {
    return AttemptOutcome::kSuccess;
  }
  return AttemptOutcome::kFailure;
}

}  // namespace tock
