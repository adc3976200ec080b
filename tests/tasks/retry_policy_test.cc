#include "tasks/retry_policy.h"

#include <doctest/doctest.h>

namespace tock {

TEST_SUITE("RetryPolicy") {
  TEST_CASE("retry k waits step times k after the attempt ended") {
    // step 5: 5 s, 10 s, 15 s (SPEC §5).
    for (uint32_t k = 1; k <= 3; ++k) {
      RetryDecision d = DecideRetry(5, 3, k, AttemptOutcome::kFailure, 1000);
      REQUIRE(d.retry);
      CHECK(d.next_run_ms == 1000 + 5000 * k);
    }
  }

  TEST_CASE("no retry once retryTotal retries have been made") {
    CHECK(DecideRetry(5, 3, 3, AttemptOutcome::kFailure, 0).retry);
    CHECK_FALSE(DecideRetry(5, 3, 4, AttemptOutcome::kFailure, 0).retry);
    CHECK_FALSE(DecideRetry(5, 0, 1, AttemptOutcome::kTimeout, 0).retry);
  }

  TEST_CASE("the wait is capped at one hour") {
    RetryDecision d = DecideRetry(3600, 10, 7, AttemptOutcome::kError, 0);
    REQUIRE(d.retry);
    CHECK(d.next_run_ms == 3600 * 1000);
  }

  TEST_CASE("410 Gone and success never retry; step 0 retries at once") {
    CHECK_FALSE(DecideRetry(5, 10, 1, AttemptOutcome::kGone, 0).retry);
    CHECK_FALSE(DecideRetry(5, 10, 1, AttemptOutcome::kSuccess, 0).retry);
    RetryDecision d = DecideRetry(0, 2, 1, AttemptOutcome::kTimeout, 777);
    REQUIRE(d.retry);
    CHECK(d.next_run_ms == 777);
  }
}

}  // namespace tock
