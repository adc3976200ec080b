// RetryPolicy: what happens after an attempt fails. A pure decision, apart from the
// sending and storing that act on it (as ninja's Plan is apart from its Builder).
//
//   retry k (k = 1, 2, ...) of a round waits min(step_s * k, 3600) s after the attempt ended;
//   at most retry_total retries follow the round's first attempt; 410 Gone stops at once.
//
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cstdint>

#include "model/task.h"

namespace tock {

inline constexpr int64_t kMaxRetryWaitS = 3600;

struct RetryDecision {
  bool retry = false;
  int64_t next_run_ms = 0;  // when retry
};

// attempts_in_round: attempts made in the current round, counting the one that just failed.
inline RetryDecision DecideRetry(int32_t step_s, int32_t retry_total, uint32_t attempts_in_round,
                                 AttemptOutcome outcome, int64_t ended_ms) {
  RetryDecision d;
  if (outcome == AttemptOutcome::kSuccess || outcome == AttemptOutcome::kGone) return d;
  if (attempts_in_round > static_cast<uint32_t>(std::max(retry_total, 0))) return d;
  int64_t k = attempts_in_round;  // this would be retry number k
  int64_t wait_s = std::min<int64_t>(static_cast<int64_t>(std::max(step_s, 0)) * k, kMaxRetryWaitS);
  d.retry = true;
  d.next_run_ms = ended_ms + wait_s * 1000;
  return d;
}

}  // namespace tock
