// model/task.h: every failed attempt says why in words (issue 13), from what the sender said
// or, when it said nothing (an HTTP answer, or an attempt stored before words existed), from
// the answer's status and the outcome.
#include "model/task.h"

#include <doctest/doctest.h>

namespace tock {

TEST_SUITE("TaskModel") {
  TEST_CASE("FailureReason puts every failed attempt in words") {
    CHECK(FailureReason(AttemptOutcome::kFailure, 501, "") == "HTTP 501");
    CHECK(FailureReason(AttemptOutcome::kFailure, 500, "") == "HTTP 500");
    CHECK(FailureReason(AttemptOutcome::kFailure, 200, "") == "answer was not success");
    CHECK(FailureReason(AttemptOutcome::kGone, 410, "") == "HTTP 410 (gone: no more retries)");
    CHECK(FailureReason(AttemptOutcome::kTimeout, 0, "timeout after 30000 ms") ==
          "timeout after 30000 ms");
    CHECK(FailureReason(AttemptOutcome::kError, 0, "connection refused or unreachable (127.0.0.1:9)") ==
          "connection refused or unreachable (127.0.0.1:9)");
    // Stored without words by an older tock.
    CHECK(FailureReason(AttemptOutcome::kTimeout, 0, "") == "timeout");
    CHECK(FailureReason(AttemptOutcome::kError, 0, "") == "no HTTP answer");
    CHECK(FailureReason(AttemptOutcome::kSuccess, 200, "") == "");
  }
}

}  // namespace tock
